"""WeChat Pay's notifications: verified, decrypted and applied once; refused ones counted per
(reason, source, hour) with a bounded sample (PaymentRefusal); money reported for an already-paid or
closed payment becomes a PaymentDuplicate for finance."""

from __future__ import annotations

import hashlib
import json
import logging
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.validation import CONTROL_CHARACTERS

from .. import wechatpay
from ..errors import PaymentCode, PaymentError
from ..models import Notification, Payment, PaymentDuplicate, PaymentRefusal, Provider, Refund
from .common import (
    KEPT_HEADERS,
    MAX_KEPT_HEADER,
    MAX_STORED_BODY,
    RS,
    Outcome,
    S,
    actor_or_none,
    fail_refund,
    succeed,
    succeed_refund,
)

logger = logging.getLogger("fenxiao.payments.services")


def _log_notification(
    headers: dict[str, str],
    body: bytes,
    *,
    outcome: str,
    verified: bool = False,
    event_type: str = "",
    payment: Payment | None = None,
    notification_id: str = "",
) -> Notification:
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
    return {name: CONTROL_CHARACTERS.sub("\ufffd", headers[name][:MAX_KEPT_HEADER]) for name in KEPT_HEADERS if name in headers}


def _refusal_log_due(count: int) -> bool:
    """Log the 1st, 10th, 100th, … refusal of a (reason, source, hour): a flood writes a few lines."""
    while count >= 10 and count % 10 == 0:
        count //= 10
    return count == 1


def record_refusal(
    *,
    reason: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    source_address: str = "",
    provider: str = Provider.WECHATPAY,
    now=None,
) -> PaymentRefusal:
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
            provider,
            reason,
            key["source_address"] or "?",
            refusal.count,
            refusal.total_bytes,
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
            "WeChat Pay notification %s: payment %s paid %r fen, expected %s",
            event_id,
            payment.out_trade_no,
            total,
            payment.amount_fen,
        )
        return log(outcome=Outcome.AMOUNT_MISMATCH, payment=payment)
    payer = resource.get("payer") if isinstance(resource.get("payer"), dict) else {}
    try:
        with transaction.atomic():
            paid = succeed(
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


def _record_duplicate(
    payment: Payment, *, kind: str, provider_txn_id: str, amount_fen: int, notification_id: str
) -> PaymentDuplicate:
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
            payment.provider,
            provider_txn_id or "?",
            amount_fen,
            payment.out_trade_no,
            kind,
            payment.status,
            payment.provider_txn_id or "—",
            duplicate.pk,
        )
    return duplicate


def resolve_duplicate(*, duplicate_id: int, actor, note: str) -> PaymentDuplicate:
    """Finance marks a duplicate payment as refunded in the provider's merchant platform or reconciled."""
    note = (note or "").strip()[:200]
    if not note:
        raise PaymentError(PaymentCode.NOTE_REQUIRED, gettext("请填写处理说明（已退款或对账结果）"), status=422)
    duplicate = PaymentDuplicate.objects.filter(pk=duplicate_id).first()
    if duplicate is None:
        raise PaymentError(
            PaymentCode.DUPLICATE_NOT_FOUND, gettext("重复付款记录不存在"), {"duplicate_id": duplicate_id}, status=404
        )
    PaymentDuplicate.objects.filter(pk=duplicate_id, status=PaymentDuplicate.Status.OPEN).update(
        status=PaymentDuplicate.Status.RESOLVED,
        resolved_by=actor_or_none(actor),
        resolved_at=timezone.now(),
        resolution_note=note,
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
        logger.error(
            "WeChat Pay refund notification %s: amounts %r do not match refund %s", event_id, amount, refund.out_refund_no
        )
        return log(outcome=Outcome.AMOUNT_MISMATCH, payment=payment)
    refund_status = resource.get("refund_status")
    provider_refund_id = str(resource.get("refund_id") or "")
    succeeded = event_type == "REFUND.SUCCESS"
    if succeeded and refund_status not in (None, "SUCCESS"):
        return log(outcome=Outcome.IGNORED, payment=payment)
    try:
        with transaction.atomic():
            if succeeded:
                changed = succeed_refund(refund.pk, provider_refund_id=provider_refund_id)
            else:
                changed = fail_refund(
                    refund.pk, reason=f"{event_type} {refund_status or ''}".strip(), provider_refund_id=provider_refund_id
                )
            if changed is not None:
                return log(outcome=Outcome.APPLIED, payment=payment, notification_id=event_id)
    except Exception:
        logger.exception("WeChat Pay refund notification %s: refund %s could not be applied", event_id, refund.out_refund_no)
        return log(outcome=Outcome.ERROR, payment=payment)
    refund.refresh_from_db()
    if refund.status == (RS.SUCCEEDED if succeeded else RS.FAILED):
        return log(outcome=Outcome.DUPLICATE, payment=payment)
    logger.error(
        "WeChat Pay reports refund %s as %s, but it is %s: needs an operator", refund.out_refund_no, event_type, refund.status
    )
    return log(outcome=Outcome.NOT_PENDING, payment=payment)
