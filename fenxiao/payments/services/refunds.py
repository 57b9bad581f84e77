"""Refunds: reserved against the payment with one conditional UPDATE (concurrent refunds can never
add up to more than was paid), sent to WeChat Pay after the transaction that recorded them commits,
and sent again under the same refund number while WeChat Pay has not answered."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from .. import wechatpay
from ..errors import PaymentCode, PaymentError
from ..models import Payment, Provider, Refund
from .common import (
    MAX_REFUND_REASON_SENT,
    RS,
    S,
    actor_or_none,
    check_amount,
    fail_refund,
    get_payment,
    new_number,
    succeed_refund,
)

logger = logging.getLogger("fenxiao.payments.services")


def _check_replay(refund: Refund, payment_id: int, amount_fen: int) -> Refund:
    if refund.payment_id != payment_id or refund.amount_fen != amount_fen:
        raise PaymentError(
            PaymentCode.IDEMPOTENCY_MISMATCH,
            gettext("该幂等键已用于另一笔退款（支付单或金额不同）"),
            {
                "idempotency_key": refund.idempotency_key,
                "refund_id": refund.pk,
                "payment_id": refund.payment_id,
                "amount_fen": refund.amount_fen,
            },
            status=422,
        )
    return refund


def refund_payment(*, payment_id: int, amount_fen: int, reason: str, idempotency_key: str, actor=None) -> Refund:
    """Refund part or all of a succeeded payment. The same idempotency_key returns the same refund.

    dev: succeeds at once (on_refunded runs in this transaction). wechatpay: PENDING until WeChat Pay
    reports the result (in its answer, or later in a refund notification)."""
    check_amount(amount_fen)
    key = (idempotency_key or "").strip() if isinstance(idempotency_key, str) else ""
    if not key or len(key) > 128:
        raise PaymentError(PaymentCode.INVALID_IDEMPOTENCY_KEY, gettext("幂等键须为 1–128 个字符"), status=422)
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
    payment = get_payment(payment_id)
    if payment.status != S.SUCCEEDED:
        raise PaymentError(
            PaymentCode.NOT_REFUNDABLE,
            gettext("只有支付成功的支付单可以退款"),
            {"payment_id": payment.pk, "status": payment.status},
            status=409,
        )
    reserved = Payment.objects.filter(pk=payment.pk, status=S.SUCCEEDED, refunded_fen__lte=F("amount_fen") - amount_fen).update(
        refunded_fen=F("refunded_fen") + amount_fen
    )
    if not reserved:
        payment.refresh_from_db()
        raise PaymentError(
            PaymentCode.REFUND_EXCEEDS_PAID,
            gettext("退款金额超过可退金额（最多还可退 %(left)s 分）") % {"left": payment.refundable_fen},
            {"payment_id": payment.pk, "requested_fen": amount_fen, "refundable_fen": payment.refundable_fen},
            status=409,
        )
    refund = Refund.objects.create(
        payment=payment,
        out_refund_no=new_number("R"),
        amount_fen=amount_fen,
        reason=reason,
        idempotency_key=key,
        requested_by=actor_or_none(actor),
    )
    if payment.provider == Provider.DEV:
        succeed_refund(refund.pk, provider_refund_id=f"DEV{refund.out_refund_no}")
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
            fail_refund(refund.pk, reason=f"{exc.code}: {exc.message}")
        refund.refresh_from_db()
        return refund

    status = data.get("status")
    provider_refund_id = str(data.get("refund_id") or "")[:64]
    amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    if "refund" in amount and amount["refund"] != refund.amount_fen:
        logger.error(
            "refund %s: WeChat Pay answered amount %r, expected %s", refund.out_refund_no, amount["refund"], refund.amount_fen
        )
        return refund
    try:
        with transaction.atomic():
            if status == "SUCCESS":
                succeed_refund(refund.pk, provider_refund_id=provider_refund_id)
            elif status in ("CLOSED", "ABNORMAL"):
                fail_refund(refund.pk, reason=f"WeChat Pay {status}", provider_refund_id=provider_refund_id)
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
