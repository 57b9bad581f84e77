"""Orders placed in a marketing activity (秒杀, 拼团, 砍价): what every kind shares.

Each kind has its module here (`flash`, `groups`, `bargains`) that places its orders through the one
`checkout.place_order` with the activity's terms; the order's own lifecycle then tells this package
when it was paid, cancelled or refunded (`paid`, `order_ended`, `refunded`), and the package passes
it on to the kind's module. `ActivityOrder` (promotions) links each such order to its activity and
follows it, for the per-person limits and the activity's figures."""

from __future__ import annotations

from types import ModuleType

from django.db.models import F
from django.utils.translation import gettext

from fenxiao.promotions.models import ActivityKind, ActivityOrder

from ...errors import OrderCode, OrderError
from ...models import Order, OrderLine


def record(
    order: Order,
    *,
    kind: str,
    activity_id: int,
    quantity: int,
    item_id: int | None = None,
    join_group_id: int | None = None,
    bargain_id: int | None = None,
) -> ActivityOrder:
    """Link a just-placed order to its activity. `cost_fen` is what the activity gave away on it
    (list price − activity price), a leader reward is added when paid."""
    return ActivityOrder.objects.create(
        order_id=order.pk,
        kind=kind,
        activity_id=activity_id,
        item_id=item_id,
        join_group_id=join_group_id,
        bargain_id=bargain_id,
        user_id=order.user_id,
        quantity=quantity,
        cost_fen=order.discount_fen - int((order.price_breakdown or {}).get("points_fen", 0) or 0),
    )


def link(order: Order, *, lock: bool = False) -> ActivityOrder | None:
    if not order.activity_kind:
        return None
    qs = ActivityOrder.objects.filter(order_id=order.pk)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def paid(order: Order) -> None:
    """The order was paid (in the payment's transaction)."""
    row = link(order, lock=True)
    if row is None:
        return
    ActivityOrder.objects.filter(pk=row.pk).update(state=ActivityOrder.State.PAID, paid_fen=order.paid_fen)
    row.state, row.paid_fen = ActivityOrder.State.PAID, order.paid_fen
    _module(row.kind).on_paid(order, row)


def order_ended(order: Order) -> None:
    """The order was cancelled (unpaid, or paid and refunded in full by the cancel)."""
    row = link(order, lock=True)
    if row is None or row.state in (ActivityOrder.State.CANCELLED, ActivityOrder.State.REFUNDED):
        return
    state = ActivityOrder.State.REFUNDED if row.state == ActivityOrder.State.PAID else ActivityOrder.State.CANCELLED
    ActivityOrder.objects.filter(pk=row.pk).update(state=state)
    previous, row.state = row.state, state
    _module(row.kind).on_ended(order, row, was=previous)


def refunded(order: Order, amount_fen: int) -> None:
    """A refund of `amount_fen` was booked on the order (after-sales, or the cancel's refund)."""
    row = link(order, lock=True)
    if row is None:
        return
    ActivityOrder.objects.filter(pk=row.pk).update(refunded_fen=F("refunded_fen") + amount_fen)
    row.refunded_fen += amount_fen
    # in full: the whole payment back, or every line's goods (after-sales keep the shipping fee)
    in_full = (
        row.refunded_fen >= row.paid_fen
        or not OrderLine.objects.filter(order_id=order.pk, refunded_fen__lt=F("paid_fen")).exists()
    )
    if row.paid_fen > 0 and in_full and row.state == ActivityOrder.State.PAID:
        ActivityOrder.objects.filter(pk=row.pk).update(state=ActivityOrder.State.REFUNDED)
        row.state = ActivityOrder.State.REFUNDED
    _module(row.kind).on_refunded(order, row)


def refuse_held(order: Order, *, what: str) -> None:
    """A 拼团 order waits for its group: no shipping, no buyer's cancel and no after-sales until then."""
    if order.hold == Order.Hold.GROUP:
        raise OrderError(
            OrderCode.ORDER_ON_HOLD,
            gettext("拼团成功前不能%(what)s") % {"what": what},
            {"order": order.number, "hold": order.hold},
            status=409,
        )


def release_hold(order_ids: list[int], *, note: str) -> int:
    """The group succeeded: its orders may ship."""
    from ..states import note_on_order

    held = list(Order.objects.select_for_update().filter(pk__in=order_ids, hold=Order.Hold.GROUP).order_by("pk"))
    for order in held:
        order.hold = ""
        order.save(update_fields=["hold"])
        note_on_order(order, note)
    return len(held)


def _module(kind: str):
    from . import bargains, flash, groups

    modules: dict[str, ModuleType] = {ActivityKind.FLASH: flash, ActivityKind.GROUP: groups, ActivityKind.BARGAIN: bargains}
    return modules[kind]
