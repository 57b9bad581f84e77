"""What every order service shares: the status tables and their state machines (each move checked
against the table, time-stamped and written to the order's or after-sale's timeline with the actor),
the order lock and the stock reservation's reference."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy

from fenxiao.common.transitions import StateMachine

from ..errors import OrderCode, OrderError
from ..models import AfterSale, AfterSaleEvent, Order, OrderEvent

PAYMENT_PURPOSE = "order"

S = Order.Status
TRANSITIONS: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.SHIPPED, S.CANCELLED},
    S.SHIPPED: {S.RECEIVED},
    S.RECEIVED: {S.COMPLETED},
    S.COMPLETED: set(),
    # A payment that arrives after the order was cancelled for non-payment revives it when the stock
    # can be reserved again; otherwise the payment is refunded and the order stays cancelled.
    S.CANCELLED: {S.PAID},
}

A = AfterSale.Status
AFTERSALE_TRANSITIONS: dict[str, set[str]] = {
    A.REQUESTED: {A.AWAITING_RETURN, A.AWAITING_APPROVAL, A.REFUNDING, A.REJECTED, A.WITHDRAWN},
    A.AWAITING_RETURN: {A.RETURNED, A.WITHDRAWN},
    A.RETURNED: {A.AWAITING_APPROVAL, A.REFUNDING, A.REJECTED},
    # A refund above the approval limit waits for a finance colleague (maker–checker).
    A.AWAITING_APPROVAL: {A.REFUNDING, A.REJECTED},
    A.REFUNDING: {A.REFUNDED},
    A.REFUNDED: set(),
    A.REJECTED: set(),
    A.WITHDRAWN: set(),
}
OPEN_AFTERSALE = [A.REQUESTED, A.AWAITING_RETURN, A.RETURNED, A.AWAITING_APPROVAL, A.REFUNDING]

ORDER_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=S,
    error=OrderError,
    code=OrderCode.INVALID_TRANSITION,
    event_model=OrderEvent,
    event_fk="order",
    detail_key="number",
    what=gettext_lazy("订单"),
    stamps={
        S.PAID: "paid_at",
        S.SHIPPED: "shipped_at",
        S.RECEIVED: "received_at",
        S.COMPLETED: "completed_at",
        S.CANCELLED: "cancelled_at",
    },
)
AFTERSALE_MACHINE = StateMachine(
    table=AFTERSALE_TRANSITIONS,
    labels=A,
    error=OrderError,
    code=OrderCode.INVALID_TRANSITION,
    event_model=AfterSaleEvent,
    event_fk="aftersale",
    what=gettext_lazy("售后"),
)


def reservation_reference(order_id: int) -> str:
    return f"order:{order_id}"


def move_order(order: Order, to_status: str, *, actor=None, note: str = "", extra_fields=(), at=None) -> Order:
    """`at` lets a scheduled job stamp the time it acts for (the time it was asked to run as)."""
    ORDER_MACHINE.move(order, to_status, actor=actor, note=note, extra_fields=extra_fields, at=at)
    return order


def move_aftersale(aftersale: AfterSale, to_status: str, *, actor=None, note: str = "", extra_fields=()) -> AfterSale:
    AFTERSALE_MACHINE.move(aftersale, to_status, actor=actor, note=note, extra_fields=("updated_at", *extra_fields))
    return aftersale


def note_on_order(order: Order, note: str, *, actor=None) -> None:
    """An event that is not a status change (a refund, a re-reservation), for the order's timeline."""
    ORDER_MACHINE.record(order, order.status, order.status, actor=actor, note=note)


def locked_order(order_id: int, *, user=None) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or (user is not None and order.user_id != user.pk):
        raise OrderError(OrderCode.ORDER_NOT_FOUND, gettext("订单不存在"), {"order_id": order_id}, status=404)
    return order
