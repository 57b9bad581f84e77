"""Scheduled jobs of the commissions app, idempotent and safe at any frequency: the task worker
(fenxiao/jobs), `manage.py run_jobs` and the management commands call these."""

from .services import settlement


def run_settlement(now=None) -> dict[str, int]:
    batch = settlement.run_settlement(now=now)
    if batch is None:
        return {"settled": 0}
    return {"settled": batch.commission_count}


def run_team_bonus(now=None, month: str | None = None) -> dict[str, int]:
    """A closed month's team bonus (default: the previous month) is proposed for finance's approval;
    it is paid when approved. A month already paid or already proposed proposes nothing new."""
    from .services import team_bonus

    proposal = team_bonus.propose_team_bonus(month, now=now)
    return {"team_bonus_proposed": proposal.partner_count if proposal.approval is not None else 0}
