"""The orders a distributor earns on, a page at a time, each with its commission lines. Three
queries per page, however many orders or lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.phone import mask_name, mask_phone

from ..errors import CommissionCode, CommissionError
from ..models import Commission

DEPTH_LABELS = {1: _("直推"), 2: _("间推")}
# The status of a commission order, for the tabs: pending while any of its commissions is; settled
# when none is pending and at least one settled; cancelled when every one was cancelled.
ORDER_STATUSES = (Commission.Status.PENDING, Commission.Status.SETTLED, Commission.Status.CANCELLED)
MAX_PAGE_SIZE = 50


@dataclass(frozen=True)
class CommissionLine:
    commission_id: int
    order_line_id: int
    product_name: str
    sku_spec: str
    quantity: int
    line_paid_fen: int
    line_refunded_fen: int
    depth: int
    depth_label: str  # 直推 / 间推
    base_fen: int  # what the buyer paid for the line: the commission's base
    mode: str  # rate / fixed
    rate_bp: int | None
    fixed_fen: int | None  # per unit, when the mode is fixed
    uncapped_fen: int  # before the margin ceiling
    amount_fen: int  # after the ceiling
    cancelled_fen: int
    clawed_back_fen: int
    net_fen: int
    status: str
    status_label: str
    capped: bool
    capped_note: str  # why the ceiling reduced it


@dataclass(frozen=True)
class CommissionOrder:
    order_id: int
    order_number: str
    order_status: str
    order_status_label: str
    ordered_at: datetime
    paid_at: datetime | None
    buyer_name: str  # masked: 张*
    buyer_phone: str  # masked: 138****1234
    is_self_purchase: bool
    status: str  # pending / settled / cancelled, see ORDER_STATUSES
    status_label: str
    amount_fen: int
    cancelled_fen: int
    clawed_back_fen: int
    net_fen: int
    capped: bool
    lines: tuple[CommissionLine, ...]


@dataclass(frozen=True)
class CommissionOrderPage:
    items: list[CommissionOrder]
    total: int
    page: int
    page_size: int
    status: str | None

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


def _order_status(statuses: set[str]) -> str:
    if Commission.Status.PENDING in statuses:
        return Commission.Status.PENDING
    if Commission.Status.SETTLED in statuses:
        return Commission.Status.SETTLED
    return Commission.Status.CANCELLED


def _commission_orders(rows: list[Commission]) -> list[CommissionOrder]:
    """Group rows (each with its order, buyer and line loaded) into orders, in first-seen order."""
    grouped: dict[int, list[Commission]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    result = []
    for commissions in grouped.values():
        order = commissions[0].order
        lines = tuple(
            CommissionLine(
                commission_id=c.pk,
                order_line_id=c.order_line_id,
                product_name=c.order_line.product_name,
                sku_spec=c.order_line.sku_spec,
                quantity=c.order_line.quantity,
                line_paid_fen=c.order_line.paid_fen,
                line_refunded_fen=c.order_line.refunded_fen,
                depth=c.depth,
                depth_label=str(DEPTH_LABELS.get(c.depth, c.depth)),
                base_fen=c.base_fen,
                mode=c.mode,
                rate_bp=c.rate_bp,
                fixed_fen=c.fixed_fen,
                uncapped_fen=c.uncapped_fen,
                amount_fen=c.amount_fen,
                cancelled_fen=c.cancelled_fen,
                clawed_back_fen=c.clawed_back_fen,
                net_fen=c.net_fen,
                status=c.status,
                status_label=str(Commission.Status(c.status).label),
                capped=c.capped,
                capped_note=c.capped_note,
            )
            for c in commissions
        )
        status = _order_status({c.status for c in commissions})
        result.append(
            CommissionOrder(
                order_id=order.pk,
                order_number=order.number,
                order_status=order.status,
                order_status_label=order.get_status_display(),
                ordered_at=order.created_at,
                paid_at=order.paid_at,
                buyer_name=mask_name(order.user.nickname),
                buyer_phone=mask_phone(order.user.phone),
                is_self_purchase=order.is_self_purchase,
                status=status,
                status_label=str(Commission.Status(status).label),
                amount_fen=sum(line.amount_fen for line in lines),
                cancelled_fen=sum(line.cancelled_fen for line in lines),
                clawed_back_fen=sum(line.clawed_back_fen for line in lines),
                net_fen=sum(line.net_fen for line in lines),
                capped=any(line.capped for line in lines),
                lines=lines,
            )
        )
    return result


def _rows_of_orders(distributor_id: int, order_ids) -> list[Commission]:
    return list(
        Commission.objects.filter(distributor_id=distributor_id, order_id__in=list(order_ids))
        .select_related("order__user", "order_line")
        .order_by("order_line_id", "depth")
    )


def commission_orders(distributor, *, status: str | None = None, page: int = 1, page_size: int = 20) -> CommissionOrderPage:
    """One page of the orders the distributor earns on, newest first (by when its commission was
    recorded), each with its lines; `status` filters by the order's commission status. Three queries."""
    if status and status not in ORDER_STATUSES:
        raise CommissionError(
            CommissionCode.INVALID_STATUS,
            gettext("状态只能是 pending、settled 或 cancelled"),
            {"status": str(status)[:20]},
            status=422,
        )
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    S = Commission.Status
    grouped = (
        Commission.objects.filter(distributor_id=distributor.pk)
        .order_by()
        .values("order_id")
        .annotate(
            n_pending=Count("id", filter=Q(status=S.PENDING)),
            n_settled=Count("id", filter=Q(status=S.SETTLED)),
            latest=Max("created_at"),
        )
    )
    if status == S.PENDING:
        grouped = grouped.filter(n_pending__gt=0)
    elif status == S.SETTLED:
        grouped = grouped.filter(n_pending=0, n_settled__gt=0)
    elif status == S.CANCELLED:
        grouped = grouped.filter(n_pending=0, n_settled=0)
    total = grouped.count()
    start = (page - 1) * page_size
    order_ids = [row["order_id"] for row in grouped.order_by("-latest", "-order_id")[start : start + page_size]]
    items = []
    if order_ids:
        by_id = {o.order_id: o for o in _commission_orders(_rows_of_orders(distributor.pk, order_ids))}
        items = [by_id[order_id] for order_id in order_ids if order_id in by_id]
    return CommissionOrderPage(items=items, total=total, page=page, page_size=page_size, status=status or None)


def commission_order(distributor, order_id: int) -> CommissionOrder | None:
    """The distributor's commissions on one order, or None when it earns nothing on it. One query."""
    found = _commission_orders(_rows_of_orders(distributor.pk, [order_id]))
    return found[0] if found else None
