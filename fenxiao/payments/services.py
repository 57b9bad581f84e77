"""The only code that writes payments, refunds and notifications.

Every status change is a conditional UPDATE (`… WHERE status = 'pending'`): of any number of
concurrent attempts exactly one changes the row, and only that one writes the PaymentEvent and calls
the purpose's handler, inside the same transaction. Refunds reserve their amount with
`refunded_fen = refunded_fen + n WHERE refunded_fen + n <= amount_fen`, so concurrent refunds can
never add up to more than was paid; a refund that fails gives its reservation back.

Calls to WeChat Pay are never made inside a database transaction, this module's or the caller's
(`wechatpay.call` refuses): a payment is recorded and committed, WeChat Pay is asked, and its answer is
recorded in a second short transaction. A failed ask keeps the payment, and asking again sends the
same out_trade_no. A refund is sent to WeChat Pay after the transaction that recorded it commits
(`transaction.on_commit`), so a refund the caller's transaction rolls back is never sent; one whose
call failed stays PENDING with its amount reserved and `resend_pending_refunds` sends it again under
the same out_refund_no.

Refused notifications are counted per (reason, source, hour) with a bounded sample (PaymentRefusal);
money reported for an already-paid or closed payment becomes a PaymentDuplicate for finance.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.validation import CONTROL_CHARACTERS

from . import registry, wechatpay
from .errors import PaymentError
from .models import Notification, Payment, PaymentDuplicate, PaymentEvent, PaymentRefusal, Provider, Refund

logger = logging.getLogger(__name__)

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
_KEPT_HEADERS = (
    "wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial", "content-type", "user-agent",
    "request-id",
)
MAX_KEPT_HEADER = 512
REFUSED_OUTCOMES = frozenset({Outcome.FORGED, Outcome.STALE, Outcome.TAMPERED, Outcome.TOO_LARGE})


# --- helpers ------------------------------------------------------------------------------------


def _new_number(prefix: str) -> str:
    """A merchant order / refund number: letters and digits only, 27 characters (WeChat allows 32/64)."""
    return f"{prefix}{timezone.localtime():%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None


def _check_amount(amount_fen: Any) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise PaymentError(
            "invalid_amount",
            gettext("金额必须是大于 0 的整数（单位：分）"),
            {"amount_fen": amount_fen if isinstance(amount_fen, int | float) else str(amount_fen)},
            status=422,
        )
    return amount_fen


def _wechatpay_config() -> wechatpay.Config:
    try:
        return wechatpay.load_config()
    except wechatpay.NotConfigured as exc:
        raise PaymentError(
            "provider_not_configured",
            gettext("微信支付尚未配置，暂不能使用"),
            {"provider": Provider.WECHATPAY, "missing": exc.missing, "problem": exc.problem},
            status=400,
        ) from exc


def _check_provider(provider: str) -> wechatpay.Config | None:
    if provider == Provider.DEV:
        if not settings.FENXIAO_DEV_PAYMENTS:
            raise PaymentError(
                "provider_not_available", gettext("开发环境模拟支付未启用"), {"provider": Provider.DEV}, status=400
            )
        return None
    if provider == Provider.WECHATPAY:
        return _wechatpay_config()
    raise PaymentError("unknown_provider", gettext("不支持的支付渠道"), {"provider": str(provider)}, status=422)


def _get_payment(payment_id: int) -> Payment:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise PaymentError("payment_not_found", gettext("支付单不存在"), {"payment_id": payment_id}, status=404)
    return payment


def _invalid_transition(payment: Payment, to_status: str) -> PaymentError:
    return PaymentError(
        "invalid_transition",
        gettext("支付单当前状态（%(current)s）不能变为 %(target)s")
        % {"current": S(payment.status).label, "target": S(to_status).label},
        {"payment_id": payment.pk, "from": payment.status, "to": to_status},
        status=409,
    )


def _transition(payment_id: int, to_status: str, *, from_status: str = S.PENDING, actor=None, note: str = "",
                **fields: Any) -> Payment | None:
    """Move a payment from `from_status` to `to_status` if it is still in `from_status`; write the
    event row. Returns the updated payment, or None when another transaction got there first.
    Call inside a transaction."""
    if to_status not in TRANSITIONS[from_status]:
        raise PaymentError("invalid_transition", "transition not allowed", {"from": from_status, "to": to_status}, status=409)
    now = timezone.now()
    updates: dict[str, Any] = {"status": to_status, **fields}
    if to_status == S.SUCCEEDED:
        updates["succeeded_at"] = now
    elif to_status == S.CLOSED:
        updates["closed_at"] = now
    if not Payment.objects.filter(pk=payment_id, status=from_status).update(**updates):
        return None
    PaymentEvent.objects.create(
        payment_id=payment_id, from_status=from_status, to_status=to_status, actor=_actor(actor), note=note[:200]
    )
    return Payment.objects.get(pk=payment_id)


def _succeed(payment_id: int, *, actor=None, note: str = "", provider_txn_id: str = "", payer_openid: str = "") -> Payment | None:
    """PENDING → SUCCEEDED and the purpose's on_paid, in the caller's transaction. Only the caller whose
    UPDATE changed the row gets a payment back (and runs the handler); everyone else gets None."""
    fields: dict[str, Any] = {}
    if provider_txn_id:
        fields["provider_txn_id"] = provider_txn_id[:64]
    if payer_openid:
        fields["payer_openid"] = payer_openid[:128]
    payment = _transition(payment_id, S.SUCCEEDED, actor=actor, note=note, **fields)
    if payment is None:
        return None
    handler = registry.get_handler(payment.purpose)
    if handler is None:
        raise PaymentError(
            "no_handler",
            gettext("没有处理“%(purpose)s”支付结果的模块") % {"purpose": payment.purpose},
            {"purpose": payment.purpose, "payment_id": payment.pk},
            status=409,
        )
    handler.on_paid(payment)
    return payment


def _succeed_refund(refund_id: int, *, provider_refund_id: str = "") -> Refund | None:
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


def _fail_refund(refund_id: int, *, reason: str, provider_refund_id: str = "") -> Refund | None:
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


# --- payments -----------------------------------------------------------------------------------


def create_payment(*, purpose: str, reference: str, amount_fen: int, description: str, provider: str = "dev",
                   payer_openid: str = "") -> Payment:
    """Open a payment for (purpose, reference), or return the open one for the same amount and provider.

    dev: a PENDING payment, nothing external. wechatpay: also places the JSAPI order with WeChat Pay
    and stores its prepay_id (hand `jsapi_params(payment)` to the WeChat client). Two steps: the
    payment is recorded and committed first, then WeChat Pay is asked outside any transaction; so
    call this outside a transaction (or use `open_payment` inside yours and `prepare_payment` after)."""
    if provider == Provider.WECHATPAY:
        wechatpay.ensure_no_transaction()
    payment = open_payment(purpose=purpose, reference=reference, amount_fen=amount_fen, description=description,
                           provider=provider, payer_openid=payer_openid)
    return prepare_payment(payment)


def open_payment(*, purpose: str, reference: str, amount_fen: int, description: str, provider: str = "dev",
                 payer_openid: str = "") -> Payment:
    """Record the PENDING payment of (purpose, reference), or return the open one for the same amount,
    provider and payer; no call to any provider. Safe inside the caller's transaction."""
    purpose = purpose if isinstance(purpose, str) else ""
    if not registry.PURPOSE_RE.match(purpose):
        raise PaymentError("invalid_purpose", gettext("支付用途不正确"), {"purpose": str(purpose)}, status=422)
    reference = str(reference if reference is not None else "").strip()
    if not reference or len(reference) > 64:
        raise PaymentError("invalid_reference", gettext("业务编号须为 1–64 个字符"), {"reference": reference}, status=422)
    _check_amount(amount_fen)
    description = (description or "").strip()[:MAX_DESCRIPTION]
    payer_openid = (payer_openid or "").strip()
    _check_provider(provider)
    if provider == Provider.WECHATPAY:
        if not description:
            raise PaymentError("invalid_description", gettext("微信支付需要商品描述"), status=422)
        if not payer_openid or len(payer_openid) > 128:
            raise PaymentError("openid_required", gettext("微信 JSAPI 支付需要付款人的 openid"), status=422)
    with transaction.atomic():
        return _open_payment(purpose, reference, amount_fen, description, provider, payer_openid)


def prepare_payment(payment: Payment) -> Payment:
    """Whatever the provider needs before the payer can pay: for WeChat Pay the JSAPI order, asked
    for outside any transaction and with the payment's own out_trade_no, so that asking again after
    a failure is the same order at WeChat Pay. A payment that has its prepay_id is returned as is."""
    if payment.provider != Provider.WECHATPAY or payment.status != S.PENDING or payment.prepay_id:
        return payment
    _request_prepay(_wechatpay_config(), payment)
    return payment


def _reuse(existing: Payment, amount_fen: int, provider: str, payer_openid: str) -> Payment:
    if existing.status == S.SUCCEEDED:
        raise PaymentError(
            "already_paid", gettext("该业务已支付"), {"payment_id": existing.pk, "purpose": existing.purpose,
                                                  "reference": existing.reference}, status=409
        )
    if existing.amount_fen != amount_fen or existing.provider != provider or (
        provider == Provider.WECHATPAY and existing.payer_openid != payer_openid
    ):
        raise PaymentError(
            "payment_open",
            gettext("该业务已有一笔待支付的支付单（金额、渠道或付款人不同），请先关闭它"),
            {"payment_id": existing.pk, "amount_fen": existing.amount_fen, "provider": existing.provider},
            status=409,
        )
    return existing


def _open_payment(purpose: str, reference: str, amount_fen: int, description: str, provider: str,
                  payer_openid: str) -> Payment:
    existing = Payment.objects.filter(purpose=purpose, reference=reference, status__in=OPEN_STATUSES).first()
    if existing is not None:
        return _reuse(existing, amount_fen, provider, payer_openid)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    purpose=purpose,
                    reference=reference,
                    provider=provider,
                    out_trade_no=_new_number("P"),
                    amount_fen=amount_fen,
                    description=description,
                    payer_openid=payer_openid,
                )
        except IntegrityError:
            # Another request opened the payment of this reference first (or, vanishingly rarely,
            # the generated number was taken): use theirs, or draw a new number.
            existing = Payment.objects.filter(purpose=purpose, reference=reference, status__in=OPEN_STATUSES).first()
            if existing is not None:
                return _reuse(existing, amount_fen, provider, payer_openid)
            continue
        PaymentEvent.objects.create(payment=payment, from_status="", to_status=S.PENDING, note=gettext("创建支付单"))
        return payment
    raise PaymentError("number_exhausted", gettext("支付单号生成失败，请重试"), status=409)  # pragma: no cover


def _request_prepay(conf: wechatpay.Config, payment: Payment) -> None:
    payload = {
        "appid": conf.appid,
        "mchid": conf.mchid,
        "description": payment.description,
        "out_trade_no": payment.out_trade_no,
        "notify_url": conf.notify_url,
        "amount": {"total": payment.amount_fen, "currency": "CNY"},
        "payer": {"openid": payment.payer_openid},
    }
    try:
        data = wechatpay.call(conf, "POST", "/v3/pay/transactions/jsapi", payload)
    except wechatpay.ProviderUnavailable as exc:
        # The order may or may not exist at WeChat Pay; the payment stays PENDING and asking again
        # sends the same out_trade_no, which WeChat Pay treats as the same order.
        logger.warning("WeChat Pay JSAPI order for payment %s: no answer (%s)", payment.out_trade_no, exc)
        raise PaymentError(
            "provider_unavailable", gettext("微信支付暂时无法下单，请稍后重试"), {"payment_id": payment.pk}, status=424
        ) from exc
    except wechatpay.ProviderRejected as exc:
        logger.warning("WeChat Pay refused the JSAPI order for payment %s: %s", payment.out_trade_no, exc)
        with transaction.atomic():
            _transition(payment.pk, S.FAILED, note=f"JSAPI {exc.code}: {exc.message}")
        raise PaymentError(
            "provider_error",
            gettext("微信支付拒绝了下单请求：%(message)s") % {"message": exc.message or exc.code},
            {"payment_id": payment.pk, "provider_code": exc.code},
            status=424,
        ) from exc
    prepay_id = data.get("prepay_id")
    if not isinstance(prepay_id, str) or not prepay_id or len(prepay_id) > 64:
        logger.warning("WeChat Pay JSAPI answer for payment %s has no usable prepay_id", payment.out_trade_no)
        raise PaymentError(
            "provider_unavailable", gettext("微信支付暂时无法下单，请稍后重试"), {"payment_id": payment.pk}, status=424
        )
    Payment.objects.filter(pk=payment.pk, status=S.PENDING).update(prepay_id=prepay_id)
    payment.prepay_id = prepay_id


def jsapi_params(payment) -> dict:
    """What the WeChat client needs to pay (wx.requestPayment / getBrandWCPayRequest): appId,
    timeStamp, nonceStr, package ("prepay_id=…"), signType "RSA" and paySign."""
    if payment.provider != Provider.WECHATPAY or payment.status != S.PENDING or not payment.prepay_id:
        raise PaymentError(
            "not_payable",
            gettext("该支付单不能发起微信支付"),
            {"payment_id": payment.pk, "provider": payment.provider, "status": payment.status},
            status=409,
        )
    return wechatpay.jsapi_sign(_wechatpay_config(), payment.prepay_id)


def complete_dev_payment(*, payment_id: int, actor=None) -> Payment:
    """The development provider's "pay now". A second call on a paid payment returns it unchanged."""
    payment = _get_payment(payment_id)
    if payment.provider != Provider.DEV:
        raise PaymentError(
            "not_dev", gettext("只有开发环境支付单可以直接完成支付"), {"payment_id": payment.pk, "provider": payment.provider},
            status=409,
        )
    if payment.status == S.SUCCEEDED:
        return payment
    if payment.status != S.PENDING:
        raise _invalid_transition(payment, S.SUCCEEDED)
    with transaction.atomic():
        paid = _succeed(payment.pk, actor=actor, note=gettext("开发环境模拟支付"), provider_txn_id=f"DEV{payment.out_trade_no}")
    if paid is not None:
        return paid
    payment.refresh_from_db()
    if payment.status == S.SUCCEEDED:
        return payment
    raise _invalid_transition(payment, S.SUCCEEDED)


def closing_asks_provider(payment: Payment) -> bool:
    """Whether closing the payment sends a request to its provider (then close it outside any
    transaction, e.g. once the caller's has committed)."""
    return payment.provider == Provider.WECHATPAY and bool(payment.prepay_id)


def close_payment(*, payment_id: int, actor=None) -> Payment:
    """PENDING → CLOSED. For WeChat Pay the order is closed there first, so it can no longer be paid.
    Closing a closed payment returns it unchanged."""
    payment = _get_payment(payment_id)
    if payment.status == S.CLOSED:
        return payment
    if payment.status != S.PENDING:
        raise _invalid_transition(payment, S.CLOSED)
    if closing_asks_provider(payment):
        # Without a prepay_id nobody was ever given the means to pay, so there is nothing to close there.
        conf = _wechatpay_config()
        try:
            wechatpay.call(conf, "POST", f"/v3/pay/transactions/out-trade-no/{payment.out_trade_no}/close", {"mchid": conf.mchid})
        except wechatpay.ProviderUnavailable as exc:
            logger.warning("WeChat Pay close of %s: no answer (%s)", payment.out_trade_no, exc)
            raise PaymentError(
                "provider_unavailable", gettext("微信支付暂时无法关闭订单，请稍后重试"), {"payment_id": payment.pk}, status=424
            ) from exc
        except wechatpay.ProviderRejected as exc:
            raise PaymentError(
                "provider_error",
                gettext("微信支付拒绝关闭订单：%(message)s") % {"message": exc.message or exc.code},
                {"payment_id": payment.pk, "provider_code": exc.code},
                status=424,
            ) from exc
    with transaction.atomic():
        closed = _transition(payment.pk, S.CLOSED, actor=actor, note=gettext("关闭支付单"))
    if closed is not None:
        return closed
    payment.refresh_from_db()
    if payment.status == S.CLOSED:
        return payment
    raise _invalid_transition(payment, S.CLOSED)


# --- refunds ------------------------------------------------------------------------------------


def _check_replay(refund: Refund, payment_id: int, amount_fen: int) -> Refund:
    if refund.payment_id != payment_id or refund.amount_fen != amount_fen:
        raise PaymentError(
            "idempotency_mismatch",
            gettext("该幂等键已用于另一笔退款（支付单或金额不同）"),
            {"idempotency_key": refund.idempotency_key, "refund_id": refund.pk, "payment_id": refund.payment_id,
             "amount_fen": refund.amount_fen},
            status=422,
        )
    return refund


def refund_payment(*, payment_id: int, amount_fen: int, reason: str, idempotency_key: str, actor=None) -> Refund:
    """Refund part or all of a succeeded payment. The same idempotency_key returns the same refund.

    dev: succeeds at once (on_refunded runs in this transaction). wechatpay: PENDING until WeChat Pay
    reports the result (in its answer, or later in a refund notification)."""
    _check_amount(amount_fen)
    key = (idempotency_key or "").strip() if isinstance(idempotency_key, str) else ""
    if not key or len(key) > 128:
        raise PaymentError("invalid_idempotency_key", gettext("幂等键须为 1–128 个字符"), status=422)
    reason = (reason or "").strip()[:200]
    try:
        with transaction.atomic():
            refund = _reserve_refund(payment_id, amount_fen, reason, key, actor)
    except IntegrityError:
        # A concurrent request with the same key recorded its refund first.
        existing = Refund.objects.select_related("payment").filter(idempotency_key=key).first()
        if existing is None:
            raise
        refund = _check_replay(existing, payment_id, amount_fen)
    if refund.payment.provider == Provider.WECHATPAY and refund.status == RS.PENDING and not refund.provider_refund_id:
        # Sent once the refund is committed, outside any transaction; if that call fails or never
        # happens, the refund stays PENDING and resend_pending_refunds sends it again.
        refund_id = refund.pk

        def submit_after_commit() -> None:
            submit_wechatpay_refund(refund_id)

        transaction.on_commit(submit_after_commit, robust=True)
        refund.refresh_from_db()
    return refund


def _reserve_refund(payment_id: int, amount_fen: int, reason: str, key: str, actor) -> Refund:
    existing = Refund.objects.select_related("payment").filter(idempotency_key=key).first()
    if existing is not None:
        return _check_replay(existing, payment_id, amount_fen)
    payment = _get_payment(payment_id)
    if payment.status != S.SUCCEEDED:
        raise PaymentError(
            "not_refundable", gettext("只有支付成功的支付单可以退款"), {"payment_id": payment.pk, "status": payment.status},
            status=409,
        )
    reserved = Payment.objects.filter(
        pk=payment.pk, status=S.SUCCEEDED, refunded_fen__lte=F("amount_fen") - amount_fen
    ).update(refunded_fen=F("refunded_fen") + amount_fen)
    if not reserved:
        payment.refresh_from_db()
        raise PaymentError(
            "refund_exceeds_paid",
            gettext("退款金额超过可退金额（最多还可退 %(left)s 分）") % {"left": payment.refundable_fen},
            {"payment_id": payment.pk, "requested_fen": amount_fen, "refundable_fen": payment.refundable_fen},
            status=409,
        )
    refund = Refund.objects.create(
        payment=payment,
        out_refund_no=_new_number("R"),
        amount_fen=amount_fen,
        reason=reason,
        idempotency_key=key,
        requested_by=_actor(actor),
    )
    if payment.provider == Provider.DEV:
        _succeed_refund(refund.pk, provider_refund_id=f"DEV{refund.out_refund_no}")
    return Refund.objects.select_related("payment").get(pk=refund.pk)


def submit_wechatpay_refund(refund_id: int) -> Refund:
    """Send a PENDING refund to WeChat Pay (again: the out_refund_no makes it the same refund there)
    and record what the answer says. Never raises for the provider's sake; failures are logged and
    a refund without an answer stays PENDING."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RS.PENDING or refund.provider_refund_id:
        return refund
    payment = refund.payment
    try:
        conf = wechatpay.load_config()
    except wechatpay.NotConfigured as exc:
        logger.error("refund %s not sent: WeChat Pay is not configured (%s)", refund.out_refund_no, exc)
        return refund
    payload: dict[str, Any] = {
        "out_trade_no": payment.out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "notify_url": conf.refund_notify_url,
        "amount": {"refund": refund.amount_fen, "total": payment.amount_fen, "currency": "CNY"},
    }
    if refund.reason:
        payload["reason"] = refund.reason[:MAX_REFUND_REASON_SENT]
    try:
        data = wechatpay.call(conf, "POST", "/v3/refund/domestic/refunds", payload)
    except wechatpay.ProviderUnavailable as exc:
        logger.warning("refund %s: no answer from WeChat Pay, stays pending (%s)", refund.out_refund_no, exc)
        return refund
    except wechatpay.ProviderRejected as exc:
        with transaction.atomic():
            _fail_refund(refund.pk, reason=f"{exc.code}: {exc.message}")
        refund.refresh_from_db()
        return refund

    status = data.get("status")
    provider_refund_id = str(data.get("refund_id") or "")[:64]
    amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    if "refund" in amount and amount["refund"] != refund.amount_fen:
        logger.error("refund %s: WeChat Pay answered amount %r, expected %s", refund.out_refund_no, amount["refund"], refund.amount_fen)
        return refund
    try:
        with transaction.atomic():
            if status == "SUCCESS":
                _succeed_refund(refund.pk, provider_refund_id=provider_refund_id)
            elif status in ("CLOSED", "ABNORMAL"):
                _fail_refund(refund.pk, reason=f"WeChat Pay {status}", provider_refund_id=provider_refund_id)
            elif provider_refund_id:
                Refund.objects.filter(pk=refund.pk, status=RS.PENDING).update(provider_refund_id=provider_refund_id)
    except Exception:
        logger.exception("refund %s: recording WeChat Pay's answer failed; the notification will retry", refund.out_refund_no)
    refund.refresh_from_db()
    return refund


def resend_pending_refunds(*, now=None, older_than_seconds: int | None = None) -> int:
    """Scheduled: send again every WeChat Pay refund recorded but never acknowledged by WeChat Pay
    (no answer, a crash between the commit and the call). The out_refund_no makes each the same
    refund at WeChat Pay, so sending again never refunds twice. Returns how many were sent."""
    now = now or timezone.now()
    if older_than_seconds is None:
        older_than_seconds = int(getattr(settings, "FENXIAO_REFUND_RESEND_AFTER_SECONDS", 120))
    cutoff = now - timedelta(seconds=older_than_seconds)
    pending = Refund.objects.filter(
        status=RS.PENDING, provider_refund_id="", payment__provider=Provider.WECHATPAY, created_at__lte=cutoff
    ).values_list("pk", flat=True)
    sent = 0
    for refund_id in list(pending):
        submit_wechatpay_refund(refund_id)
        sent += 1
    return sent


# --- notifications ------------------------------------------------------------------------------


def _log_notification(headers: dict[str, str], body: bytes, *, outcome: str, verified: bool = False, event_type: str = "",
                      payment: Payment | None = None, notification_id: str = "") -> Notification:
    return Notification.objects.create(
        provider=Provider.WECHATPAY,
        notification_id=notification_id,
        event_type=event_type[:32],
        verified=verified,
        outcome=outcome,
        payment=payment,
        headers=headers,
        body=_stored_text(body, MAX_STORED_BODY),
    )


def _stored_text(data: bytes, limit: int) -> str:
    """The first `limit` bytes as text a database can hold: undecodable bytes and control characters
    (NUL above all, which PostgreSQL refuses) become U+FFFD."""
    return CONTROL_CHARACTERS.sub("\ufffd", data[:limit].decode("utf-8", errors="replace"))


def _kept_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: CONTROL_CHARACTERS.sub("\ufffd", headers[name][:MAX_KEPT_HEADER]) for name in _KEPT_HEADERS if name in headers}


def _refusal_log_due(count: int) -> bool:
    """Log the 1st, 10th, 100th, … refusal of a (reason, source, hour): a flood writes a few lines."""
    while count >= 10 and count % 10 == 0:
        count //= 10
    return count == 1


def record_refusal(*, reason: str, body: bytes, headers: dict[str, str] | None = None, source_address: str = "",
                   provider: str = Provider.WECHATPAY, now=None) -> PaymentRefusal:
    """Count one refused notification in its (provider, reason, source, hour) row; the first of the
    hour leaves a sample of bounded size (its first bytes, length and SHA-256), never the whole body."""
    now = now or timezone.now()
    body = bytes(body or b"")
    key = {
        "provider": provider,
        "reason": reason,
        "source_address": (source_address or "")[:45],
        "hour": now.replace(minute=0, second=0, microsecond=0),
    }
    bump = {"count": F("count") + 1, "total_bytes": F("total_bytes") + len(body), "last_seen_at": now}
    if not PaymentRefusal.objects.filter(**key).update(**bump):
        sample_bytes = int(getattr(settings, "FENXIAO_PAYMENT_REFUSAL_SAMPLE_BYTES", 2048))
        try:
            with transaction.atomic():
                PaymentRefusal.objects.create(
                    **key,
                    count=1,
                    total_bytes=len(body),
                    sample=_stored_text(body, sample_bytes),
                    sample_length=len(body),
                    sample_sha256=hashlib.sha256(body).hexdigest(),
                    sample_headers=_kept_headers({str(k).lower(): str(v) for k, v in (headers or {}).items()}),
                )
        except IntegrityError:
            PaymentRefusal.objects.filter(**key).update(**bump)  # another request created the row first
    refusal = PaymentRefusal.objects.get(**key)
    if _refusal_log_due(refusal.count):
        logger.warning(
            "%s notification refused as %s from %s (%s this hour, %s bytes in all)",
            provider, reason, key["source_address"] or "?", refusal.count, refusal.total_bytes,
        )
    return refusal


def handle_wechatpay_notification(*, headers: dict[str, str], body: bytes, source_address: str = "") -> Notification:
    """Verify, decrypt and apply one WeChat Pay notification. Every verified notification leaves one
    Notification row; a refused one is counted in PaymentRefusal and the Notification returned (to say
    what the answer is) is not saved.

    Refused without changing anything:
    - forged: signature headers missing, serial of no known platform key, or a signature that does
      not match the body (this includes a body changed after signing);
    - stale: correctly signed, but the timestamp is 300 s or more away from now (a replay);
    - tampered: correctly signed, but the body is not JSON or its encrypted resource fails AES-GCM
      authentication / does not decrypt with the APIv3 key.
    A verified TRANSACTION.SUCCESS whose out_trade_no is unknown or whose amount.total is not the
    payment's amount changes nothing either (unknown_payment, amount_mismatch). One that reports a
    second transaction for a paid payment, or money for a closed one, is recorded as a
    PaymentDuplicate for finance (duplicate_payment) and acknowledged."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    body = bytes(body or b"")
    log = partial(_log_notification, _kept_headers(lowered), body)

    def refuse(outcome: str) -> Notification:
        record_refusal(reason=outcome, body=body, headers=lowered, source_address=source_address)
        return Notification(provider=Provider.WECHATPAY, outcome=outcome)

    try:
        conf = wechatpay.load_config()
    except wechatpay.NotConfigured as exc:
        refusal = record_refusal(reason=Outcome.FORGED, body=body, headers=lowered, source_address=source_address)
        if _refusal_log_due(refusal.count):
            logger.error("WeChat Pay notification refused: WeChat Pay is not configured (%s)", exc)
        return Notification(provider=Provider.WECHATPAY, outcome=Outcome.FORGED)
    try:
        wechatpay.verify_signed_message(conf, lowered, body)
    except wechatpay.VerificationError as exc:
        logger.debug("WeChat Pay notification refused as %s: %s", exc.outcome, exc.reason)
        return refuse(exc.outcome)
    try:
        envelope = json.loads(body)
        if not isinstance(envelope, dict):
            raise ValueError("notification body is not a JSON object")
        resource = wechatpay.decrypt_resource(conf, envelope.get("resource"))
    except (ValueError, wechatpay.DecryptionError) as exc:
        logger.debug("WeChat Pay notification refused as tampered: %s", exc)
        return refuse(Outcome.TAMPERED)

    event_id = str(envelope.get("id") or "")[:64]
    event_type = str(envelope.get("event_type") or "")[:32]
    log = partial(log, verified=True, event_type=event_type)
    if event_id:
        applied = Notification.objects.filter(provider=Provider.WECHATPAY, notification_id=event_id).first()
        if applied is not None:
            return log(outcome=Outcome.DUPLICATE, payment=applied.payment)
    if event_type == "TRANSACTION.SUCCESS":
        return _apply_transaction(conf, resource, event_id, log)
    if event_type in ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED"):
        return _apply_refund_event(conf, resource, event_id, event_type, log)
    logger.info("WeChat Pay notification %s of type %r needs nothing", event_id, event_type)
    return log(outcome=Outcome.IGNORED)


def _apply_transaction(conf: wechatpay.Config, resource: dict, event_id: str, log) -> Notification:
    out_trade_no = resource.get("out_trade_no")
    payment = None
    if isinstance(out_trade_no, str) and out_trade_no and resource.get("mchid") == conf.mchid:
        payment = Payment.objects.filter(provider=Provider.WECHATPAY, out_trade_no=out_trade_no).first()
    if payment is None:
        logger.warning("WeChat Pay notification %s for unknown payment %r", event_id, out_trade_no)
        return log(outcome=Outcome.UNKNOWN_PAYMENT)
    if resource.get("trade_state") != "SUCCESS":
        return log(outcome=Outcome.IGNORED, payment=payment)
    amount = resource.get("amount")
    total = amount.get("total") if isinstance(amount, dict) else None
    if type(total) is not int or total != payment.amount_fen:
        logger.error(
            "WeChat Pay notification %s: payment %s paid %r fen, expected %s", event_id, payment.out_trade_no, total, payment.amount_fen
        )
        return log(outcome=Outcome.AMOUNT_MISMATCH, payment=payment)
    payer = resource.get("payer") if isinstance(resource.get("payer"), dict) else {}
    try:
        with transaction.atomic():
            paid = _succeed(
                payment.pk,
                note=gettext("微信支付通知 %(id)s") % {"id": event_id},
                provider_txn_id=str(resource.get("transaction_id") or ""),
                payer_openid=str(payer.get("openid") or ""),
            )
            if paid is not None:
                return log(outcome=Outcome.APPLIED, payment=paid, notification_id=event_id)
    except Exception:
        logger.exception("WeChat Pay notification %s: payment %s could not be applied", event_id, payment.out_trade_no)
        return log(outcome=Outcome.ERROR, payment=payment)
    payment.refresh_from_db()
    txn_id = str(resource.get("transaction_id") or "")[:64]
    if payment.status == S.SUCCEEDED and (not txn_id or not payment.provider_txn_id or txn_id == payment.provider_txn_id):
        return log(outcome=Outcome.DUPLICATE, payment=payment)
    kind = PaymentDuplicate.Kind.SECOND_TRANSACTION if payment.status == S.SUCCEEDED else PaymentDuplicate.Kind.PAID_AFTER_CLOSE
    _record_duplicate(payment, kind=kind, provider_txn_id=txn_id, amount_fen=total, notification_id=event_id)
    return log(outcome=Outcome.DUPLICATE_PAYMENT, payment=payment, notification_id=event_id)


def _record_duplicate(payment: Payment, *, kind: str, provider_txn_id: str, amount_fen: int,
                      notification_id: str) -> PaymentDuplicate:
    """Money the provider received that the books do not hold: an open item for finance, logged at
    ERROR. Recorded once per (payment, transaction), however often the provider repeats it."""
    duplicate, created = PaymentDuplicate.objects.get_or_create(
        payment=payment,
        provider_txn_id=provider_txn_id,
        defaults={"kind": kind, "amount_fen": amount_fen, "notification_id": notification_id},
    )
    if created:
        logger.error(
            "DUPLICATE PAYMENT: %s reports transaction %s of %s fen for payment %s (%s, status %s, transaction %s); "
            "to refund or reconcile: payment duplicate #%s",
            payment.provider, provider_txn_id or "?", amount_fen, payment.out_trade_no, kind, payment.status,
            payment.provider_txn_id or "—", duplicate.pk,
        )
    return duplicate


def resolve_duplicate(*, duplicate_id: int, actor, note: str) -> PaymentDuplicate:
    """Finance marks a duplicate payment as refunded in the provider's merchant platform or reconciled."""
    note = (note or "").strip()[:200]
    if not note:
        raise PaymentError("note_required", gettext("请填写处理说明（已退款或对账结果）"), status=422)
    duplicate = PaymentDuplicate.objects.filter(pk=duplicate_id).first()
    if duplicate is None:
        raise PaymentError("duplicate_not_found", gettext("重复付款记录不存在"), {"duplicate_id": duplicate_id}, status=404)
    PaymentDuplicate.objects.filter(pk=duplicate_id, status=PaymentDuplicate.Status.OPEN).update(
        status=PaymentDuplicate.Status.RESOLVED, resolved_by=_actor(actor), resolved_at=timezone.now(), resolution_note=note
    )
    duplicate.refresh_from_db()
    return duplicate


def _apply_refund_event(conf: wechatpay.Config, resource: dict, event_id: str, event_type: str, log) -> Notification:
    out_refund_no = resource.get("out_refund_no")
    refund = None
    if isinstance(out_refund_no, str) and out_refund_no and resource.get("mchid", conf.mchid) == conf.mchid:
        refund = (
            Refund.objects.select_related("payment")
            .filter(out_refund_no=out_refund_no, payment__provider=Provider.WECHATPAY)
            .first()
        )
    if refund is None or resource.get("out_trade_no", refund.payment.out_trade_no) != refund.payment.out_trade_no:
        logger.warning("WeChat Pay refund notification %s for unknown refund %r", event_id, out_refund_no)
        return log(outcome=Outcome.UNKNOWN_PAYMENT)
    payment = refund.payment
    amount = resource.get("amount") if isinstance(resource.get("amount"), dict) else {}
    if ("refund" in amount and (type(amount["refund"]) is not int or amount["refund"] != refund.amount_fen)) or (
        "total" in amount and (type(amount["total"]) is not int or amount["total"] != payment.amount_fen)
    ):
        logger.error("WeChat Pay refund notification %s: amounts %r do not match refund %s", event_id, amount, refund.out_refund_no)
        return log(outcome=Outcome.AMOUNT_MISMATCH, payment=payment)
    refund_status = resource.get("refund_status")
    provider_refund_id = str(resource.get("refund_id") or "")
    succeeded = event_type == "REFUND.SUCCESS"
    if succeeded and refund_status not in (None, "SUCCESS"):
        return log(outcome=Outcome.IGNORED, payment=payment)
    try:
        with transaction.atomic():
            if succeeded:
                changed = _succeed_refund(refund.pk, provider_refund_id=provider_refund_id)
            else:
                changed = _fail_refund(refund.pk, reason=f"{event_type} {refund_status or ''}".strip(),
                                       provider_refund_id=provider_refund_id)
            if changed is not None:
                return log(outcome=Outcome.APPLIED, payment=payment, notification_id=event_id)
    except Exception:
        logger.exception("WeChat Pay refund notification %s: refund %s could not be applied", event_id, refund.out_refund_no)
        return log(outcome=Outcome.ERROR, payment=payment)
    refund.refresh_from_db()
    if refund.status == (RS.SUCCEEDED if succeeded else RS.FAILED):
        return log(outcome=Outcome.DUPLICATE, payment=payment)
    logger.error("WeChat Pay reports refund %s as %s, but it is %s: needs an operator", refund.out_refund_no, event_type, refund.status)
    return log(outcome=Outcome.NOT_PENDING, payment=payment)
