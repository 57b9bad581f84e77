"""The scorecard API: the operator's list of every supplier (and the platform warehouse) for a month,
one supplier's six-month trend, and the supplier's own scorecard in the portal."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm

from ..portal.access import current_supplier
from . import selectors
from .schemas import ScorecardListOut, ScorecardQuery, ScorecardTrendOut, ScorecardTrendQuery

operator_router = Router(tags=["运营：供应商考核 operator"], auth=member_auth)
router = Router(tags=["供应商门户 supplier"], auth=member_auth)

VIEW_PERM = "suppliers.view_supplier"


def figures_dict(f: selectors.Figures) -> dict:
    return {
        "month": f.month,
        "shipments": f.shipments,
        "shipped": f.shipped,
        "due": f.due,
        "on_time": f.on_time,
        "on_time_bp": f.on_time_bp,
        "avg_hours_to_ship": f.avg_hours_to_ship,
        "lines": f.lines,
        "paid_fen": f.paid_fen,
        "refunded_fen": f.refunded_fen,
        "refund_bp": f.refund_bp,
        "returned_lines": f.returned_lines,
        "return_bp": f.return_bp,
        "complaints": f.complaints,
        "verdict": f.verdict,
        "reasons": list(f.reasons),
    }


def route_name(supplier) -> str:
    return supplier.name if supplier is not None else _("平台仓")


def row_dict(row: selectors.ScorecardRow) -> dict:
    return {
        "supplier_id": row.supplier_id,
        "supplier_name": route_name(row.supplier),
        "supplier_status": row.supplier.status if row.supplier else None,
        "overdue": row.figures.overdue,
        "figures": figures_dict(row.figures),
        "previous": figures_dict(row.previous),
        "change_on_time_bp": row.change_bp("on_time_bp"),
        "change_refund_bp": row.change_bp("refund_bp"),
        "change_return_bp": row.change_bp("return_bp"),
    }


def trend_dict(supplier, months: list[selectors.Figures]) -> dict:
    supplier_id = supplier.pk if supplier else None
    overdue = selectors.overdue_counts().get(supplier_id, 0)
    return {
        "supplier_id": supplier_id,
        "supplier_name": route_name(supplier),
        "overdue": overdue,
        "months": [figures_dict(f) for f in months],
    }


@operator_router.get("", response=ScorecardListOut, summary="供应商考核：每家供应商与平台仓的月度指标")
def scorecard_list(request, q: Query[ScorecardQuery]):
    """准时发货率、平均发货时长、退款率、退货率与上月对比；`sort` 排序（默认准时率最低的在前）。
    月份格式错误返回 422 `invalid_month`。"""
    require_staff_perm(request, VIEW_PERM)
    first = selectors.parse_month_or_error(q.month)
    rows = selectors.scorecards(first, sort=q.sort)
    return {"month": f"{first:%Y-%m}", "rows": [row_dict(r) for r in rows]}


@operator_router.get("/{supplier_id}", response=ScorecardTrendOut, summary="一家供应商最近 6 个月的考核趋势")
def scorecard_trend(request, supplier_id: int, q: Query[ScorecardTrendQuery]):
    """不存在的供应商返回 404 `supplier_not_found`。"""
    require_staff_perm(request, VIEW_PERM)
    supplier = selectors.supplier_or_404(supplier_id)
    last = selectors.parse_month_or_error(q.month)
    return trend_dict(supplier, selectors.trend(supplier.pk, last))


@router.get("", response=ScorecardTrendOut, summary="我的考核：最近 6 个月的准时发货率、退款率等")
def my_scorecard(request, q: Query[ScorecardTrendQuery]):
    supplier = current_supplier(current_user(request))
    last = selectors.parse_month_or_error(q.month)
    return trend_dict(supplier, selectors.trend(supplier.pk, last))
