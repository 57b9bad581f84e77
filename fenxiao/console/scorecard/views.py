"""供应商考核 in the console: every supplier (and the platform warehouse) with the month's service
levels beside the month before, the ones below the warning line highlighted, and the shipments overdue
now; one route's six-month trend. Reads through `fenxiao.supply.scorecard.selectors` only."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fenxiao.common import periods
from fenxiao.common.money import format_rate
from fenxiao.console.access import console_view, context
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.errors import SupplyError
from fenxiao.supply.scorecard import selectors

VIEW_PERM = "suppliers.view_supplier"
OVERDUE_SHOWN = 200
SORTS = [
    ("on_time", _("准时率最低")),
    ("refund", _("退款率最高")),
    ("return", _("退货率最高")),
    ("overdue", _("超时最多")),
    ("shipments", _("发货单最多")),
    ("name", _("名称")),
]


def rate(bp: int | None) -> str:
    return "—" if bp is None else format_rate(bp)


def change(bp: int | None) -> str:
    if bp is None or bp == 0:
        return "" if bp is None else "±0"
    return ("+" if bp > 0 else "-") + format_rate(abs(bp))


def figures_view(f: selectors.Figures) -> dict[str, Any]:
    return {
        "month": f.month,
        "shipments": f.shipments,
        "due": f.due,
        "on_time": rate(f.on_time_bp),
        "avg_hours": "—" if f.avg_hours_to_ship is None else f"{f.avg_hours_to_ship:.1f}",
        "refund": rate(f.refund_bp),
        "return": rate(f.return_bp),
        "complaints": "—" if f.complaints is None else f.complaints,
        "verdict": f.verdict,
        "warn_on_time": "on_time" in f.reasons,
        "warn_refund": "refund" in f.reasons,
    }


def _month(request: HttpRequest):
    try:
        return selectors.parse_month_or_error(request.GET.get("month") or None)
    except SupplyError:
        return selectors.parse_month_or_error(None)


@require_GET
@console_view(VIEW_PERM)
def scorecard_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    first = _month(request)
    sort = request.GET.get("sort") or "on_time"
    rows = selectors.scorecards(first, sort=sort, now=now)
    limits = selectors.thresholds()
    overdue = list(selectors.overdue_shipments(now)[:OVERDUE_SHOWN])
    return render(
        request,
        "console/scorecard/index.html",
        context(
            request,
            title=_("供应商考核"),
            month=periods.month_label(first),
            previous=periods.month_label(selectors.shift(first, -1)),
            next=periods.month_label(selectors.shift(first, 1)),
            sort=sort,
            sorts=SORTS,
            rows=[
                {
                    "supplier": r.supplier,
                    "name": r.supplier.name if r.supplier else _("平台仓"),
                    "now": figures_view(r.figures),
                    "before": figures_view(r.previous),
                    "overdue": r.figures.overdue,
                    "change_on_time": change(r.change_bp("on_time_bp")),
                    "change_refund": change(r.change_bp("refund_bp")),
                    "change_return": change(r.change_bp("return_bp")),
                }
                for r in rows
            ],
            limits={
                "warn_on_time": rate(limits.warn_on_time_bp),
                "warn_refund": rate(limits.warn_refund_bp),
                "suspend_on_time": rate(limits.suspend_on_time_bp),
                "suspend_refund": rate(limits.suspend_refund_bp),
                "suspend_min": limits.suspend_min_shipments,
            },
            overdue=[
                {
                    "shipment": s,
                    "route": s.supplier.name if s.supplier_id else _("平台仓"),
                    "hours": int((now - s.ship_by).total_seconds() // 3600),
                }
                for s in overdue
            ],
            overdue_more=len(overdue) == OVERDUE_SHOWN,
        ),
    )


@require_GET
@console_view(VIEW_PERM)
def scorecard_trend(request: HttpRequest, supplier_id: int | None = None) -> HttpResponse:
    supplier = None
    if supplier_id is not None:
        supplier = Supplier.objects.filter(pk=supplier_id).first()
        if supplier is None:
            raise Http404
    last = _month(request)
    months = selectors.trend(supplier_id, last)
    return render(
        request,
        "console/scorecard/trend.html",
        context(
            request,
            title=_("考核趋势：%(name)s") % {"name": supplier.name if supplier else _("平台仓")},
            supplier=supplier,
            months=[figures_view(f) for f in months],
            overdue=list(selectors.overdue_shipments(None, supplier_id, platform=supplier is None)[:OVERDUE_SHOWN]),
        ),
    )
