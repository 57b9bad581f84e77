"""Scheduled jobs of the payments app, idempotent and safe at any frequency."""

from . import services


def resend_pending_refunds(now=None) -> dict[str, int]:
    """WeChat Pay refunds recorded but never acknowledged are sent again (same out_refund_no)."""
    return {"refunds_resent": services.resend_pending_refunds(now=now)}
