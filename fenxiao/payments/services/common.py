"""What the payment services share: the state machines of payments and refunds, and the steps that
move them (each a conditional UPDATE: of any number of concurrent attempts exactly one changes the
row, and only that one writes the event and calls the purpose's handler, in the same transaction)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fenxiao.common.numbers import business_number
from fenxiao.common.transitions import StateMachine

from .. import registry, wechatpay
from ..errors import PaymentCode, PaymentError
from ..models import Notification, Payment, PaymentEvent, Provider, Refund

logger = logging.getLogger("fenxiao.payments.services")

S = Payment.Status
RS = Refund.Status
Outcome = Notification.Outcome

# from-status → the statuses a payment may move to; SUCCEEDED, CLOSED and FAILED are final.
TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.SUCCEEDED, S.CLOSED, S.FAILED},
    S.SUCCEEDED: set(),
    S.CLOSED: set(),
    S.FAILED: set(),
}
REFUND_TRANSITIONS: dict[str, set[str]] = {
    RS.PENDING: {RS.SUCCEEDED, RS.FAILED},
    RS.SUCCEEDED: set(),
    RS.FAILED: set(),
}

OPEN_STATUSES = (S.PENDING, S.SUCCEEDED)
MAX_DESCRIPTION = 127  # WeChat Pay's limit for `description`
MAX_REFUND_REASON_SENT = 80  # WeChat Pay's limit for a refund's `reason`
MAX_STORED_BODY = 64 * 1024
KEPT_HEADERS = (
    "wechatpay-timestamp",
    "wechatpay-nonce",
    "wechatpay-signature",
    "wechatpay-serial",
    "content-type",
    "user-agent",
    "request-id",
)
MAX_KEPT_HEADER = 512
REFUSED_OUTCOMES = frozenset({Outcome.FORGED, Outcome.STALE, Outcome.TAMPERED, Outcome.TOO_LARGE})


# --- helpers ------------------------------------------------------------------------------------

PAYMENT_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=S,
    error=PaymentError,
    code=PaymentCode.INVALID_TRANSITION,
    event_model=PaymentEvent,
    event_fk="payment",
    what=gettext_lazy("支付单"),
    stamps={S.SUCCEEDED: "succeeded_at", S.CLOSED: "closed_at"},
)


def new_number(prefix: str) -> str:
    """A merchant order / refund number: letters and digits only, 27 characters (WeChat allows 32/64)."""
    return business_number(prefix, random_digits=12)


def actor_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None


def check_amount(amount_fen: Any) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise PaymentError(
            PaymentCode.INVALID_AMOUNT,
            gettext("金额必须是大于 0 的整数（单位：分）"),
            {"amount_fen": amount_fen if isinstance(amount_fen, int | float) else str(amount_fen)},
            status=422,
        )
    return amount_fen


def wechatpay_config() -> wechatpay.Config:
    try:
        return wechatpay.load_config()
    except wechatpay.NotConfigured as exc:
        raise PaymentError(
            PaymentCode.PROVIDER_NOT_CONFIGURED,
            gettext("微信支付尚未配置，暂不能使用"),
            {"provider": Provider.WECHATPAY, "missing": exc.missing, "problem": exc.problem},
            status=400,
        ) from exc


def check_provider(provider: str) -> wechatpay.Config | None:
    if provider == Provider.DEV:
        if not settings.FENXIAO_DEV_PAYMENTS:
            raise PaymentError(
                PaymentCode.PROVIDER_NOT_AVAILABLE, gettext("开发环境模拟支付未启用"), {"provider": Provider.DEV}, status=400
            )
        return None
    if provider == Provider.WECHATPAY:
        return wechatpay_config()
    raise PaymentError(PaymentCode.UNKNOWN_PROVIDER, gettext("不支持的支付渠道"), {"provider": str(provider)}, status=422)


def get_payment(payment_id: int) -> Payment:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise PaymentError(PaymentCode.PAYMENT_NOT_FOUND, gettext("支付单不存在"), {"payment_id": payment_id}, status=404)
    return payment


def invalid_transition(payment: Payment, to_status: str) -> PaymentError:
    return PaymentError(
        PaymentCode.INVALID_TRANSITION,
        gettext("支付单当前状态（%(current)s）不能变为 %(target)s")
        % {"current": S(payment.status).label, "target": S(to_status).label},
        {"payment_id": payment.pk, "from": payment.status, "to": to_status},
        status=409,
    )


def move_payment(
    payment_id: int, to_status: str, *, from_status: str = S.PENDING, actor=None, note: str = "", **fields: Any
) -> Payment | None:
    """Move a payment from `from_status` to `to_status` if it is still in `from_status`; write the
    event row. Returns the updated payment, or None when another transaction got there first.
    Call inside a transaction."""
    return PAYMENT_MACHINE.move_if(Payment, payment_id, from_status, to_status, actor=actor_or_none(actor), note=note, **fields)


def succeed(payment_id: int, *, actor=None, note: str = "", provider_txn_id: str = "", payer_openid: str = "") -> Payment | None:
    """PENDING → SUCCEEDED and the purpose's on_paid, in the caller's transaction. Only the caller whose
    UPDATE changed the row gets a payment back (and runs the handler); everyone else gets None."""
    fields: dict[str, Any] = {}
    if provider_txn_id:
        fields["provider_txn_id"] = provider_txn_id[:64]
    if payer_openid:
        fields["payer_openid"] = payer_openid[:128]
    payment = move_payment(payment_id, S.SUCCEEDED, actor=actor, note=note, **fields)
    if payment is None:
        return None
    handler = registry.get_handler(payment.purpose)
    if handler is None:
        raise PaymentError(
            PaymentCode.NO_HANDLER,
            gettext("没有处理“%(purpose)s”支付结果的模块") % {"purpose": payment.purpose},
            {"purpose": payment.purpose, "payment_id": payment.pk},
            status=409,
        )
    handler.on_paid(payment)
    return payment


def succeed_refund(refund_id: int, *, provider_refund_id: str = "") -> Refund | None:
    """PENDING → SUCCEEDED and the purpose's on_refunded, in the caller's transaction."""
    fields: dict[str, Any] = {"status": RS.SUCCEEDED, "succeeded_at": timezone.now()}
    if provider_refund_id:
        fields["provider_refund_id"] = provider_refund_id[:64]
    if not Refund.objects.filter(pk=refund_id, status=RS.PENDING).update(**fields):
        return None
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    handler = registry.get_handler(refund.payment.purpose)
    if handler is None:
        logger.warning("refund %s succeeded but purpose %r has no handler", refund.out_refund_no, refund.payment.purpose)
    elif handler.on_refunded is not None:
        handler.on_refunded(refund)
    return refund


def fail_refund(refund_id: int, *, reason: str, provider_refund_id: str = "") -> Refund | None:
    """PENDING → FAILED; the reserved amount goes back to the payment."""
    fields: dict[str, Any] = {"status": RS.FAILED, "failure_reason": reason[:200]}
    if provider_refund_id:
        fields["provider_refund_id"] = provider_refund_id[:64]
    if not Refund.objects.filter(pk=refund_id, status=RS.PENDING).update(**fields):
        return None
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    Payment.objects.filter(pk=refund.payment_id).update(refunded_fen=F("refunded_fen") - refund.amount_fen)
    logger.warning("refund %s of %s fen failed: %s", refund.out_refund_no, refund.amount_fen, reason)
    refund.payment.refresh_from_db()
    return refund
