"""What the console's home shows a staff member: the to-dos, today's and this month's figures beside
the period before, and the 30-day trend, each part only when the user's permissions allow it.

Every figure comes from a selector of the app that owns it, closed days read from the daily figures
that the same selectors counted; each part costs a fixed number of statements whatever the amount of
data (one per to-do; for the figures and the trend together one for the stored days, then per source
one for today and yesterday and one for the same stretch of last month)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from fenxiao.accounts import selectors as accounts_selectors
from fenxiao.analytics.selectors import daily as daily_figures
from fenxiao.commissions.selectors import figures as commission_figures
from fenxiao.common.figures import LAST_MONTH, MONTH, TODAY, YESTERDAY, Window, change_bp, comparison_windows
from fenxiao.common.periods import local_today
from fenxiao.console.jobs import selectors as job_selectors
from fenxiao.console.models import BackgroundJob
from fenxiao.distribution.selectors import figures as distribution_figures
from fenxiao.inventory import selectors as inventory_selectors
from fenxiao.inventory.models import MAIN_LOCATION
from fenxiao.jobs import selectors as task_selectors
from fenxiao.orders import selectors as order_selectors
from fenxiao.withdrawals import selectors as withdrawal_selectors

TREND_DAYS = 30


def _changelist(model: str, **query: str) -> str:
    app_label, model_name = model.split(".")
    return f"{reverse(f'admin:{app_label}_{model_name}_changelist')}?{urlencode(query)}"


@dataclass
class Todo:
    key: str
    label: str | Promise
    count: int
    url: str
    # A second count inside the first (overdue orders among those to ship), with its own list.
    detail_label: str | Promise = ""
    detail_count: int = 0
    detail_url: str = ""


@dataclass
class Figure:
    key: str
    label: str | Promise
    money: bool
    today: int
    yesterday: int
    month: int
    last_month: int
    today_change_bp: int | None = field(init=False)
    month_change_bp: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.today_change_bp = change_bp(self.today, self.yesterday)
        self.month_change_bp = change_bp(self.month, self.last_month)


def _may(user: Any, perm: str) -> bool:
    return bool(user.has_perm(perm))


def todos(user: Any, now: datetime | None = None) -> list[Todo]:
    """The user's to-dos: one statement for each the user's permissions allow."""
    now = now or timezone.now()
    items: list[Todo] = []
    if _may(user, "distribution.change_distributor"):
        items.append(
            Todo(
                "applications",
                _("待审核的分销商申请"),
                distribution_figures.applications_waiting_count(),
                _changelist("distribution.distributor", status__exact="pending"),
            )
        )
    review, receive = _may(user, "orders.review_aftersale"), _may(user, "orders.receive_return")
    if review or receive:
        backlog = order_selectors.aftersale_backlog()
        if review:
            items.append(
                Todo(
                    "aftersales",
                    _("待审核的售后"),
                    backlog["to_review"],
                    _changelist("orders.aftersale", status__exact="requested"),
                )
            )
        if receive:
            items.append(
                Todo(
                    "returns",
                    _("待确认收货的退货"),
                    backlog["returns_to_receive"],
                    _changelist("orders.aftersale", status__exact="returned"),
                )
            )
    if _may(user, "withdrawals.change_withdrawal"):
        items.append(
            Todo(
                "withdrawals",
                _("待审核的提现"),
                withdrawal_selectors.awaiting_review_count(),
                _changelist("withdrawals.withdrawal", status__exact="requested"),
            )
        )
    if _may(user, "withdrawals.change_payoutbatch"):
        items.append(
            Todo(
                "payout_batches",
                _("待回传结果的打款批次"),
                withdrawal_selectors.batches_awaiting_results_count(),
                _changelist("withdrawals.payoutbatch", status__exact="exported"),
            )
        )
    if _may(user, "orders.ship_order"):
        shipping = order_selectors.shipping_backlog(now=now)
        hours = settings.FENXIAO_SHIP_WITHIN_HOURS
        items.append(
            Todo(
                "to_ship",
                _("待发货的订单"),
                shipping["to_ship"],
                _changelist("orders.order", warehouse="to_ship"),
                detail_label=ngettext("超过 %(hours)d 小时", "超过 %(hours)d 小时", hours) % {"hours": hours},
                detail_count=shipping["overdue"],
                detail_url=_changelist("orders.order", warehouse="overdue"),
            )
        )
    if _may(user, "inventory.view_stockrecord"):
        items.append(
            Todo(
                "below_safety",
                _("低于安全库存的 SKU"),
                inventory_selectors.below_safety_count(),
                _changelist("inventory.stockrecord", location__exact=MAIN_LOCATION, safety="below"),
            )
        )
    if _may(user, "django_tasks_database.view_dbtaskresult"):
        items.append(
            Todo(
                "failed_tasks",
                _("失败的后台任务"),
                task_selectors.failed_task_count(),
                _changelist("django_tasks_database.dbtaskresult", status__exact="FAILED"),
            )
        )
    if user.is_active and user.is_staff:
        items.append(
            Todo(
                "failed_jobs",
                _("失败的后台作业") if job_selectors.sees_all(user) else _("我的失败作业"),
                job_selectors.visible_jobs(user).filter(status=BackgroundJob.Status.FAILED).count(),
                f"{reverse('console:jobs')}?{urlencode({'status': BackgroundJob.Status.FAILED})}",
            )
        )
    return items


# (key, label, permission, source, measure, money): sources sharing a function are read once.
FIGURES: list[tuple[str, str | Promise, str, Callable[[dict], dict], str, bool]] = [
    ("gmv", _("成交额"), "orders.view_order", order_selectors.paid_sales, "gmv_fen", True),
    ("paid_orders", _("付款订单"), "orders.view_order", order_selectors.paid_sales, "orders", False),
    ("visitors", _("访客"), "distribution.view_visit", distribution_figures.visitors, "visitors", False),
    ("new_customers", _("新客户"), "accounts.view_user", accounts_selectors.new_customers, "count", False),
    ("new_distributors", _("新分销商"), "distribution.view_distributor", distribution_figures.new_distributors, "count", False),
    ("commission", _("新增佣金"), "commissions.view_commission", commission_figures.accrued, "amount_fen", True),
]


def figures_and_trend(user: Any, now: datetime | None = None) -> tuple[list[Figure], dict[str, list] | None]:
    """The figures (today and this month so far, each beside the same stretch of yesterday and of last
    month) and the trend (GMV in yuan as a decimal string and paid orders for each of the last 30 local
    days, today included; None when the user may not see orders), read together: closed days from the
    daily figures (see `fenxiao.analytics.selectors.daily`), the rest counted live."""
    now = now or timezone.now()
    windows = comparison_windows(now)
    shown_rows = [row for row in FIGURES if _may(user, row[2])]
    wanted: dict[Callable[[dict], dict], dict[str, Window]] = {row[3]: dict(windows) for row in shown_rows}
    last = local_today(now)
    trend_windows = daily_figures.day_windows(last - timedelta(days=TREND_DAYS - 1), last, now)
    show_trend = _may(user, "orders.view_order")
    if show_trend:
        wanted[order_selectors.paid_sales] = {**wanted.get(order_selectors.paid_sales, {}), **trend_windows}
    read = daily_figures.windowed_figures(wanted, now)
    shown = []
    for key, label, _perm, source, measure, money in shown_rows:
        values = read[source]
        shown.append(
            Figure(
                key,
                label,
                money,
                today=values[TODAY][measure],
                yesterday=values[YESTERDAY][measure],
                month=values[MONTH][measure],
                last_month=values[LAST_MONTH][measure],
            )
        )
    if not show_trend:
        return shown, None
    days = [read[order_selectors.paid_sales][name] for name in trend_windows]
    trend: dict[str, list] = {
        "days": [f"{date.fromisoformat(name):%m-%d}" for name in trend_windows],
        "gmv_yuan": [f"{values['gmv_fen'] // 100}.{values['gmv_fen'] % 100:02d}" for values in days],
        "orders": [values["orders"] for values in days],
    }
    return shown, trend
