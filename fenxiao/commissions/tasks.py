"""Scheduled jobs of the commissions app, idempotent and safe at any frequency: the worker
(`manage.py run_jobs`) and the management commands call these."""

from .services import settlement


def run_settlement(now=None) -> dict[str, int]:
    batch = settlement.run_settlement(now=now)
    if batch is None:
        return {"settled": 0}
    return {"settled": batch.commission_count}


def run_team_bonus(now=None) -> dict[str, int]:
    """The previous month's team bonus; a month already paid pays nothing again."""
    from .services import team_bonus

    run = team_bonus.run_team_bonus(now=now)
    return {"team_bonus_paid": run.partner_count if run.created else 0}
