"""Payments: opened for a purpose and reference, prepared with the provider outside any transaction,
paid (the development provider at once, WeChat Pay by its notification) or closed."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from .. import registry, wechatpay
from ..errors import PaymentCode, PaymentError
from ..models import Payment, Provider
from .common import (
    MAX_DESCRIPTION,
    OPEN_STATUSES,
    PAYMENT_MACHINE,
    S,
    check_amount,
    check_provider,
    get_payment,
    invalid_transition,
    move_payment,
    new_number,
    succeed,
    wechatpay_config,
)

logger = logging.getLogger("fenxiao.payments.services")


def create_payment(
    *, purpose: str, reference: str, amount_fen: int, description: str, provider: str = "dev", payer_openid: str = ""
) -> Payment:
    """Open a payment for (purpose, reference), or return the open one for the same amount and provider.

    dev: a PENDING payment, nothing external. wechatpay: also places the JSAPI order with WeChat Pay
    and stores its prepay_id (hand `jsapi_params(payment)` to the WeChat client). Two steps: the
    payment is recorded and committed first, then WeChat Pay is asked outside any transaction; so
    call this outside a transaction (or use `open_payment` inside yours and `prepare_payment` after)."""
    if provider == Provider.WECHATPAY:
        wechatpay.ensure_no_transaction()
    payment = open_payment(
        purpose=purpose,
        reference=reference,
        amount_fen=amount_fen,
        description=description,
        provider=provider,
        payer_openid=payer_openid,
    )
    return prepare_payment(payment)


def open_payment(
    *, purpose: str, reference: str, amount_fen: int, description: str, provider: str = "dev", payer_openid: str = ""
) -> Payment:
    """Record the PENDING payment of (purpose, reference), or return the open one for the same amount,
    provider and payer; no call to any provider. Safe inside the caller's transaction."""
    purpose = purpose if isinstance(purpose, str) else ""
    if not registry.PURPOSE_RE.match(purpose):
        raise PaymentError(PaymentCode.INVALID_PURPOSE, gettext("支付用途不正确"), {"purpose": str(purpose)}, status=422)
    reference = str(reference if reference is not None else "").strip()
    if not reference or len(reference) > 64:
        raise PaymentError(
            PaymentCode.INVALID_REFERENCE, gettext("业务编号须为 1–64 个字符"), {"reference": reference}, status=422
        )
    check_amount(amount_fen)
    description = (description or "").strip()[:MAX_DESCRIPTION]
    payer_openid = (payer_openid or "").strip()
    check_provider(provider)
    if provider == Provider.WECHATPAY:
        if not description:
            raise PaymentError(PaymentCode.INVALID_DESCRIPTION, gettext("微信支付需要商品描述"), status=422)
        if not payer_openid or len(payer_openid) > 128:
            raise PaymentError(PaymentCode.OPENID_REQUIRED, gettext("微信 JSAPI 支付需要付款人的 openid"), status=422)
    return _open_payment(purpose, reference, amount_fen, description, provider, payer_openid)


def prepare_payment(payment: Payment) -> Payment:
    """Whatever the provider needs before the payer can pay: for WeChat Pay the JSAPI order, asked
    for outside any transaction and with the payment's own out_trade_no, so that asking again after
    a failure is the same order at WeChat Pay. A payment that has its prepay_id is returned as is."""
    if payment.provider != Provider.WECHATPAY or payment.status != S.PENDING or payment.prepay_id:
        return payment
    _request_prepay(wechatpay_config(), payment)
    return payment


def _reuse(existing: Payment, amount_fen: int, provider: str, payer_openid: str) -> Payment:
    if existing.status == S.SUCCEEDED:
        raise PaymentError(
            PaymentCode.ALREADY_PAID,
            gettext("该业务已支付"),
            {"payment_id": existing.pk, "purpose": existing.purpose, "reference": existing.reference},
            status=409,
        )
    if (
        existing.amount_fen != amount_fen
        or existing.provider != provider
        or (provider == Provider.WECHATPAY and existing.payer_openid != payer_openid)
    ):
        raise PaymentError(
            PaymentCode.PAYMENT_OPEN,
            gettext("该业务已有一笔待支付的支付单（金额、渠道或付款人不同），请先关闭它"),
            {"payment_id": existing.pk, "amount_fen": existing.amount_fen, "provider": existing.provider},
            status=409,
        )
    return existing


def _open_payment(purpose: str, reference: str, amount_fen: int, description: str, provider: str, payer_openid: str) -> Payment:
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
                    out_trade_no=new_number("P"),
                    amount_fen=amount_fen,
                    description=description,
                    payer_openid=payer_openid,
                )
                PAYMENT_MACHINE.record(payment, "", S.PENDING, note=gettext("创建支付单"))
        except IntegrityError:
            # Another request opened the payment of this reference first (or, vanishingly rarely,
            # the generated number was taken): use theirs, or draw a new number.
            existing = Payment.objects.filter(purpose=purpose, reference=reference, status__in=OPEN_STATUSES).first()
            if existing is not None:
                return _reuse(existing, amount_fen, provider, payer_openid)
            continue
        return payment
    raise PaymentError(PaymentCode.NUMBER_EXHAUSTED, gettext("支付单号生成失败，请重试"), status=409)  # pragma: no cover


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
            PaymentCode.PROVIDER_UNAVAILABLE, gettext("微信支付暂时无法下单，请稍后重试"), {"payment_id": payment.pk}, status=424
        ) from exc
    except wechatpay.ProviderRejected as exc:
        logger.warning("WeChat Pay refused the JSAPI order for payment %s: %s", payment.out_trade_no, exc)
        with transaction.atomic():
            move_payment(payment.pk, S.FAILED, note=f"JSAPI {exc.code}: {exc.message}")
        raise PaymentError(
            PaymentCode.PROVIDER_ERROR,
            gettext("微信支付拒绝了下单请求：%(message)s") % {"message": exc.message or exc.code},
            {"payment_id": payment.pk, "provider_code": exc.code},
            status=424,
        ) from exc
    prepay_id = data.get("prepay_id")
    if not isinstance(prepay_id, str) or not prepay_id or len(prepay_id) > 64:
        logger.warning("WeChat Pay JSAPI answer for payment %s has no usable prepay_id", payment.out_trade_no)
        raise PaymentError(
            PaymentCode.PROVIDER_UNAVAILABLE, gettext("微信支付暂时无法下单，请稍后重试"), {"payment_id": payment.pk}, status=424
        )
    Payment.objects.filter(pk=payment.pk, status=S.PENDING).update(prepay_id=prepay_id)
    payment.prepay_id = prepay_id


def jsapi_params(payment) -> dict:
    """What the WeChat client needs to pay (wx.requestPayment / getBrandWCPayRequest): appId,
    timeStamp, nonceStr, package ("prepay_id=…"), signType "RSA" and paySign."""
    if payment.provider != Provider.WECHATPAY or payment.status != S.PENDING or not payment.prepay_id:
        raise PaymentError(
            PaymentCode.NOT_PAYABLE,
            gettext("该支付单不能发起微信支付"),
            {"payment_id": payment.pk, "provider": payment.provider, "status": payment.status},
            status=409,
        )
    return wechatpay.jsapi_sign(wechatpay_config(), payment.prepay_id)


def complete_dev_payment(*, payment_id: int, actor=None, payment: Payment | None = None) -> Payment:
    """The development provider's "pay now". A second call on a paid payment returns it unchanged.
    `payment`: the caller's fresh copy of it, read in its own transaction (spares reading it again)."""
    if payment is None or payment.pk != payment_id:
        payment = get_payment(payment_id)
    if payment.provider != Provider.DEV:
        raise PaymentError(
            PaymentCode.NOT_DEV,
            gettext("只有开发环境支付单可以直接完成支付"),
            {"payment_id": payment.pk, "provider": payment.provider},
            status=409,
        )
    if payment.status == S.SUCCEEDED:
        return payment
    if payment.status != S.PENDING:
        raise invalid_transition(payment, S.SUCCEEDED)
    with transaction.atomic():
        paid = succeed(payment.pk, actor=actor, note=gettext("开发环境模拟支付"), provider_txn_id=f"DEV{payment.out_trade_no}")
    if paid is not None:
        return paid
    payment.refresh_from_db()
    if payment.status == S.SUCCEEDED:
        return payment
    raise invalid_transition(payment, S.SUCCEEDED)


def closing_asks_provider(payment: Payment) -> bool:
    """Whether closing the payment sends a request to its provider (then close it outside any
    transaction, e.g. once the caller's has committed)."""
    return payment.provider == Provider.WECHATPAY and bool(payment.prepay_id)


def close_payment(*, payment_id: int, actor=None) -> Payment:
    """PENDING → CLOSED. For WeChat Pay the order is closed there first, so it can no longer be paid.
    Closing a closed payment returns it unchanged."""
    payment = get_payment(payment_id)
    if payment.status == S.CLOSED:
        return payment
    if payment.status != S.PENDING:
        raise invalid_transition(payment, S.CLOSED)
    if closing_asks_provider(payment):
        # Without a prepay_id nobody was ever given the means to pay, so there is nothing to close there.
        conf = wechatpay_config()
        try:
            wechatpay.call(conf, "POST", f"/v3/pay/transactions/out-trade-no/{payment.out_trade_no}/close", {"mchid": conf.mchid})
        except wechatpay.ProviderUnavailable as exc:
            logger.warning("WeChat Pay close of %s: no answer (%s)", payment.out_trade_no, exc)
            raise PaymentError(
                PaymentCode.PROVIDER_UNAVAILABLE,
                gettext("微信支付暂时无法关闭订单，请稍后重试"),
                {"payment_id": payment.pk},
                status=424,
            ) from exc
        except wechatpay.ProviderRejected as exc:
            raise PaymentError(
                PaymentCode.PROVIDER_ERROR,
                gettext("微信支付拒绝关闭订单：%(message)s") % {"message": exc.message or exc.code},
                {"payment_id": payment.pk, "provider_code": exc.code},
                status=424,
            ) from exc
    with transaction.atomic():
        closed = move_payment(payment.pk, S.CLOSED, actor=actor, note=gettext("关闭支付单"))
    if closed is not None:
        return closed
    payment.refresh_from_db()
    if payment.status == S.CLOSED:
        return payment
    raise invalid_transition(payment, S.CLOSED)
