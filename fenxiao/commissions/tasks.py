"""Scheduled jobs of the commissions app, idempotent and safe at any frequency: the worker
(`manage.py run_jobs`) and the management commands call these."""

from .services import settlement


def run_settlement(now=None) -> dict[str, int]:
    batch = settlement.run_settlement(now=now)
    if batch is None:
        return {"settled": 0}
    return {"settled": batch.commission_count}
