"""Payments: opened for a purpose and reference, prepared with the provider outside any transaction,
paid (the development provider at once, WeChat Pay by its notification) or closed."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import registry, wechatpay
from ..errors import PaymentCode, PaymentError
from ..models import Payment, Provider, TradeType
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
    *,
    purpose: str,
    reference: str,
    amount_fen: int,
    description: str,
    provider: str = "dev",
    payer_openid: str = "",
    trade_type: str = "",
    client_ip: str = "",
) -> Payment:
    """Open a payment for (purpose, reference), or return the open one for the same amount, provider,
    trade type and payer.

    dev: a PENDING payment, nothing external. wechatpay: also places the order with WeChat Pay (JSAPI
    by default, or H5 / Native, see `TradeType`) and stores what the payer needs: the prepay_id (hand
    `jsapi_params(payment)` to the WeChat client), the H5 link or the QR code link. Two steps: the
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
        trade_type=trade_type,
    )
    return prepare_payment(payment, client_ip=client_ip)


def _wanted(provider: str, trade_type: str, payer_openid: str) -> tuple[str, str]:
    """The trade type and payer a payment of `provider` is opened with (checked)."""
    if provider != Provider.WECHATPAY:
        return "", payer_openid
    trade_type = trade_type or TradeType.JSAPI
    if trade_type not in TradeType.values:
        raise PaymentError(
            PaymentCode.INVALID_TRADE_TYPE, gettext("不支持的微信支付方式"), {"trade_type": str(trade_type)}, status=422
        )
    if trade_type != TradeType.JSAPI:
        return trade_type, ""  # H5 and Native payers are not known in advance
    if not payer_openid or len(payer_openid) > 128:
        raise PaymentError(PaymentCode.OPENID_REQUIRED, gettext("微信 JSAPI 支付需要付款人的 openid"), status=422)
    return trade_type, payer_openid


def _matches(payment: Payment, provider: str, trade_type: str, payer_openid: str) -> bool:
    """Whether the open payment is the one a payer asking for (provider, trade type, payer) may use.
    A WeChat Pay payment whose trade type is not recorded yet is being opened right now: the
    conditional claim in `open_payment` decides which trade type it gets."""
    if payment.provider != provider:
        return False
    if provider != Provider.WECHATPAY:
        return True
    if payment.trade_type and payment.trade_type != trade_type:
        return False
    return trade_type != TradeType.JSAPI or payment.payer_openid == payer_openid


def _switch_refused(payment: Payment) -> PaymentError:
    return PaymentError(
        PaymentCode.PAYMENT_OPEN,
        gettext("该业务已有一笔用其他方式发起的待支付单，请先关闭它"),
        {"payment_id": payment.pk, "provider": payment.provider, "trade_type": payment.trade_type},
        status=409,
    )


def open_payment(
    *,
    purpose: str,
    reference: str,
    amount_fen: int,
    description: str,
    provider: str = "dev",
    payer_openid: str = "",
    trade_type: str = "",
) -> Payment:
    """Record the PENDING payment of (purpose, reference), or return the open one for the same amount,
    provider, trade type and payer; no call to any provider. Safe inside the caller's transaction.
    An open payment of another kind is refused (PAYMENT_OPEN): `release_other_payment` closes it,
    outside any transaction, before a payment of the new kind is opened."""
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
    trade_type, payer_openid = _wanted(provider, trade_type or "", payer_openid)
    if provider == Provider.WECHATPAY and not description:
        raise PaymentError(PaymentCode.INVALID_DESCRIPTION, gettext("微信支付需要商品描述"), status=422)
    # An open payment of another provider, amount or payer is refused by `_open_payment`; one of the
    # same provider and payer but another trade type is refused below.
    payment = _open_payment(purpose, reference, amount_fen, description, provider, payer_openid)
    if provider == Provider.WECHATPAY and payment.trade_type != trade_type:
        # A payment just created (or being created by a concurrent request) has no trade type yet:
        # the first request to claim it decides, the other is refused.
        claimed = not payment.trade_type and Payment.objects.filter(pk=payment.pk, trade_type="").update(trade_type=trade_type)
        if not claimed:
            payment.refresh_from_db()
            if payment.trade_type != trade_type:
                raise _switch_refused(payment)
        payment.trade_type = trade_type
    return payment


def _standing_in_the_way(purpose: str, reference: str, provider: str, trade_type: str, payer_openid: str) -> Payment | None:
    trade_type, payer_openid = _wanted(provider, trade_type or "", (payer_openid or "").strip())
    existing = Payment.objects.filter(purpose=purpose, reference=str(reference), status=S.PENDING).first()
    if existing is None or _matches(existing, provider, trade_type, payer_openid):
        return None
    return existing


def release_needed(*, purpose: str, reference: str, provider: str, trade_type: str = "", payer_openid: str = "") -> bool:
    """Whether (purpose, reference) has a pending payment of another kind that `release_other_payment`
    would close before a payment of (provider, trade type, payer) can be opened."""
    return _standing_in_the_way(purpose, reference, provider, trade_type, payer_openid) is not None


def release_other_payment(
    *, purpose: str, reference: str, provider: str, trade_type: str = "", payer_openid: str = "", actor=None
) -> Payment | None:
    """Before a payment of (provider, trade type, payer) is opened for (purpose, reference): close the
    pending payment opened there for another provider, trade type or payer, so that two payable orders
    never exist for one reference. Call outside any transaction: closing a WeChat Pay payment that was
    handed out asks WeChat Pay to close its order first; when WeChat Pay cannot (no answer, or the
    order was paid meanwhile) the old payment stays open and the error is raised.
    Returns the closed payment, or None when there was nothing to close."""
    existing = _standing_in_the_way(purpose, reference, provider, trade_type, payer_openid)
    if existing is None:
        return None
    wechatpay.ensure_no_transaction()
    return close_payment(payment_id=existing.pk, actor=actor, note=gettext("改用其他支付方式，关闭原支付单"))


# An H5 link is valid at WeChat Pay for 5 minutes; one older than this is asked for again.
H5_URL_MAX_AGE = timedelta(minutes=4)


def _ready(payment: Payment) -> bool:
    trade_type = payment.trade_type or TradeType.JSAPI
    if trade_type == TradeType.JSAPI:
        return bool(payment.prepay_id)
    if trade_type == TradeType.NATIVE:
        return bool(payment.code_url)
    return bool(payment.h5_url and payment.prepared_at and timezone.now() - payment.prepared_at < H5_URL_MAX_AGE)


def prepare_payment(payment: Payment, *, client_ip: str = "") -> Payment:
    """Whatever the provider needs before the payer can pay: for WeChat Pay the order of the payment's
    trade type (JSAPI → prepay_id, H5 → h5_url, Native → code_url), asked for outside any transaction
    and with the payment's own out_trade_no, so that asking again after a failure is the same order
    at WeChat Pay. A payment that has what it needs is returned as is (an H5 link only while fresh:
    asking again gives a new link to the same order). H5 needs the payer's `client_ip`."""
    if payment.provider != Provider.WECHATPAY or payment.status != S.PENDING or _ready(payment):
        return payment
    _request_prepay(wechatpay_config(), payment, client_ip=client_ip)
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


PREPAY_PATHS: dict[str, str] = {
    TradeType.JSAPI: "/v3/pay/transactions/jsapi",
    TradeType.H5: "/v3/pay/transactions/h5",
    TradeType.NATIVE: "/v3/pay/transactions/native",
}
PREPAY_LABELS: dict[str, str] = {TradeType.JSAPI: "JSAPI", TradeType.H5: "H5", TradeType.NATIVE: "Native"}
MAX_CLIENT_IP = 45


def _prepay_answer(trade_type: str, data: dict) -> tuple[str, str] | None:
    """(field, value) of the answer that the payer needs, or None when the answer has no usable one."""
    if trade_type == TradeType.JSAPI:
        name, value = "prepay_id", data.get("prepay_id")
        ok = isinstance(value, str) and 0 < len(value) <= 64
    elif trade_type == TradeType.H5:
        name, value = "h5_url", data.get("h5_url")
        ok = isinstance(value, str) and value.startswith("https://") and len(value) <= 512
    else:
        name, value = "code_url", data.get("code_url")
        ok = isinstance(value, str) and value.startswith("weixin://") and len(value) <= 128
    return (name, value) if ok and isinstance(value, str) else None


def _request_prepay(conf: wechatpay.Config, payment: Payment, *, client_ip: str = "") -> None:
    trade_type = payment.trade_type or TradeType.JSAPI
    label = PREPAY_LABELS[trade_type]
    payload: dict = {
        "appid": conf.appid,
        "mchid": conf.mchid,
        "description": payment.description,
        "out_trade_no": payment.out_trade_no,
        "notify_url": conf.notify_url,
        "amount": {"total": payment.amount_fen, "currency": "CNY"},
    }
    if trade_type == TradeType.JSAPI:
        payload["payer"] = {"openid": payment.payer_openid}
    elif trade_type == TradeType.H5:
        client_ip = (client_ip or "").strip()
        if not client_ip or len(client_ip) > MAX_CLIENT_IP:
            raise PaymentError(
                PaymentCode.CLIENT_IP_REQUIRED, gettext("H5 支付需要付款人的网络地址"), {"payment_id": payment.pk}, status=422
            )
        payload["scene_info"] = {"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}}
    try:
        data = wechatpay.call(conf, "POST", PREPAY_PATHS[trade_type], payload)
    except wechatpay.ProviderUnavailable as exc:
        # The order may or may not exist at WeChat Pay; the payment stays PENDING and asking again
        # sends the same out_trade_no, which WeChat Pay treats as the same order.
        logger.warning("WeChat Pay %s order for payment %s: no answer (%s)", label, payment.out_trade_no, exc)
        raise PaymentError(
            PaymentCode.PROVIDER_UNAVAILABLE, gettext("微信支付暂时无法下单，请稍后重试"), {"payment_id": payment.pk}, status=424
        ) from exc
    except wechatpay.ProviderRejected as exc:
        logger.warning("WeChat Pay refused the %s order for payment %s: %s", label, payment.out_trade_no, exc)
        _after_rejection(payment, f"{label} {exc.code}: {exc.message}")
        raise PaymentError(
            PaymentCode.PROVIDER_ERROR,
            gettext("微信支付拒绝了下单请求：%(message)s") % {"message": exc.message or exc.code},
            {"payment_id": payment.pk, "provider_code": exc.code},
            status=424,
        ) from exc
    answer = _prepay_answer(trade_type, data)
    if answer is None:
        logger.warning("WeChat Pay %s answer for payment %s has nothing usable", label, payment.out_trade_no)
        raise PaymentError(
            PaymentCode.PROVIDER_UNAVAILABLE, gettext("微信支付暂时无法下单，请稍后重试"), {"payment_id": payment.pk}, status=424
        )
    name, value = answer
    now = timezone.now()
    recorded = Payment.objects.filter(pk=payment.pk, status=S.PENDING, trade_type=payment.trade_type).update(
        **{name: value, "prepared_at": now}
    )
    if not recorded:
        # Closed (or replaced by a payment of another kind) while WeChat Pay was being asked: what it
        # answered is never handed out, and its order there is closed as well.
        _close_at_provider_quietly(conf, payment)
        raise PaymentError(
            PaymentCode.NOT_PAYABLE, gettext("该支付单已关闭，请重新发起支付"), {"payment_id": payment.pk}, status=409
        )
    setattr(payment, name, value)
    payment.prepared_at = now


def _after_rejection(payment: Payment, note: str) -> None:
    """WeChat Pay refused to place the order. Never handed out: the payment fails (the next attempt
    opens a new one). Handed out before (an H5 link asked for again): its order at WeChat Pay may still
    be payable, so it is closed there and here like any other, and stays open if that fails."""
    if not payment.handed_out:
        with transaction.atomic():
            move_payment(payment.pk, S.FAILED, note=note)
        return
    try:
        close_payment(payment_id=payment.pk, note=note)
    except PaymentError as exc:
        logger.warning("payment %s stays open: closing it after a refusal failed (%s)", payment.out_trade_no, exc.message)


def _close_at_provider_quietly(conf: wechatpay.Config, payment: Payment) -> None:
    try:
        wechatpay.call(conf, "POST", f"/v3/pay/transactions/out-trade-no/{payment.out_trade_no}/close", {"mchid": conf.mchid})
    except (wechatpay.ProviderUnavailable, wechatpay.ProviderRejected) as exc:
        # Nobody was given the means to pay that order; should it be paid anyway, the notification
        # records a payment after closing for finance (PaymentDuplicate).
        logger.warning("WeChat Pay close of %s (never handed out) failed: %s", payment.out_trade_no, exc)


def jsapi_params(payment) -> dict:
    """What the WeChat client needs to pay (wx.requestPayment / getBrandWCPayRequest): appId,
    timeStamp, nonceStr, package ("prepay_id=…"), signType "RSA" and paySign."""
    if (
        payment.provider != Provider.WECHATPAY
        or payment.status != S.PENDING
        or not payment.prepay_id
        or (payment.trade_type or TradeType.JSAPI) != TradeType.JSAPI
    ):
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
    return payment.provider == Provider.WECHATPAY and payment.handed_out


# What WeChat Pay answers when asked to close an order that was paid meanwhile.
PAID_CODES = {"ORDERPAID", "ORDER_PAID", "TRADE_STATE_SUCCESS"}


def close_payment(*, payment_id: int, actor=None, note: str = "") -> Payment:
    """PENDING → CLOSED. For WeChat Pay the order is closed there first, so it can no longer be paid.
    Closing a closed payment returns it unchanged. A payment that was handed out (prepay_id, H5 link,
    QR code) while this ran is closed at WeChat Pay too: the row is locked before it is closed."""
    note = note or gettext("关闭支付单")
    for _attempt in range(3):
        payment = get_payment(payment_id)
        if payment.status == S.CLOSED:
            return payment
        if payment.status != S.PENDING:
            raise invalid_transition(payment, S.CLOSED)
        asked = closing_asks_provider(payment)
        if asked:
            _close_at_provider(payment)
        with transaction.atomic():
            locked = Payment.objects.select_for_update().filter(pk=payment.pk).first()
            if locked is not None and locked.status == S.PENDING and not asked and closing_asks_provider(locked):
                continue  # handed out meanwhile: close it at WeChat Pay first, then here
            closed = move_payment(payment.pk, S.CLOSED, actor=actor, note=note)
        if closed is not None:
            return closed
        payment.refresh_from_db()
        if payment.status == S.CLOSED:
            return payment
        raise invalid_transition(payment, S.CLOSED)
    raise PaymentError(  # pragma: no cover - needs three concurrent prepares to win in a row
        PaymentCode.PROVIDER_UNAVAILABLE, gettext("微信支付暂时无法关闭订单，请稍后重试"), {"payment_id": payment_id}, status=424
    )


def _close_at_provider(payment: Payment) -> None:
    # Without anything handed out nobody was ever given the means to pay, so there is nothing to close there.
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
        if exc.code in PAID_CODES:
            # Paid a moment ago: the notification marks it paid; it must not be closed here.
            raise PaymentError(
                PaymentCode.ALREADY_PAID,
                gettext("该支付单已在微信支付付款，正在确认结果"),
                {"payment_id": payment.pk, "provider_code": exc.code},
                status=409,
            ) from exc
        raise PaymentError(
            PaymentCode.PROVIDER_ERROR,
            gettext("微信支付拒绝关闭订单：%(message)s") % {"message": exc.message or exc.code},
            {"payment_id": payment.pk, "provider_code": exc.code},
            status=424,
        ) from exc
