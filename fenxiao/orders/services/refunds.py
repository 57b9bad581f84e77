"""Refunds of paid orders: large ones wait for finance's approval (maker–checker), and every refund
that succeeds is booked on the order, its line and its after-sale and told to whoever registered an
order hook (`on_refund_succeeded`, registered with the payments app in apps.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from fenxiao.common.money import yuan
from fenxiao.payments import services as payments
from fenxiao.promotions.services import usage as coupon_usage

from .. import hooks
from ..errors import OrderCode, OrderError
from ..models import AfterSale, Order, OrderLine
from . import activities, membership
from .states import A, locked_order, move_aftersale, note_on_order, reservation_reference

REFUND_APPROVAL = "large_refund"


def refund_approval_limit_fen() -> int:
    """Refunds above this amount need a finance colleague's approval (default ¥500)."""
    return int(getattr(settings, "FENXIAO_REFUND_APPROVAL_FEN", 50000))


def needs_refund_approval(amount_fen: int) -> bool:
    """Whether a refund the staff start (an after-sale's, an operator's cancel) waits for finance."""
    return amount_fen > refund_approval_limit_fen()


def awaiting_approval_note(amount_fen: int) -> str:
    return gettext("退款 ¥%(amount)s 超过 ¥%(limit)s，等待财务审批") % {
        "amount": yuan(amount_fen),
        "limit": yuan(refund_approval_limit_fen()),
    }


def propose_refund_approval(*, kind: str, reference: str, order: Order, amount_fen: int, reason: str, actor, payload: dict):
    """Ask finance to approve a large refund of `order`; the buyer it returns to may not approve it."""
    from fenxiao.approvals import services as approvals

    return approvals.propose(
        kind=kind,
        reference=reference,
        amount_fen=amount_fen,
        summary=gettext("订单 %(number)s 退款 ¥%(amount)s：%(reason)s")
        % {"number": order.number, "amount": yuan(amount_fen), "reason": reason[:80]},
        proposer=actor,
        payload=payload,
        beneficiaries=[order.user_id],
    )


def _await_refund_approval(aftersale: AfterSale, order: Order, *, actor) -> AfterSale:
    move_aftersale(aftersale, A.AWAITING_APPROVAL, actor=actor, note=awaiting_approval_note(aftersale.amount_fen))
    propose_refund_approval(
        kind=REFUND_APPROVAL,
        reference=f"aftersale:{aftersale.pk}",
        order=order,
        amount_fen=aftersale.amount_fen,
        reason=aftersale.reason,
        actor=actor,
        payload={"aftersale_id": aftersale.pk},
    )
    return aftersale


@transaction.atomic
def refund_after_approval(request, actor) -> dict:
    """Approval handler: finance approved a large refund; send it."""
    aftersale = locked_aftersale(request.payload["aftersale_id"])
    if aftersale.status != A.AWAITING_APPROVAL:
        raise OrderError(
            OrderCode.INVALID_TRANSITION, gettext("该售后单不在待审批状态"), {"status": aftersale.status}, status=409
        )
    aftersale = refund_aftersale(aftersale, actor=actor, approved=True)
    return {"aftersale_id": aftersale.pk, "refund_id": aftersale.refund_id, "amount_fen": aftersale.amount_fen}


@transaction.atomic
def refund_rejected(request, actor) -> None:
    """Approval handler: finance refused a large refund; the after-sale is closed with its reason."""
    aftersale = locked_aftersale(request.payload["aftersale_id"])
    if aftersale.status == A.AWAITING_APPROVAL:
        aftersale.reject_reason = (request.decision_note or gettext("财务未批准退款"))[:200]
        move_aftersale(aftersale, A.REJECTED, actor=actor, note=aftersale.reject_reason, extra_fields=("reject_reason",))


def refund_aftersale(aftersale: AfterSale, *, actor, approved: bool = False) -> AfterSale:
    order = Order.objects.get(pk=aftersale.order_id)
    if not approved and needs_refund_approval(aftersale.amount_fen):
        return _await_refund_approval(aftersale, order, actor=actor)
    move_aftersale(aftersale, A.REFUNDING, actor=actor, note=gettext("发起退款"))
    refund = payments.refund_payment(
        payment_id=order.payment_id,
        amount_fen=aftersale.amount_fen,
        reason=aftersale.reason,
        idempotency_key=f"aftersale:{aftersale.pk}",
        actor=actor,
    )
    AfterSale.objects.filter(pk=aftersale.pk).update(refund_id=refund.pk)
    aftersale.refresh_from_db()
    return aftersale


def locked_aftersale(aftersale_id: int, *, user=None) -> AfterSale:
    qs = AfterSale.objects.select_for_update().filter(pk=aftersale_id)
    if user is not None:
        qs = qs.filter(order__user=user)
    aftersale = qs.first()
    if aftersale is None:
        raise OrderError(OrderCode.AFTERSALE_NOT_FOUND, gettext("售后单不存在"), {"aftersale_id": aftersale_id}, status=404)
    return aftersale


def _refunded_in_full(order: Order) -> None:
    """Every line of a paid order refunded after-sale by after-sale: the coupon it used comes back when
    the operator's setting says so, and the gift coupons it earned are taken back."""
    ref = reservation_reference(order.pk)
    if order.user_coupon_id:
        coupon_usage.give_back_after_refund(reference=ref)
    coupon_usage.withdraw_gifts(reference=ref)
    membership.give_back(order)


def on_refund_succeeded(refund) -> None:
    """Refund handler: books the refunded amount on the order, its lines and the after-sale."""
    key = refund.idempotency_key
    kind, _, ident = key.partition(":")
    payment = refund.payment
    order = locked_order(int(payment.reference))
    if kind == "aftersale":
        aftersale = AfterSale.objects.select_for_update().get(pk=int(ident))
        OrderLine.objects.filter(pk=aftersale.line_id).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        Order.objects.filter(pk=order.pk).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        move_aftersale(aftersale, A.REFUNDED, note=gettext("退款成功"))
        line = OrderLine.objects.get(pk=aftersale.line_id)
        membership.line_refunded(order, amount_fen=refund.amount_fen, refund_reference=key)
        hooks.line_refunded(order, line, refund.amount_fen)
        activities.refunded(order, refund.amount_fen)
        if not OrderLine.objects.filter(order=order, refunded_fen__lt=F("paid_fen")).exists():
            _refunded_in_full(order)
    elif kind == "shipment-cancel":
        # One shipment cancelled before it shipped: what its lines paid comes back, line by line.
        lines = list(OrderLine.objects.filter(shipment_id=int(ident), order=order).order_by("id"))
        owed = {line.pk: line.paid_fen - line.refunded_fen for line in lines}
        OrderLine.objects.filter(pk__in=list(owed)).update(refunded_fen=F("paid_fen"))
        Order.objects.filter(pk=order.pk).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        membership.line_refunded(order, amount_fen=refund.amount_fen, refund_reference=key)
        for line in lines:
            if owed[line.pk] > 0:
                line.refunded_fen = line.paid_fen
                hooks.line_refunded(order, line, owed[line.pk])
        activities.refunded(order, refund.amount_fen)
        if not OrderLine.objects.filter(order=order, refunded_fen__lt=F("paid_fen")).exists():
            _refunded_in_full(order)
    elif kind in ("order-cancel", "order-late"):
        OrderLine.objects.filter(order=order).update(refunded_fen=F("paid_fen"))
        Order.objects.filter(pk=order.pk).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        coupon_usage.withdraw_gifts(reference=reservation_reference(order.pk))
        membership.refunded_in_full(order)
        hooks.cancelled_refunded(order)
        activities.refunded(order, refund.amount_fen)
    else:
        # A duplicate payment's refund: the order's own money is untouched.
        pass
    note_on_order(order, gettext("退款 ¥%(amount)s 已到账") % {"amount": yuan(refund.amount_fen)})
