"""The background tasks: each wraps one app's idempotent job, so a task run twice, or killed half-way
and run again, changes nothing more than running it once. They run on the task workers
(`manage.py db_worker`); `run_scheduler` enqueues them on the cadence of `schedule.SCHEDULE`."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

try:  # Django 6 ships the task API; before it, the backport provides the same one.
    from django.tasks import task
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import task

from fenxiao.analytics import tasks as analytics_tasks
from fenxiao.commissions import tasks as commission_tasks
from fenxiao.growth import tasks as growth_tasks
from fenxiao.members import tasks as member_tasks
from fenxiao.orders import tasks as order_tasks
from fenxiao.payments import tasks as payment_tasks
from fenxiao.withdrawals import tasks as withdrawal_tasks


@task()
def sweep_orders() -> dict[str, int]:
    """Cancel unpaid orders past their deadline, receive shipped ones, complete closed ones."""
    return order_tasks.run_all()


@task()
def resend_refunds() -> dict[str, int]:
    """WeChat Pay refunds recorded but never acknowledged go out again under their own refund number."""
    return payment_tasks.resend_pending_refunds()


@task()
def check_transfers() -> dict[str, int]:
    """WeChat merchant transfers of withdrawals with no result for a while are queried and settled once."""
    return withdrawal_tasks.check_transfers()


@task()
def expire_bargains() -> dict[str, int]:
    """砍价 past their deadline end (and bargains at the floor nobody bought once their activity is over)."""
    from fenxiao.promotions.services import bargains

    return bargains.expire_bargains()


@task()
def start_flash_sales() -> dict[str, int]:
    """秒杀: the units of the sales starting within two minutes (or running) move into their own stock."""
    from fenxiao.promotions.services import flash

    return flash.start_due_flash_sales()


@task()
def return_flash_stock() -> dict[str, int]:
    """秒杀: the unsold units of ended sales move back to the warehouse (again later for lapsed orders)."""
    from fenxiao.promotions.services import flash

    return flash.return_ended_flash_stock()


@task()
def reconcile_flash_admission() -> dict[str, int]:
    """秒杀: the admission counters in Redis rebuilt from the database where missing or different."""
    from fenxiao.promotions import admission

    return admission.reconcile_flash_admission()


@task()
def send_flash_reminders() -> dict[str, int]:
    """开抢提醒: the in-app notices of the flash sales starting within the next minutes, each sent once."""
    from fenxiao.growth.services import flash_reminders

    return flash_reminders.send_flash_reminders()


@task()
def expire_groups() -> dict[str, int]:
    """拼团 past their deadline: virtual success where allowed, otherwise failed with every member refunded."""
    from fenxiao.orders.services.activities import groups

    return groups.expire_groups()


@task()
def poll_tracking() -> dict[str, int]:
    """Shipped parcels not asked about within the poll interval: their journey fetched, signed-for ones dated."""
    from fenxiao.orders.services.tracking import poll_tracking as poll

    return poll()


@task()
def issue_supplier_statements() -> dict[str, int]:
    """Each supplier's statement of its last full settlement period (week or month), issued once."""
    from fenxiao.supply.settlement.services import issue_statements

    return {"supplier_statements_issued": len(issue_statements())}


@task()
def apply_cost_changes() -> dict[str, int]:
    """成本价调整: SKUs whose scheduled cost change is due take the new cost (orders placed keep theirs)."""
    from fenxiao.catalog.costs import apply_cost_changes as apply

    return apply()


@task()
def safety_stock_alerts() -> dict[str, int]:
    """安全库存预警: the 供应链 staff told once about each stock record that fell below its safety stock."""
    from fenxiao.growth.services.stock_alerts import safety_stock_alerts as alert

    return alert()


@task()
def settle_commissions() -> dict[str, int]:
    """The settlement batch due now (daily T+N, weekly or monthly by the operator's settings)."""
    return commission_tasks.run_settlement()


@task()
def propose_team_bonus(month: str) -> dict[str, int]:
    """The month's team bonus, proposed for finance's approval (paid when approved)."""
    return commission_tasks.run_team_bonus(month=month)


@task()
def evaluate_suppliers(month: str) -> dict[str, int]:
    """供应商月度考核: warnings and suspensions by the month's service levels, once per supplier and month."""
    from fenxiao.supply.scorecard.services import evaluate_suppliers as evaluate

    return {f"suppliers_{name}": n for name, n in evaluate(month=month).items()}


@task()
def evaluate_levels(month: str) -> dict[str, int]:
    return growth_tasks.run_level_evaluation(month=month)


@task()
def close_leaderboards() -> dict[str, int]:
    return growth_tasks.run_leaderboard_close()


@task()
def expire_points() -> dict[str, int]:
    """Points lots past their expiry are emptied, the oldest first."""
    return member_tasks.run_points_expiry()


@task()
def evaluate_member_tiers() -> dict[str, int]:
    """Member tiers follow the spending within the window, up and down."""
    return member_tasks.run_tier_evaluation()


@task()
def roll_up_daily_figures() -> dict[str, int]:
    """The console home's figures of the last closed days, kept per day so the home adds them up."""
    return analytics_tasks.run_daily_figures()


@task()
def prune_history() -> dict[str, int]:
    """Forget finished task results and enqueue records past their keeping time. A job's record for its
    current period is always kept, so pruning never lets a period be enqueued twice."""
    from django_tasks_db.models import DBTaskResult

    from .models import ScheduledRun
    from .schedule import scheduled

    now = timezone.now()
    keep = now - timedelta(days=keep_days())
    keep_failed = now - timedelta(days=keep_failed_days())
    results = DBTaskResult.objects.successful().filter(finished_at__lt=keep).delete()[0]
    results += DBTaskResult.objects.failed().filter(finished_at__lt=keep_failed).delete()[0]
    runs = 0
    for job in scheduled():
        deleted, _kinds = (
            ScheduledRun.objects.filter(job=job.name, enqueued_at__lt=keep).exclude(period_key=job.period_key(now)).delete()
        )
        runs += deleted
    return {"task_results_pruned": results, "scheduled_runs_pruned": runs}


@task()
def noop() -> dict[str, int]:
    """Does nothing: for measuring the queue itself and for checking that a worker is alive."""
    return {}


def keep_days() -> int:
    return int(getattr(settings, "FENXIAO_JOBS_KEEP_DAYS", 30))


def keep_failed_days() -> int:
    return int(getattr(settings, "FENXIAO_JOBS_KEEP_FAILED_DAYS", 90))
