"""A distributor's own earnings: summary, commission orders, monthly statement. Read-only.

Only the distributor's own money is shown; the buyers of its orders are masked. A user who is not a
distributor, or whose profile is not (or no longer) in force, gets 403 `not_distributor` — except a
suspended distributor, who still sees the money it has earned.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from fenxiao.accounts.auth import current_user, member_auth
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import require_distributor

from .. import selectors
from ..errors import CommissionCode, CommissionError
from ..schemas import (
    CommissionOrderOut,
    CommissionOrderPageOut,
    EarningsSummaryOut,
    MonthsOut,
    StatementOut,
)

router = Router(tags=["收益 earnings"], auth=member_auth)


def _earner(request) -> Distributor:
    return require_distributor(current_user(request), statuses=selectors.EARNER_STATUSES)


class OrdersQuery(Schema):
    status: str | None = None
    page: int = 1
    page_size: int = 20


class StatementQuery(Schema):
    month: str | None = None


@router.get("/summary", response=EarningsSummaryOut, summary="我的收益概览")
def summary(request):
    return selectors.earnings_overview(_earner(request))


@router.get("/orders", response=CommissionOrderPageOut, summary="佣金订单（买家脱敏）")
def orders(request, q: Query[OrdersQuery]):
    return selectors.commission_orders(_earner(request), status=q.status or None, page=q.page, page_size=q.page_size)


@router.get("/orders/{order_id}", response=CommissionOrderOut, summary="一笔订单的佣金明细")
def order(request, order_id: int):
    found = selectors.commission_order(_earner(request), order_id)
    if found is None:
        raise CommissionError(CommissionCode.ORDER_NOT_FOUND, _("这笔订单没有你的佣金"), {"order_id": order_id}, status=404)
    return found


@router.get("/statement", response=StatementOut, summary="月度对账单（北京时间，默认本月）")
def statement(request, q: Query[StatementQuery]):
    distributor = _earner(request)
    return selectors.monthly_statement(distributor, q.month if q.month is not None else selectors.current_month())


@router.get("/months", response=MonthsOut, summary="有收支的月份")
def months(request):
    return {"months": selectors.activity_months(_earner(request))}
