"""Scheduled jobs of the withdrawals app, idempotent and safe at any frequency."""

from .services import transfers


def check_transfers(now=None) -> dict[str, int]:
    """WeChat merchant transfers without a final state for a while are queried (or sent again under
    their own bill number) and settled once."""
    return transfers.poll_transfers(now=now)
