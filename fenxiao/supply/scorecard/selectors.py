"""Reads of service levels and the scorecard.

Overdue: a shipment is overdue when it is still to ship and its ship-by time (paid + 48 h, see
`FENXIAO_SHIP_WITHIN_HOURS`) has passed — `overdue_q(now)` is the one definition; the console, the
supplier portal and the scorecard all filter with it. Exactly at ship_by it is not overdue yet.

The figures of a route (a supplier, or the platform warehouse: `supplier_id` None) for one local
calendar month (Asia/Shanghai), computed from the orders with a few grouped SQL aggregations — the
number of queries does not depend on the number of suppliers:

- shipments: its shipments whose order was paid in the month (cancelled ones left out);
- on-time rate: of its shipments whose ship-by time fell in the month, the share shipped no later
  than ship_by; a shipment not shipped yet counts (as late) once its ship_by has passed, and not
  before;
- average hours to ship: paid → shipped, over the month's shipments that have shipped;
- refund rate: refunded amount / paid amount of the lines of the month's shipments (by amount, so a
  refund of half a line counts half); a refund is counted in the month the order was paid;
- return rate: lines with a return-and-refund after-sale (not rejected or withdrawn) / lines;
- complaints: not recorded yet (None, shown as "—").

Rates are basis points, rounded down; None when there is nothing to divide by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Avg, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common import periods
from fenxiao.common.money import BASIS_POINTS, prorate
from fenxiao.orders import selectors as order_selectors
from fenxiao.orders.models import AfterSale, OrderLine, Shipment
from fenxiao.suppliers.models import Supplier

from ..errors import SupplyCode, SupplyError

PLATFORM = None  # the platform warehouse's key among the routes
TREND_MONTHS = 6
SHIPMENT = Shipment.Status


# --- overdue ----------------------------------------------------------------------------------------


def overdue_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Still to ship, and ship_by has passed (strictly): the one definition of "overdue". `prefix`
    applies it through a relation (e.g. "shipments__")."""
    return order_selectors.overdue_q(now, prefix)


def overdue_shipments(now: datetime | None = None, supplier_id: int | None = None, *, platform: bool = False) -> QuerySet:
    """Overdue shipments, the longest overdue first, with their order and supplier: all of them, one
    supplier's (`supplier_id`), or the platform warehouse's (`platform=True`)."""
    qs = Shipment.objects.filter(overdue_q(now)).select_related("order", "supplier").order_by("ship_by", "id")
    if supplier_id is not None:
        qs = qs.filter(supplier_id=supplier_id)
    elif platform:
        qs = qs.filter(supplier__isnull=True)
    return qs


def overdue_counts(now: datetime | None = None) -> dict[int | None, int]:
    """Overdue shipments per supplier id (None: the platform warehouse), in one query."""
    rows = Shipment.objects.filter(overdue_q(now)).values("supplier_id").annotate(n=Count("id")).order_by()
    return {row["supplier_id"]: row["n"] for row in rows}


# --- months -----------------------------------------------------------------------------------------


def parse_month_or_error(text: str | None, now: datetime | None = None) -> date:
    """The first day of a "YYYY-MM" month (the current local month when empty); 422 `invalid_month`
    for anything else."""
    if not text:
        return periods.month_start(periods.month_index(periods.local_today(now)))
    first = periods.parse_month(text)
    if first is None:
        raise SupplyError(SupplyCode.INVALID_MONTH, gettext("月份格式应为 YYYY-MM"), {"month": text}, status=422)
    return first


def shift(first: date, months: int) -> date:
    return periods.month_start(periods.month_index(first) + months)


# --- figures ----------------------------------------------------------------------------------------


@dataclass
class Figures:
    supplier_id: int | None
    month: str
    shipments: int = 0
    shipped: int = 0
    due: int = 0
    on_time: int = 0
    avg_seconds_to_ship: int | None = None
    lines: int = 0
    paid_fen: int = 0
    refunded_fen: int = 0
    returned_lines: int = 0
    complaints: int | None = None  # no complaint tickets yet
    overdue: int = 0  # overdue right now (only filled for the current view)
    verdict: str = "ok"
    reasons: list[str] = field(default_factory=list)

    @property
    def on_time_bp(self) -> int | None:
        return prorate(BASIS_POINTS, self.on_time, self.due) if self.due else None

    @property
    def refund_bp(self) -> int | None:
        return prorate(BASIS_POINTS, min(self.refunded_fen, self.paid_fen), self.paid_fen) if self.paid_fen > 0 else None

    @property
    def return_bp(self) -> int | None:
        return prorate(BASIS_POINTS, self.returned_lines, self.lines) if self.lines else None

    @property
    def avg_hours_to_ship(self) -> float | None:
        """Display only (one decimal)."""
        return None if self.avg_seconds_to_ship is None else round(self.avg_seconds_to_ship / 3600, 1)


def _seconds(value) -> int | None:
    """An average duration as the database gives it: a timedelta (PostgreSQL) or microseconds (SQLite)."""
    if value is None:
        return None
    if hasattr(value, "total_seconds"):
        return int(value.total_seconds())
    return int(value) // 1_000_000


def month_figures(
    first: date, *, supplier_ids: list[int | None] | None = None, now: datetime | None = None
) -> dict[int | None, Figures]:
    """The month's figures per route (supplier id; None the platform warehouse), in three queries
    whatever the number of suppliers. `supplier_ids` narrows to those routes (None in it: the
    platform warehouse). Routes with no shipments in the month are absent."""
    now = now or timezone.now()
    start, end = periods.month_bounds(first)
    label = periods.month_label(first)
    live = Shipment.objects.exclude(status=SHIPMENT.CANCELLED)
    if supplier_ids is not None:
        ids = [i for i in supplier_ids if i is not None]
        narrow = Q(supplier_id__in=ids)
        if PLATFORM in supplier_ids:
            narrow |= Q(supplier__isnull=True)
        live = live.filter(narrow)
    result: dict[int | None, Figures] = {}

    def row(supplier_id):
        if supplier_id not in result:
            result[supplier_id] = Figures(supplier_id=supplier_id, month=label)
        return result[supplier_id]

    to_ship = ExpressionWrapper(F("shipped_at") - F("order__paid_at"), output_field=DurationField())
    paid = (
        live.filter(order__paid_at__gte=start, order__paid_at__lt=end)
        .values("supplier_id")
        .annotate(
            n=Count("id"),
            shipped=Count("id", filter=Q(shipped_at__isnull=False)),
            avg=Avg(to_ship, filter=Q(shipped_at__isnull=False)),
        )
        .order_by()
    )
    for r in paid:
        f = row(r["supplier_id"])
        f.shipments, f.shipped, f.avg_seconds_to_ship = r["n"], r["shipped"], _seconds(r["avg"])

    due = (
        live.filter(ship_by__gte=start, ship_by__lt=end)
        .filter(Q(shipped_at__isnull=False) | Q(ship_by__lt=now))
        .values("supplier_id")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(shipped_at__lte=F("ship_by"))))
        .order_by()
    )
    for r in due:
        f = row(r["supplier_id"])
        f.due, f.on_time = r["n"], r["on_time"]

    returned = AfterSale.objects.filter(line=OuterRef("pk"), kind=AfterSale.Kind.RETURN_REFUND).exclude(
        status__in=[AfterSale.Status.REJECTED, AfterSale.Status.WITHDRAWN]
    )
    lines = (
        OrderLine.objects.filter(shipment__in=live.filter(order__paid_at__gte=start, order__paid_at__lt=end).values("pk"))
        .values("shipment__supplier_id")
        .annotate(
            n=Count("id"),
            paid=Sum("paid_fen"),
            refunded=Sum("refunded_fen"),
            returned=Count("id", filter=Q(Exists(returned))),
        )
        .order_by()
    )
    for r in lines:
        f = row(r["shipment__supplier_id"])
        f.lines, f.paid_fen, f.refunded_fen, f.returned_lines = r["n"], r["paid"] or 0, r["refunded"] or 0, r["returned"]
    for f in result.values():
        judge(f)
    return result


# --- thresholds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    warn_on_time_bp: int
    warn_refund_bp: int
    suspend_on_time_bp: int
    suspend_refund_bp: int
    suspend_min_shipments: int


def thresholds() -> Thresholds:
    """From settings (`FENXIAO_SCORECARD_*`): warn under 95% on time or over 5% refunded; suspend
    under 80% on time or over 15% refunded, with at least 20 shipments in the month."""
    return Thresholds(
        warn_on_time_bp=getattr(settings, "FENXIAO_SCORECARD_WARN_ON_TIME_BP", 9500),
        warn_refund_bp=getattr(settings, "FENXIAO_SCORECARD_WARN_REFUND_BP", 500),
        suspend_on_time_bp=getattr(settings, "FENXIAO_SCORECARD_SUSPEND_ON_TIME_BP", 8000),
        suspend_refund_bp=getattr(settings, "FENXIAO_SCORECARD_SUSPEND_REFUND_BP", 1500),
        suspend_min_shipments=getattr(settings, "FENXIAO_SCORECARD_SUSPEND_MIN_SHIPMENTS", 20),
    )


OK, WARN, SUSPEND = "ok", "warn", "suspend"


def judge(f: Figures, limits: Thresholds | None = None) -> Figures:
    """Set `verdict` (ok / warn / suspend) and the reasons, from the thresholds."""
    limits = limits or thresholds()
    on_time, refund = f.on_time_bp, f.refund_bp
    low_on_time = lambda line: on_time is not None and on_time < line  # noqa: E731
    high_refund = lambda line: refund is not None and refund > line  # noqa: E731
    reasons = []
    if low_on_time(limits.warn_on_time_bp):
        reasons.append("on_time")
    if high_refund(limits.warn_refund_bp):
        reasons.append("refund")
    f.reasons = reasons
    if f.shipments >= limits.suspend_min_shipments and (
        low_on_time(limits.suspend_on_time_bp) or high_refund(limits.suspend_refund_bp)
    ):
        f.verdict = SUSPEND
    elif reasons:
        f.verdict = WARN
    else:
        f.verdict = OK
    return f


# --- views of the figures ---------------------------------------------------------------------------


@dataclass
class ScorecardRow:
    supplier: Supplier | None  # None: the platform warehouse
    figures: Figures
    previous: Figures

    @property
    def supplier_id(self) -> int | None:
        return self.supplier.pk if self.supplier else None

    def change_bp(self, name: str) -> int | None:
        now, before = getattr(self.figures, name), getattr(self.previous, name)
        return None if now is None or before is None else now - before


SORT_KEYS = {
    "on_time": lambda r: (r.figures.on_time_bp is None, r.figures.on_time_bp or 0),
    "refund": lambda r: (r.figures.refund_bp is None, -(r.figures.refund_bp or 0)),
    "return": lambda r: (r.figures.return_bp is None, -(r.figures.return_bp or 0)),
    "shipments": lambda r: -r.figures.shipments,
    "overdue": lambda r: -r.figures.overdue,
    "name": lambda r: (r.supplier is not None, r.supplier.name if r.supplier else ""),
}


def scorecards(first: date, *, sort: str = "on_time", now: datetime | None = None, platform: bool = True) -> list[ScorecardRow]:
    """Every admitted supplier (approved or suspended) and the platform warehouse, with the month's
    figures, the month before's (for the change) and the overdue count now. Worst first by default
    (lowest on-time rate); `sort`: on_time, refund, return, shipments, overdue, name. A constant number
    of queries."""
    now = now or timezone.now()
    suppliers = list(
        Supplier.objects.filter(status__in=[Supplier.Status.APPROVED, Supplier.Status.SUSPENDED]).order_by("name", "id")
    )
    current = month_figures(first, now=now)
    before = month_figures(shift(first, -1), now=now)
    overdue = overdue_counts(now)
    routes: list[Supplier | None] = [*([None] if platform else []), *suppliers]
    rows = []
    for supplier in routes:
        key = supplier.pk if supplier else None
        figures = current.get(key) or judge(Figures(supplier_id=key, month=periods.month_label(first)))
        figures.overdue = overdue.get(key, 0)
        previous = before.get(key) or judge(Figures(supplier_id=key, month=periods.month_label(shift(first, -1))))
        rows.append(ScorecardRow(supplier=supplier, figures=figures, previous=previous))
    rows.sort(key=SORT_KEYS.get(sort, SORT_KEYS["on_time"]))
    return rows


def trend(supplier_id: int | None, last: date, *, months: int = TREND_MONTHS, now: datetime | None = None) -> list[Figures]:
    """One route's figures for `months` months ending with `last`, the oldest first (a month without
    shipments has zeros)."""
    now = now or timezone.now()
    out = []
    for back in range(months - 1, -1, -1):
        first = shift(last, -back)
        found = month_figures(first, supplier_ids=[supplier_id], now=now).get(supplier_id)
        out.append(found or judge(Figures(supplier_id=supplier_id, month=periods.month_label(first))))
    return out


def with_previous(figures: list[Figures]) -> list[tuple[Figures, Figures | None]]:
    return [(f, figures[i - 1] if i else None) for i, f in enumerate(figures)]


def supplier_or_404(supplier_id: int) -> Supplier:
    supplier = Supplier.objects.filter(pk=supplier_id).first()
    if supplier is None:
        raise SupplyError(SupplyCode.SUPPLIER_NOT_FOUND, gettext("供应商不存在"), {"supplier_id": supplier_id}, status=404)
    return supplier


__all__ = [
    "OK",
    "PLATFORM",
    "SUSPEND",
    "TREND_MONTHS",
    "WARN",
    "Figures",
    "ScorecardRow",
    "Thresholds",
    "judge",
    "month_figures",
    "overdue_counts",
    "overdue_q",
    "overdue_shipments",
    "parse_month_or_error",
    "scorecards",
    "shift",
    "supplier_or_404",
    "thresholds",
    "trend",
]
