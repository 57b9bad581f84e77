"""An order after it was placed: cancelled (released, refunded when paid) by its buyer, by staff (a
large refund after finance's approval) or by the unpaid-order job. Shipping, receipt and completion
go per shipment (`shipments`, `receipt`)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.errors import DomainError
from fenxiao.inventory import services as inventory
from fenxiao.payments import selectors as payment_selectors
from fenxiao.payments import services as payments
from fenxiao.promotions.services import usage as coupon_usage

from .. import hooks
from ..errors import OrderCode, OrderError
from ..models import Order
from . import activities, mall, membership, shipments
from .refunds import awaiting_approval_note, needs_refund_approval, propose_refund_approval
from .states import PAYMENT_PURPOSE, S, locked_order, move_order, note_on_order, reservation_reference

logger = logging.getLogger(__name__)


ORDER_CANCEL_APPROVAL = "order_cancel_refund"


@transaction.atomic
def cancel_order(*, order_id: int, actor, reason: str = "", as_buyer: bool = True, approved: bool = False) -> Order:
    """Cancel before shipping: release the stock; a paid order is refunded in full.

    A buyer's own cancel is immediate (the money returns to the buyer's own payment). When staff cancel
    a paid order whose refund is above the approval limit, the order is held instead: it stays paid
    with its stock reserved and cannot ship, until a finance colleague approves (then it is cancelled
    and refunded, `approved`) or rejects (it stays paid and ships as usual). The returned order is then
    still paid.
    """
    order = locked_order(order_id, user=actor if as_buyer else None)
    reason = (reason or "").strip()[:200] or (gettext("买家取消") if as_buyer else gettext("运营取消"))
    if order.status not in (S.PENDING_PAYMENT, S.PAID):
        raise OrderError(
            OrderCode.INVALID_TRANSITION,
            gettext("订单已发货或已结束，不能取消；请申请售后"),
            {"status": order.status},
            status=409,
        )
    shipments.refuse_once_shipped(order)
    if as_buyer and order.status == S.PAID:
        # a paid 拼团 order waits for its group; one not paid yet has joined nothing and may go
        activities.refuse_held(order, what=gettext("取消订单"))
    was_paid = order.status == S.PAID
    if was_paid and not as_buyer and not approved and needs_refund_approval(order.paid_fen - order.refunded_fen):
        _await_cancel_approval(order, amount_fen=order.paid_fen - order.refunded_fen, reason=reason, actor=actor)
        return order
    inventory.release(reference=reservation_reference(order.pk), actor=actor, note=reason)
    coupon_usage.give_back(reference=reservation_reference(order.pk), actor=actor, note=gettext("订单取消，优惠券退回"))
    # A paid order gives its points back with its refund; one paid nothing (a points-mall exchange
    # paid in points only) has no payment to refund, so it is refunded in full here and now.
    nothing_paid = was_paid and order.paid_fen == 0
    if not was_paid:
        membership.give_back(order)
    mall.order_ended(order)
    shipments.cancel_open_shipments(order, actor=actor, note=reason)
    order.cancel_reason = reason
    move_order(order, S.CANCELLED, actor=actor, note=reason, extra_fields=("cancel_reason",))
    activities.order_ended(order)
    if nothing_paid:
        membership.refunded_in_full(order)
        hooks.cancelled_refunded(order)
    elif was_paid:
        payments.refund_payment(
            payment_id=order.payment_id,
            amount_fen=order.paid_fen - order.refunded_fen,
            reason=reason,
            idempotency_key=f"order-cancel:{order.pk}",
            actor=actor,
        )
    else:
        _close_open_payment(order, actor=actor)
    if not approved:
        _withdraw_cancel_approval(order, actor=actor)
    return order


def _cancel_reference(order_id: int) -> str:
    return f"order:{order_id}"


def pending_cancel_approval(order_id: int):
    """The operator's cancel of this order that waits for finance, if any (the order is held meanwhile)."""
    from fenxiao.approvals import services as approvals

    return approvals.pending(ORDER_CANCEL_APPROVAL, _cancel_reference(order_id))


def _await_cancel_approval(order: Order, *, amount_fen: int, reason: str, actor) -> None:
    if pending_cancel_approval(order.pk) is not None:
        return
    propose_refund_approval(
        kind=ORDER_CANCEL_APPROVAL,
        reference=_cancel_reference(order.pk),
        order=order,
        amount_fen=amount_fen,
        reason=reason,
        actor=actor,
        payload={"order_id": order.pk, "reason": reason},
    )
    note_on_order(
        order,
        gettext("申请取消：%(reason)s；%(waiting)s，审批前暂停发货")
        % {"reason": reason, "waiting": awaiting_approval_note(amount_fen)},
        actor=actor,
    )


def _withdraw_cancel_approval(order: Order, *, actor) -> None:
    """The order was cancelled another way (by its buyer): the operator's held cancel is moot."""
    from fenxiao.approvals import services as approvals

    request = pending_cancel_approval(order.pk)
    if request is not None:
        approvals.withdraw(request_id=request.pk, actor=actor, note=gettext("订单已取消"))


@transaction.atomic
def cancel_after_approval(request, actor) -> dict:
    """Approval handler: finance approved an operator's cancel of a paid order; cancel and refund it."""
    order = locked_order(int(request.payload["order_id"]))
    if order.status != S.PAID:
        raise OrderError(
            OrderCode.INVALID_TRANSITION, gettext("订单已不是待发货状态，不能取消"), {"status": order.status}, status=409
        )
    amount_fen = order.paid_fen - order.refunded_fen
    reason = str(request.payload.get("reason") or "")
    cancel_order(order_id=order.pk, actor=actor, reason=reason, as_buyer=False, approved=True)
    return {"order_id": order.pk, "amount_fen": amount_fen}


@transaction.atomic
def cancel_rejected(request, actor) -> None:
    """Approval handler: finance refused the cancel; the order stays paid and may ship."""
    order = locked_order(int(request.payload["order_id"]))
    note_on_order(
        order,
        gettext("财务未批准取消：%(reason)s") % {"reason": request.decision_note or gettext("未说明")},
        actor=actor,
    )


def _close_open_payment(order: Order, *, actor=None) -> None:
    """Close the order's payment that is still open, so it cannot be paid any more, once the caller's
    transaction commits (closing may ask the provider, which is never done inside a transaction). If
    the provider says it was paid meanwhile, its notification will arrive and on_payment_succeeded
    deals with it."""
    payment = payment_selectors.current_payment(PAYMENT_PURPOSE, str(order.pk))
    if payment is None or payment.status != "pending":
        return
    if payments.closing_asks_provider(payment):

        def close_after_commit() -> None:
            _close_payment(payment.pk, order.number, actor)

        transaction.on_commit(close_after_commit, robust=True)
    else:
        with transaction.atomic():
            _close_payment(payment.pk, order.number, actor)


def _close_payment(payment_id: int, order_number: str, actor=None) -> None:
    try:
        payments.close_payment(payment_id=payment_id, actor=actor)
    except DomainError as exc:
        logger.info("payment %s of order %s not closed: %s", payment_id, order_number, exc)


def expire_unpaid_orders(*, now=None) -> int:
    """Scheduled: cancel orders left unpaid past their deadline and release their stock. Idempotent."""
    now = now or timezone.now()
    done = 0
    for order_id in Order.objects.filter(status=S.PENDING_PAYMENT, expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            order = locked_order(order_id)
            if order.status != S.PENDING_PAYMENT:
                continue
            inventory.release(reference=reservation_reference(order.pk), note=gettext("超时未付款"))
            coupon_usage.give_back(reference=reservation_reference(order.pk), note=gettext("超时未付款，优惠券退回"))
            membership.give_back(order)
            mall.order_ended(order)
            order.cancel_reason = gettext("超时未付款，系统自动取消")
            shipments.cancel_open_shipments(order, note=order.cancel_reason, at=now)
            move_order(order, S.CANCELLED, note=order.cancel_reason, extra_fields=("cancel_reason",), at=now)
            activities.order_ended(order)
            _close_open_payment(order)
            done += 1
    return done
