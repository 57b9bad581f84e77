"""The schedule: every periodic job, its cadence and the period it acts on. One table, read by the
scheduler (which enqueues each job once per period) and by `run_jobs` (which runs them in-process).

A period key names one run of a job:
- every minute: the UTC minute, "2026-12-06T07:31Z" (the order sweeps and the commission accrual act
  on "what is due now");
- hourly: the UTC hour, "2026-12-06T07Z" (local midnight is on the hour, so the first run of a local
  day starts within a tick of it);
- daily: the local day, "2026-12-06" (the settlement batch of the operator's schedule that is due
  that day; on a weekly or monthly schedule the batch runs on its day and the other days do nothing);
- monthly: the closed local month the job is for, "2026-11", due from local midnight on the 1st of
  the next month. The month is passed to the task, so a task that waits in the queue past another
  month boundary still pays and evaluates the right month.

A scheduler that was stopped does not replay the periods it missed: the minute and day jobs act on
what is due when they run (a missed settlement day is caught up by the next batch), and a monthly
job is due for the whole following month. An older month is run by hand (`run_team_bonus --month`,
`run_level_evaluation --month`, `close_leaderboards --period`).

Jobs of one tick are enqueued in table order, and a single worker takes them in that order; with
several workers they may run side by side, which every job allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.commissions import tasks as commission_tasks
from fenxiao.common import periods

from . import tasks
from .errors import JobsCode, JobsError


class Cadence(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


def period_key(cadence: Cadence, now: datetime) -> str:
    if cadence == Cadence.MINUTE:
        return f"{now.astimezone(UTC):%Y-%m-%dT%H:%M}Z"
    if cadence == Cadence.HOUR:
        return f"{now.astimezone(UTC):%Y-%m-%dT%H}Z"
    if cadence == Cadence.DAY:
        return f"{periods.local_today(now):%Y-%m-%d}"
    return periods.previous_month(now)


def _no_arguments(key: str) -> dict[str, Any]:
    return {}


def _month(key: str) -> dict[str, Any]:
    return {"month": key}


@dataclass(frozen=True)
class Job:
    name: str
    task: Any  # a django task (tasks.*)
    cadence: Cadence
    label: Any
    arguments: Callable[[str], dict[str, Any]] = _no_arguments

    def period_key(self, now: datetime) -> str:
        return period_key(self.cadence, now)

    def run_now(self, now: datetime | None = None) -> dict[str, int]:
        """Run the job's current period here, in this process (not through the queue)."""
        return self.task.call(**self.arguments(self.period_key(now or timezone.now())))


SCHEDULE: tuple[Job, ...] = (
    Job("orders.sweep", tasks.sweep_orders, Cadence.MINUTE, _("订单超时取消、自动收货与完成")),
    Job("payments.refund_resend", tasks.resend_refunds, Cadence.MINUTE, _("重发未确认的微信退款")),
    Job("withdrawals.transfer_check", tasks.check_transfers, Cadence.MINUTE, _("查询未出结果的微信转账提现")),
    # Marketing activities: a flash sale's stock moves in before its reminders go out; the unpaid
    # orders swept above have released their units before the unsold ones go back.
    Job("promotions.flash_start", tasks.start_flash_sales, Cadence.MINUTE, _("秒杀开始：库存转入秒杀库存")),
    Job("growth.flash_reminders", tasks.send_flash_reminders, Cadence.MINUTE, _("秒杀开抢提醒")),
    Job("promotions.flash_return", tasks.return_flash_stock, Cadence.MINUTE, _("秒杀结束：未售库存退回平台仓")),
    Job("promotions.flash_admission", tasks.reconcile_flash_admission, Cadence.MINUTE, _("秒杀：核对 Redis 抢购计数")),
    Job("orders.expire_groups", tasks.expire_groups, Cadence.MINUTE, _("拼团到期：模拟成团或失败退款")),
    Job("promotions.expire_bargains", tasks.expire_bargains, Cadence.MINUTE, _("砍价到期结束")),
    # Runs right after every payment commits; every minute too, in case that run was lost.
    Job("commissions.accrual", commission_tasks.accrue_commissions, Cadence.MINUTE, _("已付款订单的预估佣金入账")),
    # Each parcel is asked about at most once per FENXIAO_TRACKING_POLL_MINUTES; the minute run spreads them.
    Job("orders.poll_tracking", tasks.poll_tracking, Cadence.MINUTE, _("查询已发货包裹的物流轨迹（签收开始自动收货计时）")),
    Job("catalog.cost_changes", tasks.apply_cost_changes, Cadence.MINUTE, _("到期的成本价调整生效")),
    Job("growth.stock_alerts", tasks.safety_stock_alerts, Cadence.MINUTE, _("安全库存预警：通知供应链人员")),
    Job("commissions.settlement", tasks.settle_commissions, Cadence.DAY, _("佣金结算批次")),
    Job("supply.issue_statements", tasks.issue_supplier_statements, Cadence.DAY, _("供应商对账单出账（按周或按月）")),
    Job("commissions.team_bonus", tasks.propose_team_bonus, Cadence.MONTH, _("上月团队奖励（提交审批）"), _month),
    Job("growth.level_evaluation", tasks.evaluate_levels, Cadence.MONTH, _("上月分销等级评估"), _month),
    Job("supply.evaluate_suppliers", tasks.evaluate_suppliers, Cadence.MONTH, _("上月供应商考核（预警与暂停）"), _month),
    Job("growth.leaderboard_close", tasks.close_leaderboards, Cadence.MONTH, _("排行榜结榜发奖")),
    # Just after local midnight the day that closed, and every hour again in case a run was lost.
    Job("analytics.daily_figures", tasks.roll_up_daily_figures, Cadence.HOUR, _("首页每日经营数据汇总")),
    Job("members.expire_points", tasks.expire_points, Cadence.DAY, _("会员积分到期清理")),
    Job("members.evaluate_tiers", tasks.evaluate_member_tiers, Cadence.DAY, _("会员等级评定（可升可降）")),
    Job("jobs.prune", tasks.prune_history, Cadence.DAY, _("清理过期的任务记录")),
)


_ADDED: list[Job] = []


def add(job: Job) -> None:
    """A periodic job of an app above this one (the console) joins the schedule, from that app's
    `AppConfig.ready`; adding the same name again changes nothing."""
    if all(existing.name != job.name for existing in (*SCHEDULE, *_ADDED)):
        _ADDED.append(job)


def scheduled() -> tuple[Job, ...]:
    """The whole schedule: the table above, then the jobs added by the apps above this one."""
    return (*SCHEDULE, *_ADDED)


def job_named(name: str) -> Job:
    for job in scheduled():
        if job.name == name:
            return job
    raise JobsError(JobsCode.UNKNOWN_JOB, gettext("没有这个定时任务：%(name)s") % {"name": name}, {"job": name}, status=404)
