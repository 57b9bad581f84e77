"""The period keys of the schedule: what "once per period" means for each cadence."""

from fenxiao.jobs.schedule import SCHEDULE, Cadence, job_named, period_key

from .conftest import local


def test_period_keys_at_the_local_month_boundary():
    just_before = local(2026, 11, 30, 23, 59, 30)  # 15:59:30 UTC
    just_after = local(2026, 12, 1, 0, 0, 0)  # 16:00 UTC on Nov 30
    assert period_key(Cadence.MINUTE, just_before) == "2026-11-30T15:59Z"
    assert period_key(Cadence.MINUTE, just_after) == "2026-11-30T16:00Z"
    assert period_key(Cadence.HOUR, just_before) == "2026-11-30T15Z"
    assert period_key(Cadence.HOUR, just_after) == "2026-11-30T16Z"
    assert period_key(Cadence.DAY, just_before) == "2026-11-30"
    assert period_key(Cadence.DAY, just_after) == "2026-12-01"
    # The monthly jobs are for the closed month: October's until Nov 30 ends, then November's.
    assert period_key(Cadence.MONTH, just_before) == "2026-10"
    assert period_key(Cadence.MONTH, just_after) == "2026-11"


def test_the_table_holds_every_job_once_with_its_cadence():
    cadences = {job.name: job.cadence for job in SCHEDULE}
    assert cadences == {
        "orders.sweep": Cadence.MINUTE,
        "payments.refund_resend": Cadence.MINUTE,
        "withdrawals.transfer_check": Cadence.MINUTE,
        "promotions.flash_start": Cadence.MINUTE,
        "growth.flash_reminders": Cadence.MINUTE,
        "promotions.flash_return": Cadence.MINUTE,
        "promotions.flash_admission": Cadence.MINUTE,
        "orders.expire_groups": Cadence.MINUTE,
        "promotions.expire_bargains": Cadence.MINUTE,
        "commissions.accrual": Cadence.MINUTE,
        "orders.poll_tracking": Cadence.MINUTE,
        "catalog.cost_changes": Cadence.MINUTE,
        "growth.stock_alerts": Cadence.MINUTE,
        "commissions.settlement": Cadence.DAY,
        "supply.issue_statements": Cadence.DAY,
        "commissions.team_bonus": Cadence.MONTH,
        "growth.level_evaluation": Cadence.MONTH,
        "supply.evaluate_suppliers": Cadence.MONTH,
        "growth.leaderboard_close": Cadence.MONTH,
        "analytics.daily_figures": Cadence.HOUR,
        "members.expire_points": Cadence.DAY,
        "members.evaluate_tiers": Cadence.DAY,
        "jobs.prune": Cadence.DAY,
    }
    assert len(SCHEDULE) == len(cadences)


def test_monthly_jobs_receive_their_month():
    assert job_named("growth.level_evaluation").arguments("2026-11") == {"month": "2026-11"}
    assert job_named("commissions.team_bonus").arguments("2026-11") == {"month": "2026-11"}
    assert job_named("supply.evaluate_suppliers").arguments("2026-11") == {"month": "2026-11"}
    assert job_named("orders.sweep").arguments("2026-11-30T16:00Z") == {}
