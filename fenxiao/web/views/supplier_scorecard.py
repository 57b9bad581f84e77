"""The supplier's scorecard (/supplier/scorecard/): its own service levels over the last six months —
on-time shipping, average hours to ship, refund and return rates, complaints ("—" until complaint
tickets exist) — as a table and an ECharts trend, with the warning lines and its shipments overdue
now. Reads through the scorecard selectors; anyone but an approved (or suspended) supplier's account
gets the portal's 403 page."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fenxiao.common.money import format_rate
from fenxiao.supply.portal import access
from fenxiao.supply.scorecard import selectors

OVERDUE_SHOWN = 50


def supplier_page(view):
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        supplier = access.supplier_of(request.user)
        if not access.may_use_portal(supplier):
            return render(request, "web/supplier/forbidden.html", {"supplier": supplier}, status=403)
        return view(request, supplier, *args, **kwargs)

    return wrapped


def _rate(bp: int | None) -> str:
    return "—" if bp is None else format_rate(bp)


def _percent(bp: int | None) -> str | None:
    """For the chart: a percentage with two decimals as text (no float arithmetic on the server)."""
    if bp is None:
        return None
    whole, rest = divmod(bp, 100)
    return f"{whole}.{rest:02d}"


@supplier_page
def scorecard(request: HttpRequest, supplier) -> HttpResponse:
    last = selectors.parse_month_or_error(None)
    months = selectors.trend(supplier.pk, last)
    limits = selectors.thresholds()
    rows = [
        {
            "month": f.month,
            "shipments": f.shipments,
            "on_time": _rate(f.on_time_bp),
            "avg_hours": "—" if f.avg_hours_to_ship is None else f"{f.avg_hours_to_ship:.1f}",
            "refund": _rate(f.refund_bp),
            "return": _rate(f.return_bp),
            "complaints": "—" if f.complaints is None else f.complaints,
            "warn_on_time": "on_time" in f.reasons,
            "warn_refund": "refund" in f.reasons,
        }
        for f in months
    ]
    chart = {
        "months": [f.month for f in months],
        "on_time": [_percent(f.on_time_bp) for f in months],
        "refund": [_percent(f.refund_bp) for f in months],
        "return": [_percent(f.return_bp) for f in months],
    }
    labels = {"on_time": _("准时发货率 %"), "refund": _("退款率 %"), "return": _("退货率 %")}
    overdue = list(selectors.overdue_shipments(None, supplier.pk)[:OVERDUE_SHOWN])
    return render(
        request,
        "web/supplier/scorecard.html",
        {
            "supplier": supplier,
            "rows": rows,
            "current": rows[-1],
            "chart": chart,
            "labels": labels,
            "limits": {"on_time": _rate(limits.warn_on_time_bp), "refund": _rate(limits.warn_refund_bp)},
            "overdue": overdue,
        },
    )
