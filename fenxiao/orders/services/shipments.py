"""Shipments: the part of an order each fulfilment route ships — the platform warehouse ("main") or one
supplier ("supplier:<id>"). An order is one order for its buyer (one payment, one price breakdown) and
has one shipment per route, each with its own carrier and tracking number, status, automatic receipt
and after-sales window.

The order's status follows its shipments (the cancelled ones left aside): it is shipped when every
shipment is, received when every one is, complete when every one is (`follow_shipments`). A shipment
moves through its own state machine (`SHIPMENT_MACHINE`, with a `ShipmentEvent` per move):

    to_ship → shipped → received → completed;   to_ship → cancelled

Locks are always taken order first, then its shipments (`locked_shipments`), so two routes of one
order shipped at the same moment never deadlock. Receipt and completion are in `receipt`."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fenxiao.common.transitions import StateMachine
from fenxiao.inventory import selectors as inventory_selectors
from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import MAIN_LOCATION, fulfilment_location
from fenxiao.logistics import services as logistics
from fenxiao.logistics.errors import LogisticsError
from fenxiao.promotions.services import referrals

from .. import hooks
from ..errors import OrderCode, OrderError
from ..models import Order, OrderLine, Shipment, ShipmentEvent, ShippedBatch
from . import activities, membership
from .states import OPEN_AFTERSALE, ORDER_MACHINE, S, locked_order, move_order, reservation_reference

__all__ = [
    "MAIN_ROUTE",
    "SHIPMENT_MACHINE",
    "SHIPMENT_TRANSITIONS",
    "follow_shipments",
    "locked_shipments",
    "not_found",
    "open_shipments",
    "route_of",
    "ship_order",
    "ship_shipment",
    "supplier_id_of",
]

SH = Shipment.Status
MAIN_ROUTE = MAIN_LOCATION  # the platform warehouse's route is its stock location

SHIPMENT_TRANSITIONS: dict[str, set[str]] = {
    SH.TO_SHIP: {SH.SHIPPED, SH.CANCELLED},
    SH.SHIPPED: {SH.RECEIVED},
    SH.RECEIVED: {SH.COMPLETED},
    SH.COMPLETED: set(),
    # An order cancelled for non-payment takes its shipments with it; a payment that arrives after
    # that and finds the stock again revives the order, and its shipments with it.
    SH.CANCELLED: {SH.TO_SHIP},
}
SHIPMENT_MACHINE = StateMachine(
    table=SHIPMENT_TRANSITIONS,
    labels=SH,
    error=OrderError,
    code=OrderCode.INVALID_TRANSITION,
    event_model=ShipmentEvent,
    event_fk="shipment",
    what=gettext_lazy("发货单"),
    stamps={
        SH.SHIPPED: "shipped_at",
        SH.RECEIVED: "received_at",
        SH.COMPLETED: "completed_at",
        SH.CANCELLED: "cancelled_at",
    },
)

# How far each shipment status (and the order status that matches it) has come: the order stands
# where its least advanced shipment stands.
_RANK: dict[str, int] = {SH.TO_SHIP: 0, SH.SHIPPED: 1, SH.RECEIVED: 2, SH.COMPLETED: 3}
_ORDER_AT = [S.PAID, S.SHIPPED, S.RECEIVED, S.COMPLETED]
_ORDER_RANK: dict[str, int] = {status: rank for rank, status in enumerate(_ORDER_AT)}
SHIPPED_OR_LATER = (SH.SHIPPED, SH.RECEIVED, SH.COMPLETED)


# --- routes ---------------------------------------------------------------------------------------


def route_of(sku) -> str:
    """The fulfilment route (and stock location) of a SKU: its supplier's, else the platform
    warehouse's. Reads `sku.product` (load the SKU with its product: no query then)."""
    return fulfilment_location(sku.fulfilment_supplier_id)


def supplier_id_of(route: str) -> int | None:
    """The supplier of a route ("supplier:<id>"), None for the platform warehouse."""
    if route == MAIN_ROUTE:
        return None
    prefix, _, ident = route.partition(":")
    if prefix != "supplier" or not ident.isdigit():
        raise ValueError(f"not a fulfilment route: {route!r}")
    return int(ident)


def _route_key(route: str) -> tuple[int, int]:
    """The platform's shipment first, then the suppliers' by id."""
    supplier_id = supplier_id_of(route)
    return (0, 0) if supplier_id is None else (1, supplier_id)


def open_shipments(order: Order, lines: list[OrderLine], routes: list[str]) -> dict[str, Shipment]:
    """At placement: one shipment per route among `routes` (one per line, in the same order), created
    in one statement, and each line's `shipment` set (the lines are not saved yet). Returns the
    shipments by route."""
    by_route = {route: Shipment(order=order, route=route, supplier_id=supplier_id_of(route)) for route in set(routes)}
    created = Shipment.objects.bulk_create([by_route[route] for route in sorted(by_route, key=_route_key)])
    by_route = {shipment.route: shipment for shipment in created}
    for line, route in zip(lines, routes, strict=True):
        line.shipment = by_route[route]
    return by_route


def stock_locations(routes: dict[int, str]) -> dict[int, str]:
    """The reservation's `locations` for the SKUs (by id) of supplier routes: the platform's lines
    keep the caller's location (an activity's own stock, the samples' stock, else the warehouse)."""
    return {sku_id: route for sku_id, route in routes.items() if route != MAIN_ROUTE}


def set_ship_by(order: Order) -> None:
    """Payment arrived: every shipment still to ship is due FENXIAO_SHIP_WITHIN_HOURS later."""
    due = (order.paid_at or timezone.now()) + timedelta(hours=settings.FENXIAO_SHIP_WITHIN_HOURS)
    Shipment.objects.filter(order_id=order.pk, status=SH.TO_SHIP).update(ship_by=due)


def locked_shipments(order: Order) -> list[Shipment]:
    """The order's shipments, locked (the caller holds the order's lock), platform first."""
    rows = list(Shipment.objects.select_for_update().filter(order_id=order.pk).order_by("id"))
    return sorted(rows, key=lambda shipment: _route_key(shipment.route))


def cancel_open_shipments(order: Order, *, actor=None, note: str = "", at=None) -> None:
    """The whole order is cancelled (unpaid, or before any shipment left): so are its shipments."""
    for shipment in locked_shipments(order):
        if shipment.status == SH.TO_SHIP:
            SHIPMENT_MACHINE.move(shipment, SH.CANCELLED, actor=actor, note=note, at=at)


def reopen_shipments(order: Order, *, note: str) -> None:
    """A late payment revived the order: its cancelled shipments are to ship again."""
    for shipment in locked_shipments(order):
        if shipment.status == SH.CANCELLED:
            shipment.cancelled_at = None
            SHIPMENT_MACHINE.move(shipment, SH.TO_SHIP, note=note, extra_fields=("cancelled_at",))


def refuse_once_shipped(order: Order) -> None:
    """A whole order cannot be cancelled once any of its shipments left: ask for an after-sale."""
    if Shipment.objects.filter(order_id=order.pk, status__in=SHIPPED_OR_LATER).exists():
        raise OrderError(
            OrderCode.INVALID_TRANSITION,
            gettext("订单已有商品发货，不能取消整单；请申请售后"),
            {"status": order.status},
            status=409,
        )


# --- the order follows its shipments -----------------------------------------------------------------


def _order_tracking(shipments: list[Shipment]) -> tuple[str, str]:
    """The order's own tracking fields: the platform shipment's, else the first shipped one's."""
    shipped = [s for s in shipments if s.status in SHIPPED_OR_LATER and s.tracking_number]
    for shipment in shipped:
        if shipment.is_platform:
            return shipment.tracking_company, shipment.tracking_number
    return (shipped[0].tracking_company, shipped[0].tracking_number) if shipped else ("", "")


def follow_shipments(order: Order, shipments: list[Shipment], *, actor=None, note: str = "", at=None) -> None:
    """Move the order (locked) as far as its least advanced live shipment, one step at a time, with
    the side effects of each step (completion's referral, membership and hooks). An order whose
    shipments are all cancelled is left to the caller."""
    live = [s for s in shipments if s.status != SH.CANCELLED]
    if not live or order.status not in _ORDER_RANK:
        return
    target = min(_RANK[s.status] for s in live)
    while _ORDER_RANK[order.status] < target:
        to_status = _ORDER_AT[_ORDER_RANK[order.status] + 1]
        extra: tuple[str, ...] = ()
        step_note = note
        if to_status == S.SHIPPED:
            order.tracking_company, order.tracking_number = _order_tracking(shipments)
            extra = ("tracking_company", "tracking_number")
            step_note = note or f"{order.tracking_company} {order.tracking_number}"
        elif to_status == S.RECEIVED:
            step_note = note or gettext("全部商品已收货")
        elif to_status == S.COMPLETED:
            step_note = gettext("售后期结束，订单完成")
        move_order(order, to_status, actor=actor, note=step_note, extra_fields=extra, at=at)
        if to_status == S.COMPLETED:
            referrals.on_order_completed(user_id=order.user_id, reference=order.number)
            membership.completed(order)
            hooks.completed(order)


# --- shipping ---------------------------------------------------------------------------------------


def not_found(shipment_id) -> OrderError:
    return OrderError(OrderCode.SHIPMENT_NOT_FOUND, gettext("发货单不存在"), {"shipment_id": shipment_id}, status=404)


def _tracking_text(value: str, limit: int) -> str:
    return (value or "").strip()[:limit]


def ship_shipment(*, shipment_id: int, actor, carrier, tracking_number: str, supplier=None) -> Shipment:
    """Ship one shipment with a carrier (its code, name or id; 422 unknown_carrier) and a tracking
    number in that carrier's format (422 invalid_tracking_number). With `supplier` (the supplier's
    portal) the shipment must be that supplier's: any other is "not found", never revealed.

    Takes the shipment's own SKUs out of the reservation, records the batches they came from
    (`ShippedBatch`) and moves the shipment; the order becomes shipped when all its shipments are."""
    qs = Shipment.objects.filter(pk=shipment_id) if isinstance(shipment_id, int) else Shipment.objects.none()
    if supplier is not None:
        qs = qs.filter(supplier_id=getattr(supplier, "pk", supplier))
    order_id = qs.values_list("order_id", flat=True).first()
    if order_id is None:
        raise not_found(shipment_id)
    found = logistics.active_carrier(carrier)
    number = logistics.check_number(found, tracking_number)
    with transaction.atomic():
        return _ship(order_id=order_id, shipment_id=shipment_id, actor=actor, carrier=found, company=found.name, number=number)


@transaction.atomic
def ship_order(*, order_id: int, actor, tracking_company: str, tracking_number: str) -> Order:
    """The operator ships the order's platform shipment (console, API, file import). The carrier is
    taken by name or code when it is a known one (then recorded as such); any other name is kept as
    text, as before carriers were listed. The number is checked for its length only here."""
    tracking_company, tracking_number = (tracking_company or "").strip(), (tracking_number or "").strip()
    if not tracking_company or not tracking_number:
        raise OrderError(OrderCode.TRACKING_REQUIRED, gettext("发货须填写快递公司和快递单号"))
    if len(tracking_company) > 32 or len(tracking_number) > 40:
        raise OrderError(OrderCode.TRACKING_REQUIRED, gettext("快递公司或单号过长"))
    try:
        carrier = logistics.active_carrier(tracking_company)
    except LogisticsError:
        carrier = None
    shipment = _ship(
        order_id=order_id,
        shipment_id=None,
        actor=actor,
        carrier=carrier,
        company=carrier.name if carrier else tracking_company,
        number=tracking_number,
    )
    return shipment.order


def _ship(*, order_id: int, shipment_id: int | None, actor, carrier, company: str, number: str) -> Shipment:
    """Under the order's lock: `shipment_id`, or (None) the order's platform shipment."""
    from .lifecycle import pending_cancel_approval
    from .shipment_cancel import pending_shipment_cancel

    order = locked_order(order_id)
    shipments = locked_shipments(order)
    if shipment_id is None:
        shipment = next((s for s in shipments if s.is_platform), None)
        if shipment is None or shipment.status not in SHIPPED_OR_LATER:
            ORDER_MACHINE.check(order.status, S.SHIPPED, obj=order)  # not paid, cancelled, ...
        if shipment is None:
            raise OrderError(
                OrderCode.INVALID_TRANSITION,
                gettext("该订单没有由平台发货的商品"),
                {"order": order.number},
                status=409,
            )
    else:
        shipment = next((s for s in shipments if s.pk == shipment_id), None)
        if shipment is None:
            raise not_found(shipment_id)
    if shipment.status in SHIPPED_OR_LATER:
        raise OrderError(
            OrderCode.ALREADY_SHIPPED,
            gettext("该发货单已发货（%(number)s）") % {"number": shipment.tracking_number},
            {"shipment_id": shipment.pk, "status": shipment.status},
            status=409,
        )
    SHIPMENT_MACHINE.check(shipment.status, SH.SHIPPED)
    if order.status != S.PAID:
        ORDER_MACHINE.check(order.status, S.SHIPPED, obj=order)
    activities.refuse_held(order, what=gettext("发货"))
    if OrderLine.objects.filter(shipment=shipment, aftersales__status__in=OPEN_AFTERSALE).exists():
        raise OrderError(OrderCode.AFTERSALE_OPEN, gettext("订单有进行中的售后，暂不能发货"), status=409)
    if pending_cancel_approval(order.pk) is not None or pending_shipment_cancel(shipment.pk) is not None:
        raise OrderError(OrderCode.CANCEL_AWAITING_APPROVAL, gettext("订单的取消申请正在等待财务审批，暂不能发货"), status=409)
    lines = list(OrderLine.objects.filter(shipment=shipment).order_by("id"))
    sku_ids = sorted({line.sku_id for line in lines})
    reference = reservation_reference(order.pk)
    inventory.consume(reference=reference, actor=actor, sku_ids=sku_ids)
    _record_batches(lines, inventory_selectors.consumed_batches(reference, sku_ids=sku_ids))
    shipment.carrier = carrier
    shipment.tracking_company, shipment.tracking_number = company[:32], number[:40]
    SHIPMENT_MACHINE.move(
        shipment,
        SH.SHIPPED,
        actor=actor,
        note=f"{company} {number}",
        extra_fields=("carrier", "tracking_company", "tracking_number"),
    )
    follow_shipments(order, shipments, actor=actor)
    shipment.order = order
    transaction.on_commit(lambda: hooks.shipment_shipped(shipment), robust=True)
    return shipment


def _record_batches(lines: list[OrderLine], consumed) -> None:
    """Which batches the units of each line came from: a SKU's consumed batches are spread over the
    shipment's lines of that SKU in line order (a bundle component and the same SKU bought alone)."""
    wanted: dict[int, list[list]] = defaultdict(list)
    for line in lines:
        wanted[line.sku_id].append([line, line.quantity])
    rows: dict[tuple[int, int], ShippedBatch] = {}
    for sku_id, batch_id, quantity in consumed:
        left = quantity
        for slot in wanted.get(sku_id, []):
            if left <= 0:
                break
            take = min(left, slot[1])
            if take <= 0:
                continue
            slot[1] -= take
            left -= take
            key = (slot[0].pk, batch_id)
            if key in rows:
                rows[key].quantity += take
            else:
                rows[key] = ShippedBatch(line=slot[0], batch_id=batch_id, quantity=take)
    if rows:
        ShippedBatch.objects.bulk_create(list(rows.values()))
