"""Cancelling one shipment of a paid order before it ships (the supplier is out of stock, the address
is not served): its stock is released and what its lines paid is refunded; a large refund waits for
finance's approval first (maker–checker), as an operator's cancel of a whole order does."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext

from fenxiao.common.duties import refuse_own
from fenxiao.common.money import yuan
from fenxiao.inventory import services as inventory
from fenxiao.payments import services as payments

from ..errors import OrderCode, OrderError
from ..models import OrderLine, Shipment
from . import activities
from .refunds import awaiting_approval_note, needs_refund_approval, propose_refund_approval
from .shipments import SH, SHIPMENT_MACHINE, SHIPPED_OR_LATER, follow_shipments, locked_shipments, not_found
from .states import S, locked_order, move_order, note_on_order, reservation_reference

__all__ = [
    "SHIPMENT_CANCEL_APPROVAL",
    "cancel_shipment",
    "pending_shipment_cancel",
    "shipment_cancel_approved",
    "shipment_cancel_rejected",
    "shipment_refund_fen",
]


def shipment_refund_fen(shipment_id: int) -> int:
    """What the lines of a shipment paid and have not had back."""
    total = OrderLine.objects.filter(shipment_id=shipment_id).aggregate(left=Sum(F("paid_fen") - F("refunded_fen"), default=0))[
        "left"
    ]
    return int(total or 0)


SHIPMENT_CANCEL_APPROVAL = "shipment_cancel_refund"


def _cancel_reference(shipment_id: int) -> str:
    return f"shipment:{shipment_id}"


def pending_shipment_cancel(shipment_id: int):
    """The staff's cancel of this shipment that waits for finance, if any (it cannot ship meanwhile)."""
    from fenxiao.approvals import services as approvals

    return approvals.pending(SHIPMENT_CANCEL_APPROVAL, _cancel_reference(shipment_id))


@transaction.atomic
def cancel_shipment(*, shipment_id: int, actor, reason: str, approved: bool = False) -> Shipment:
    """Staff cancel one shipment of a paid order before it ships (the supplier is out of stock, the
    address is not served): its SKUs are released, what its lines paid is refunded in one refund
    (`shipment-cancel:<id>`, booked on its lines when it succeeds), and the shipment is cancelled. The
    order is cancelled when every shipment is; it ships when every other one already has.

    A refund above the approval limit waits for a finance colleague (maker–checker, as an operator's
    cancel of a whole order): the shipment stays to ship, held, until it is approved (`approved`: then
    cancelled and refunded) or rejected (it ships as usual)."""
    reason = (reason or "").strip()[:200]
    if not reason:
        raise OrderError(OrderCode.REASON_REQUIRED, gettext("请填写取消原因"))
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise not_found(shipment_id)
    order = locked_order(order_id)
    refuse_own(actor, order.user_id, what=f"order:{order.number}")
    shipments = locked_shipments(order)
    shipment = next(s for s in shipments if s.pk == shipment_id)
    if shipment.status in SHIPPED_OR_LATER:
        raise OrderError(
            OrderCode.ALREADY_SHIPPED,
            gettext("该发货单已发货，不能取消；请走售后"),
            {"shipment_id": shipment.pk, "status": shipment.status},
            status=409,
        )
    SHIPMENT_MACHINE.check(shipment.status, SH.CANCELLED)
    if order.status != S.PAID:
        raise OrderError(
            OrderCode.INVALID_TRANSITION,
            gettext("只有已付款、待发货的订单可以取消单个发货单"),
            {"status": order.status},
            status=409,
        )
    amount_fen = shipment_refund_fen(shipment.pk)
    if not approved and amount_fen > 0 and needs_refund_approval(amount_fen):
        if pending_shipment_cancel(shipment.pk) is None:
            propose_refund_approval(
                kind=SHIPMENT_CANCEL_APPROVAL,
                reference=_cancel_reference(shipment.pk),
                order=order,
                amount_fen=amount_fen,
                reason=reason,
                actor=actor,
                payload={"shipment_id": shipment.pk, "reason": reason},
            )
            note_on_order(
                order,
                gettext("申请取消发货单（%(route)s）：%(reason)s；%(waiting)s，审批前暂停该发货单发货")
                % {"route": shipment.route, "reason": reason, "waiting": awaiting_approval_note(amount_fen)},
                actor=actor,
            )
        return shipment
    sku_ids = sorted(set(OrderLine.objects.filter(shipment=shipment).values_list("sku_id", flat=True)))
    inventory.release(reference=reservation_reference(order.pk), actor=actor, note=reason, sku_ids=sku_ids)
    SHIPMENT_MACHINE.move(shipment, SH.CANCELLED, actor=actor, note=reason)
    note_on_order(
        order,
        gettext("取消发货单（%(route)s）：%(reason)s，退款 ¥%(amount)s")
        % {"route": shipment.route, "reason": reason, "amount": yuan(amount_fen)},
        actor=actor,
    )
    if all(s.status == SH.CANCELLED for s in shipments):
        order.cancel_reason = reason
        move_order(order, S.CANCELLED, actor=actor, note=reason, extra_fields=("cancel_reason",))
        activities.order_ended(order)
    else:
        follow_shipments(order, shipments, actor=actor)
    if amount_fen > 0 and order.payment_id:
        payments.refund_payment(
            payment_id=order.payment_id,
            amount_fen=amount_fen,
            reason=reason,
            idempotency_key=f"shipment-cancel:{shipment.pk}",
            actor=actor,
        )
    if not approved and (request := pending_shipment_cancel(shipment.pk)) is not None:
        from fenxiao.approvals import services as approvals

        approvals.withdraw(request_id=request.pk, actor=actor, note=gettext("发货单已取消"))
    return shipment


@transaction.atomic
def shipment_cancel_approved(request, actor) -> dict:
    """Approval handler: finance approved the cancel of a shipment; cancel and refund it."""
    shipment_id = int(request.payload["shipment_id"])
    amount_fen = shipment_refund_fen(shipment_id)
    cancel_shipment(shipment_id=shipment_id, actor=actor, reason=str(request.payload.get("reason") or ""), approved=True)
    return {"shipment_id": shipment_id, "amount_fen": amount_fen}


@transaction.atomic
def shipment_cancel_rejected(request, actor) -> None:
    """Approval handler: finance refused; the shipment stays to ship."""
    order_id = Shipment.objects.filter(pk=int(request.payload["shipment_id"])).values_list("order_id", flat=True).first()
    if order_id is not None:
        note_on_order(
            locked_order(order_id),
            gettext("财务未批准取消发货单：%(reason)s") % {"reason": request.decision_note or gettext("未说明")},
            actor=actor,
        )
