"""The only code that writes orders.

Every status change goes through `_transition`, which checks TRANSITIONS and writes an OrderEvent
with the actor. Stock is reserved when an order is placed (inventory), confirmed when it is paid,
consumed when it ships and released when it is cancelled or left unpaid. Payments report back
through the handlers registered in apps.py.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku, purchasable_sku_q
from fenxiao.common.duties import refuse_own
from fenxiao.common.errors import DomainError
from fenxiao.common.money import yuan
from fenxiao.common.phone import is_mainland_mobile, normalize_phone
from fenxiao.distribution import selectors as distribution_selectors
from fenxiao.distribution import services as distribution_services
from fenxiao.inventory import services as inventory
from fenxiao.payments import selectors as payment_selectors
from fenxiao.payments import services as payments

from . import signals
from .errors import OrderError
from .models import Address, AfterSale, AfterSaleEvent, CartLine, Order, OrderEvent, OrderLine
from .pricing import PricingStrategy

logger = logging.getLogger(__name__)

PAYMENT_PURPOSE = "order"
MAX_LINES = 100
MAX_QUANTITY = 999

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

_TIMESTAMP_FIELD = {
    S.PAID: "paid_at",
    S.SHIPPED: "shipped_at",
    S.RECEIVED: "received_at",
    S.COMPLETED: "completed_at",
    S.CANCELLED: "cancelled_at",
}


def reservation_reference(order_id: int) -> str:
    return f"order:{order_id}"


def _transition(
    order: Order, to_status: str, *, actor=None, note: str = "", extra_fields: tuple[str, ...] = (), at=None
) -> Order:
    """`at` lets a scheduled job stamp the time it acts for (the time it was asked to run as)."""
    if to_status not in TRANSITIONS.get(order.status, set()):
        raise OrderError(
            "invalid_transition",
            gettext("订单当前状态（%(from)s）不能变为 %(to)s") % {"from": S(order.status).label, "to": S(to_status).label},
            {"from": order.status, "to": to_status, "order": order.number},
            status=409,
        )
    from_status = order.status
    order.status = to_status
    fields = ["status", *extra_fields]
    stamp = _TIMESTAMP_FIELD.get(to_status)
    if stamp:
        setattr(order, stamp, at or timezone.now())
        fields.append(stamp)
    order.save(update_fields=fields)
    OrderEvent.objects.create(order=order, from_status=from_status, to_status=to_status, actor=actor, note=note[:200])
    return order


def _note(order: Order, note: str, *, actor=None) -> None:
    """An event that is not a status change (a refund, a re-reservation), for the order's timeline."""
    OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status, actor=actor, note=note[:200])


def _locked_order(order_id: int, *, user=None) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise OrderError("order_not_found", gettext("订单不存在"), {"order_id": order_id}, status=404)
    if user is not None and order.user_id != user.pk:
        raise OrderError("order_not_found", gettext("订单不存在"), {"order_id": order_id}, status=404)
    return order


# --- cart ------------------------------------------------------------------------------------


def _check_quantity(quantity) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise OrderError("invalid_quantity", gettext("数量须为 1 到 %(max)s 之间的整数") % {"max": MAX_QUANTITY}, {"quantity": quantity})
    return quantity


def _sellable_sku(sku_id: int) -> Sku:
    sku = Sku.objects.select_related("product").filter(purchasable_sku_q(), pk=sku_id).first()
    if sku is None:
        raise OrderError("sku_unavailable", gettext("该商品已下架或不存在"), {"sku_id": sku_id}, status=404)
    return sku


def add_to_cart(*, user, sku_id: int, quantity: int = 1) -> CartLine:
    _check_quantity(quantity)
    _sellable_sku(sku_id)
    with transaction.atomic():
        line = CartLine.objects.select_for_update().filter(user=user, sku_id=sku_id).first()
        if line is None:
            return CartLine.objects.create(user=user, sku_id=sku_id, quantity=quantity)
        line.quantity = _check_quantity(line.quantity + quantity)
        line.save(update_fields=["quantity"])
        return line


def set_cart_quantity(*, user, sku_id: int, quantity: int) -> CartLine | None:
    """Quantity 0 removes the line."""
    if quantity == 0:
        CartLine.objects.filter(user=user, sku_id=sku_id).delete()
        return None
    _check_quantity(quantity)
    updated = CartLine.objects.filter(user=user, sku_id=sku_id).update(quantity=quantity)
    if not updated:
        return add_to_cart(user=user, sku_id=sku_id, quantity=quantity)
    return CartLine.objects.get(user=user, sku_id=sku_id)


def clear_cart(*, user) -> int:
    return CartLine.objects.filter(user=user).delete()[0]


# --- addresses -------------------------------------------------------------------------------

ADDRESS_FIELDS = ("receiver", "phone", "province", "city", "district", "detail")
_ADDRESS_LIMITS = {"receiver": 32, "province": 20, "city": 20, "district": 20, "detail": 120}


def clean_address(data: dict) -> dict:
    clean = {}
    for name in ADDRESS_FIELDS:
        value = str(data.get(name) or "").strip()
        if not value:
            raise OrderError("invalid_address", gettext("请填写完整的收货地址"), {"field": name})
        if name == "phone":
            value = normalize_phone(value)
            if not is_mainland_mobile(value):
                raise OrderError("invalid_phone", gettext("收货手机号格式不正确"), {"field": "phone"})
        elif len(value) > _ADDRESS_LIMITS[name]:
            raise OrderError("invalid_address", gettext("地址内容过长"), {"field": name, "max": _ADDRESS_LIMITS[name]})
        clean[name] = value
    return clean


def save_address(*, user, data: dict, is_default: bool = True) -> Address:
    clean = clean_address(data)
    with transaction.atomic():
        if is_default:
            Address.objects.filter(user=user, is_default=True).update(is_default=False)
        return Address.objects.create(user=user, is_default=is_default, **clean)


# --- placing and paying ------------------------------------------------------------------------


def _merge_items(items) -> dict[int, int]:
    merged: dict[int, int] = {}
    for sku_id, quantity in items:
        _check_quantity(quantity)
        merged[int(sku_id)] = merged.get(int(sku_id), 0) + quantity
    if not merged:
        raise OrderError("empty_order", gettext("请选择要购买的商品"))
    if len(merged) > MAX_LINES:
        raise OrderError("too_many_lines", gettext("一个订单最多 %(max)s 种商品") % {"max": MAX_LINES}, {"lines": len(merged)})
    for quantity in merged.values():
        _check_quantity(quantity)
    return merged


def _new_number() -> str:
    """Local time to the second and ten random digits: readable, sortable by time, and with
    thousands of orders in one second still practically never the same (the column is unique)."""
    return timezone.localtime().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**10):010d}"


def attribution_for(user):
    """The distributor credited with this buyer's order, and whether it is a self-purchase."""
    return distribution_selectors.sale_attribution(user)


def quote_items(*, user, items) -> tuple[dict[int, Sku], object]:
    merged = _merge_items(items)
    skus = Sku.objects.select_related("product").filter(purchasable_sku_q()).in_bulk(list(merged))
    missing = [sku_id for sku_id in merged if sku_id not in skus]
    if missing:
        raise OrderError("sku_unavailable", gettext("部分商品已下架或不存在"), {"sku_ids": missing}, status=404)
    ordered = sorted(merged)
    quote = PricingStrategy().quote(user, [(skus[sku_id], merged[sku_id]) for sku_id in ordered])
    return skus, quote


@transaction.atomic
def place_order(*, user, items, address: dict, note: str = "", from_cart: bool = False) -> Order:
    """Price the items, snapshot them with the attributed distributor, reserve the stock (all or
    nothing) and open the order for payment. The number of queries does not grow with the lines."""
    clean = clean_address(address)
    note = (note or "").strip()[:200]
    skus, quote = quote_items(user=user, items=items)
    distributor, self_purchase = attribution_for(user)
    now = timezone.now()
    order = Order.objects.create(
        number=_new_number(),
        user=user,
        distributor=distributor,
        is_self_purchase=self_purchase,
        receiver=clean["receiver"],
        receiver_phone=clean["phone"],
        province=clean["province"],
        city=clean["city"],
        district=clean["district"],
        address_detail=clean["detail"],
        note=note,
        goods_fen=quote.goods_fen,
        discount_fen=quote.discount_fen,
        shipping_fen=quote.shipping_fen,
        total_fen=quote.total_fen,
        price_breakdown=quote.breakdown(),
        expires_at=now + timedelta(minutes=settings.FENXIAO_UNPAID_TIMEOUT_MINUTES),
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                sku_id=line.sku_id,
                product_id=skus[line.sku_id].product_id,
                category_id=skus[line.sku_id].product.category_id,
                product_name=skus[line.sku_id].product.name,
                sku_spec=skus[line.sku_id].spec,
                unit_price_fen=line.unit_price_fen,
                unit_cost_fen=line.unit_cost_fen,
                quantity=line.quantity,
                line_total_fen=line.line_total_fen,
                discount_fen=line.discount_fen,
                paid_fen=line.paid_fen,
            )
            for line in quote.lines
        ]
    )
    inventory.reserve(
        reference=reservation_reference(order.pk),
        items=[(line.sku_id, line.quantity) for line in quote.lines],
        expires_at=order.expires_at,
    )
    OrderEvent.objects.create(order=order, from_status="", to_status=order.status, actor=user, note=gettext("下单"))
    if from_cart:
        CartLine.objects.filter(user=user, sku_id__in=[line.sku_id for line in quote.lines]).delete()
    return order


def start_payment(*, user, order_id: int, provider: str = "dev", payer_openid: str = ""):
    """Open (or reuse) the payment of an order awaiting payment. The payment is recorded in a short
    transaction; the provider (WeChat Pay's JSAPI order) is asked after it commits, never while the
    order is locked. A failed ask leaves the payment open, and asking again reuses its number."""
    with transaction.atomic():
        order = _locked_order(order_id, user=user)
        if order.status != S.PENDING_PAYMENT:
            raise OrderError(
                "invalid_transition", gettext("订单当前状态（%(status)s）不能付款") % {"status": order.get_status_display()},
                {"status": order.status}, status=409,
            )
        if order.expires_at and order.expires_at <= timezone.now():
            raise OrderError("order_expired", gettext("订单已超过支付时限，请重新下单"), {"order": order.number}, status=409)
        payment = payments.open_payment(
            purpose=PAYMENT_PURPOSE,
            reference=str(order.pk),
            amount_fen=order.total_fen,
            description=gettext("订单 %(number)s") % {"number": order.number},
            provider=provider,
            payer_openid=payer_openid,
        )
    return payments.prepare_payment(payment)


def pay_with_dev_provider(*, user, order_id: int) -> Order:
    """The development provider: opens the payment and pays it at once (demo and tests only)."""
    with transaction.atomic():
        payment = start_payment(user=user, order_id=order_id, provider="dev")
        payments.complete_dev_payment(payment_id=payment.pk, actor=user)
        return Order.objects.get(pk=order_id)


def on_payment_succeeded(payment) -> None:
    """Payment handler: runs once per payment, inside the transaction that marks it succeeded."""
    order = _locked_order(int(payment.reference))
    ref = reservation_reference(order.pk)
    if order.status == S.PENDING_PAYMENT:
        if payment.amount_fen != order.total_fen:
            raise OrderError("amount_mismatch", "payment amount differs from order total", {"order": order.number}, status=409)
        inventory.confirm(reference=ref)
        order.paid_fen, order.payment_id, order.payment_provider = payment.amount_fen, payment.pk, payment.provider
        _transition(order, S.PAID, note=gettext("付款成功"), extra_fields=("paid_fen", "payment_id", "payment_provider"))
    elif order.status == S.CANCELLED and order.paid_fen == 0:
        # Paid after the reservation lapsed: take the stock again if it is there, else refund in full.
        try:
            with transaction.atomic():
                inventory.reserve(reference=ref, items=[(line.sku_id, line.quantity) for line in order.lines.all()])
                inventory.confirm(reference=ref)
        except DomainError:
            _note(order, gettext("付款晚于库存保留期且库存已售完，已自动全额退款"))
            order.paid_fen, order.payment_id, order.payment_provider = payment.amount_fen, payment.pk, payment.provider
            order.save(update_fields=["paid_fen", "payment_id", "payment_provider"])
            payments.refund_payment(
                payment_id=payment.pk,
                amount_fen=payment.amount_fen,
                reason=gettext("库存已售完，自动退款"),
                idempotency_key=f"order-late:{order.pk}",
            )
            return
        order.paid_fen, order.payment_id, order.payment_provider = payment.amount_fen, payment.pk, payment.provider
        order.cancelled_at, order.cancel_reason = None, ""
        _transition(
            order, S.PAID, note=gettext("付款晚于库存保留期，已重新保留库存"),
            extra_fields=("paid_fen", "payment_id", "payment_provider", "cancelled_at", "cancel_reason"),
        )
    else:
        # A second payment for an order already paid: give it back.
        _note(order, gettext("重复付款，已自动退款"))
        payments.refund_payment(
            payment_id=payment.pk, amount_fen=payment.amount_fen, reason=gettext("重复付款，自动退款"),
            idempotency_key=f"order-duplicate:{payment.pk}",
        )
        return
    if order.status == S.PAID:
        distribution_services.record_qualifying_purchase(user_id=order.user_id, amount_fen=order.paid_fen - order.shipping_fen)
        signals.order_paid.send(sender=Order, order=order)


def on_refund_succeeded(refund) -> None:
    """Refund handler: books the refunded amount on the order, its lines and the after-sale."""
    key = refund.idempotency_key
    kind, _, ident = key.partition(":")
    payment = refund.payment
    order = _locked_order(int(payment.reference))
    if kind == "aftersale":
        aftersale = AfterSale.objects.select_for_update().get(pk=int(ident))
        OrderLine.objects.filter(pk=aftersale.line_id).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        Order.objects.filter(pk=order.pk).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        _aftersale_transition(aftersale, A.REFUNDED, note=gettext("退款成功"))
        line = OrderLine.objects.get(pk=aftersale.line_id)
        signals.order_line_refunded.send(sender=Order, order=order, line=line, amount_fen=refund.amount_fen)
    elif kind in ("order-cancel", "order-late"):
        OrderLine.objects.filter(order=order).update(refunded_fen=F("paid_fen"))
        Order.objects.filter(pk=order.pk).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        signals.order_cancelled_refunded.send(sender=Order, order=order)
    else:
        # A duplicate payment's refund: the order's own money is untouched.
        pass
    _note(order, gettext("退款 ¥%(amount)s 已到账") % {"amount": yuan(refund.amount_fen)})


# --- cancel, ship, receive, complete ------------------------------------------------------------


@transaction.atomic
def cancel_order(*, order_id: int, actor, reason: str = "", as_buyer: bool = True) -> Order:
    """Cancel before shipping: release the stock; a paid order is refunded in full."""
    order = _locked_order(order_id, user=actor if as_buyer else None)
    reason = (reason or "").strip()[:200] or (gettext("买家取消") if as_buyer else gettext("运营取消"))
    if order.status not in (S.PENDING_PAYMENT, S.PAID):
        raise OrderError(
            "invalid_transition", gettext("订单已发货或已结束，不能取消；请申请售后"), {"status": order.status}, status=409
        )
    was_paid = order.status == S.PAID
    inventory.release(reference=reservation_reference(order.pk), actor=actor, note=reason)
    order.cancel_reason = reason
    _transition(order, S.CANCELLED, actor=actor, note=reason, extra_fields=("cancel_reason",))
    if was_paid:
        payments.refund_payment(
            payment_id=order.payment_id, amount_fen=order.paid_fen - order.refunded_fen,
            reason=reason, idempotency_key=f"order-cancel:{order.pk}", actor=actor,
        )
    else:
        _close_open_payment(order, actor=actor)
    return order


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


@transaction.atomic
def ship_order(*, order_id: int, actor, tracking_company: str, tracking_number: str) -> Order:
    tracking_company, tracking_number = (tracking_company or "").strip(), (tracking_number or "").strip()
    if not tracking_company or not tracking_number:
        raise OrderError("tracking_required", gettext("发货须填写快递公司和快递单号"))
    if len(tracking_company) > 32 or len(tracking_number) > 40:
        raise OrderError("tracking_required", gettext("快递公司或单号过长"))
    order = _locked_order(order_id)
    if order.aftersales.filter(status__in=OPEN_AFTERSALE).exists():
        raise OrderError("aftersale_open", gettext("订单有进行中的售后，暂不能发货"), status=409)
    order.tracking_company, order.tracking_number = tracking_company, tracking_number
    _transition(order, S.SHIPPED, actor=actor, note=f"{tracking_company} {tracking_number}", extra_fields=("tracking_company", "tracking_number"))
    inventory.consume(reference=reservation_reference(order.pk), actor=actor)
    return order


@transaction.atomic
def confirm_receipt(*, order_id: int, user) -> Order:
    order = _locked_order(order_id, user=user)
    return _transition(order, S.RECEIVED, actor=user, note=gettext("买家确认收货"))


def expire_unpaid_orders(*, now=None) -> int:
    """Scheduled: cancel orders left unpaid past their deadline and release their stock. Idempotent."""
    now = now or timezone.now()
    done = 0
    for order_id in Order.objects.filter(status=S.PENDING_PAYMENT, expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            order = _locked_order(order_id)
            if order.status != S.PENDING_PAYMENT:
                continue
            inventory.release(reference=reservation_reference(order.pk), note=gettext("超时未付款"))
            order.cancel_reason = gettext("超时未付款，系统自动取消")
            _transition(order, S.CANCELLED, note=order.cancel_reason, extra_fields=("cancel_reason",), at=now)
            _close_open_payment(order)
            done += 1
    return done


def auto_receive_orders(*, now=None) -> int:
    """Scheduled: orders shipped N days ago (default 10) count as received. Idempotent."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FENXIAO_AUTO_RECEIVE_DAYS)
    done = 0
    for order_id in Order.objects.filter(status=S.SHIPPED, shipped_at__lte=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            order = _locked_order(order_id)
            if order.status == S.SHIPPED:
                _transition(order, S.RECEIVED, note=gettext("发货后超时自动确认收货"), at=now)
                done += 1
    return done


def complete_orders(*, now=None) -> int:
    """Scheduled: received orders whose after-sales window (default 7 days) has closed, with no open
    after-sale, are completed. Idempotent."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FENXIAO_AFTERSALE_WINDOW_DAYS)
    candidates = (
        Order.objects.filter(status=S.RECEIVED, received_at__lte=cutoff)
        .exclude(aftersales__status__in=OPEN_AFTERSALE)
        .values_list("pk", flat=True)
    )
    done = 0
    for order_id in candidates:
        with transaction.atomic():
            order = _locked_order(order_id)
            if order.status != S.RECEIVED or order.aftersales.filter(status__in=OPEN_AFTERSALE).exists():
                continue
            _transition(order, S.COMPLETED, note=gettext("售后期结束，订单完成"), at=now)
            signals.order_completed.send(sender=Order, order=order)
            done += 1
    return done


# --- after-sales -----------------------------------------------------------------------------


def _aftersale_transition(aftersale: AfterSale, to_status: str, *, actor=None, note: str = "", extra_fields=()) -> AfterSale:
    if to_status not in AFTERSALE_TRANSITIONS.get(aftersale.status, set()):
        raise OrderError(
            "invalid_transition",
            gettext("售后当前状态（%(from)s）不能变为 %(to)s") % {"from": A(aftersale.status).label, "to": A(to_status).label},
            {"from": aftersale.status, "to": to_status}, status=409,
        )
    from_status = aftersale.status
    aftersale.status = to_status
    aftersale.save(update_fields=["status", "updated_at", *extra_fields])
    AfterSaleEvent.objects.create(aftersale=aftersale, from_status=from_status, to_status=to_status, actor=actor, note=note[:200])
    return aftersale


@transaction.atomic
def request_aftersale(*, user, line_id: int, kind: str, amount_fen: int, reason: str, quantity: int = 0) -> AfterSale:
    """Refund only, or return and refund, of one line after it shipped; any amount up to what is
    still refundable on the line."""
    line = OrderLine.objects.select_related("order").filter(pk=line_id, order__user=user).first()
    if line is None:
        raise OrderError("order_not_found", gettext("订单行不存在"), {"line_id": line_id}, status=404)
    order = _locked_order(line.order_id)
    if kind not in AfterSale.Kind.values:
        raise OrderError("aftersale_not_allowed", gettext("售后类型只能是仅退款或退货退款"), {"kind": kind})
    if order.status not in (S.SHIPPED, S.RECEIVED):
        raise OrderError(
            "aftersale_not_allowed",
            gettext("只有已发货或已收货、仍在售后期内的订单可以申请售后；未发货的订单请直接取消"),
            {"status": order.status}, status=409,
        )
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("reason_required", gettext("请填写售后原因"))
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise OrderError("invalid_amount", gettext("退款金额必须大于 0"), {"amount_fen": amount_fen})
    if AfterSale.objects.filter(line=line, status__in=OPEN_AFTERSALE).exists():
        raise OrderError("aftersale_open", gettext("该商品已有进行中的售后"), status=409)
    line.refresh_from_db(fields=["refunded_fen"])
    if amount_fen > line.refundable_fen:
        raise OrderError(
            "refund_exceeds_paid",
            gettext("退款金额不能超过该商品实付金额（还可退 ¥%(left)s）") % {"left": yuan(line.refundable_fen)},
            {"requested_fen": amount_fen, "refundable_fen": line.refundable_fen}, status=422,
        )
    if kind == AfterSale.Kind.RETURN_REFUND:
        quantity = quantity or line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= line.quantity:
            raise OrderError("invalid_quantity", gettext("退货数量不正确"), {"quantity": quantity, "max": line.quantity})
    else:
        quantity = 0
    aftersale = AfterSale.objects.create(line=line, order=order, kind=kind, amount_fen=amount_fen, quantity=quantity, reason=reason[:200])
    AfterSaleEvent.objects.create(aftersale=aftersale, from_status="", to_status=aftersale.status, actor=user, note=reason[:200])
    return aftersale


def _locked_aftersale(aftersale_id: int, *, user=None) -> AfterSale:
    qs = AfterSale.objects.select_for_update().filter(pk=aftersale_id)
    if user is not None:
        qs = qs.filter(order__user=user)
    aftersale = qs.first()
    if aftersale is None:
        raise OrderError("aftersale_not_found", gettext("售后单不存在"), {"aftersale_id": aftersale_id}, status=404)
    return aftersale


def _refuse_own_order(order_id: int, actor) -> None:
    owner_id = Order.objects.filter(pk=order_id).values_list("user_id", flat=True).first()
    refuse_own(actor, owner_id, what=f"order:{order_id}")


REFUND_APPROVAL = "large_refund"


def refund_approval_limit_fen() -> int:
    """Refunds above this amount need a finance colleague's approval (default ¥500)."""
    return int(getattr(settings, "FENXIAO_REFUND_APPROVAL_FEN", 50000))


def _await_refund_approval(aftersale: AfterSale, order: Order, *, actor) -> AfterSale:
    from fenxiao.approvals import services as approvals

    _aftersale_transition(
        aftersale, A.AWAITING_APPROVAL, actor=actor,
        note=gettext("退款 ¥%(amount)s 超过 ¥%(limit)s，等待财务审批")
        % {"amount": yuan(aftersale.amount_fen), "limit": yuan(refund_approval_limit_fen())},
    )
    approvals.propose(
        kind=REFUND_APPROVAL,
        reference=f"aftersale:{aftersale.pk}",
        amount_fen=aftersale.amount_fen,
        summary=gettext("订单 %(number)s 退款 ¥%(amount)s：%(reason)s")
        % {"number": order.number, "amount": yuan(aftersale.amount_fen), "reason": aftersale.reason[:80]},
        proposer=actor,
        payload={"aftersale_id": aftersale.pk},
        beneficiaries=[order.user_id],
    )
    return aftersale


@transaction.atomic
def refund_after_approval(request, actor) -> dict:
    """Approval handler: finance approved a large refund; send it."""
    aftersale = _locked_aftersale(request.payload["aftersale_id"])
    if aftersale.status != A.AWAITING_APPROVAL:
        raise OrderError("invalid_transition", gettext("该售后单不在待审批状态"), {"status": aftersale.status}, status=409)
    aftersale = _refund_aftersale(aftersale, actor=actor, approved=True)
    return {"aftersale_id": aftersale.pk, "refund_id": aftersale.refund_id, "amount_fen": aftersale.amount_fen}


@transaction.atomic
def refund_rejected(request, actor) -> None:
    """Approval handler: finance refused a large refund; the after-sale is closed with its reason."""
    aftersale = _locked_aftersale(request.payload["aftersale_id"])
    if aftersale.status == A.AWAITING_APPROVAL:
        aftersale.reject_reason = (request.decision_note or gettext("财务未批准退款"))[:200]
        _aftersale_transition(aftersale, A.REJECTED, actor=actor, note=aftersale.reject_reason, extra_fields=("reject_reason",))


def _refund_aftersale(aftersale: AfterSale, *, actor, approved: bool = False) -> AfterSale:
    order = Order.objects.get(pk=aftersale.order_id)
    if not approved and aftersale.amount_fen > refund_approval_limit_fen():
        return _await_refund_approval(aftersale, order, actor=actor)
    _aftersale_transition(aftersale, A.REFUNDING, actor=actor, note=gettext("发起退款"))
    refund = payments.refund_payment(
        payment_id=order.payment_id, amount_fen=aftersale.amount_fen, reason=aftersale.reason,
        idempotency_key=f"aftersale:{aftersale.pk}", actor=actor,
    )
    AfterSale.objects.filter(pk=aftersale.pk).update(refund_id=refund.pk)
    aftersale.refresh_from_db()
    return aftersale


@transaction.atomic
def review_aftersale(*, aftersale_id: int, actor, approve: bool, reason: str = "") -> AfterSale:
    aftersale = _locked_aftersale(aftersale_id)
    _refuse_own_order(aftersale.order_id, actor)
    if not approve:
        reason = (reason or "").strip()
        if not reason:
            raise OrderError("reason_required", gettext("拒绝售后须填写原因"))
        aftersale.reject_reason = reason[:200]
        return _aftersale_transition(aftersale, A.REJECTED, actor=actor, note=reason, extra_fields=("reject_reason",))
    if aftersale.status != A.REQUESTED:
        raise OrderError("invalid_transition", gettext("该售后单不在待审核状态"), {"status": aftersale.status}, status=409)
    if aftersale.kind == AfterSale.Kind.RETURN_REFUND:
        return _aftersale_transition(aftersale, A.AWAITING_RETURN, actor=actor, note=gettext("同意退货，等待买家寄回"))
    return _refund_aftersale(aftersale, actor=actor)


@transaction.atomic
def operator_refund_line(*, line_id: int, amount_fen: int, actor, reason: str) -> AfterSale:
    """Customer service refunds part or all of a line on the operator's own initiative: after
    shipping, and also after the order completed (a late complaint settled with money). It is an
    after-sale like any other (refund only), opened and approved by the operator in one step; the
    commissions follow through the refund signal: cancelled while pending, clawed back once settled."""
    line = OrderLine.objects.select_related("order").filter(pk=line_id).first()
    if line is None:
        raise OrderError("order_not_found", gettext("订单行不存在"), {"line_id": line_id}, status=404)
    order = _locked_order(line.order_id)
    refuse_own(actor, order.user_id, what=f"order:{order.number}")
    if order.status not in (S.SHIPPED, S.RECEIVED, S.COMPLETED):
        raise OrderError(
            "aftersale_not_allowed",
            gettext("只有已发货、已收货或已完成的订单可以由客服退款；未发货的订单请取消"),
            {"status": order.status}, status=409,
        )
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("reason_required", gettext("请填写退款原因"))
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise OrderError("invalid_amount", gettext("退款金额必须大于 0"), {"amount_fen": amount_fen})
    if AfterSale.objects.filter(line=line, status__in=OPEN_AFTERSALE).exists():
        raise OrderError("aftersale_open", gettext("该商品已有进行中的售后"), status=409)
    line.refresh_from_db(fields=["refunded_fen"])
    if amount_fen > line.refundable_fen:
        raise OrderError(
            "refund_exceeds_paid",
            gettext("退款金额不能超过该商品实付金额（还可退 ¥%(left)s）") % {"left": yuan(line.refundable_fen)},
            {"requested_fen": amount_fen, "refundable_fen": line.refundable_fen}, status=422,
        )
    aftersale = AfterSale.objects.create(
        line=line, order=order, kind=AfterSale.Kind.REFUND_ONLY, amount_fen=amount_fen, reason=reason[:200]
    )
    AfterSaleEvent.objects.create(
        aftersale=aftersale, from_status="", to_status=aftersale.status, actor=actor,
        note=(gettext("客服发起退款：%(reason)s") % {"reason": reason})[:200],
    )
    return _refund_aftersale(aftersale, actor=actor)


@transaction.atomic
def submit_return(*, aftersale_id: int, user, tracking_number: str) -> AfterSale:
    tracking_number = (tracking_number or "").strip()
    if not tracking_number or len(tracking_number) > 40:
        raise OrderError("tracking_required", gettext("请填写退货快递单号"))
    aftersale = _locked_aftersale(aftersale_id, user=user)
    aftersale.return_tracking_number = tracking_number
    return _aftersale_transition(aftersale, A.RETURNED, actor=user, note=tracking_number, extra_fields=("return_tracking_number",))


@transaction.atomic
def receive_return_and_refund(*, aftersale_id: int, actor) -> AfterSale:
    """The warehouse got the goods back: put them back in stock and refund."""
    aftersale = _locked_aftersale(aftersale_id)
    _refuse_own_order(aftersale.order_id, actor)
    if aftersale.status != A.RETURNED:
        raise OrderError("invalid_transition", gettext("买家尚未寄回商品"), {"status": aftersale.status}, status=409)
    line = OrderLine.objects.get(pk=aftersale.line_id)
    if aftersale.quantity:
        inventory.receive_stock(sku_id=line.sku_id, quantity=aftersale.quantity, actor=actor, note=f"aftersale:{aftersale.pk}")
    return _refund_aftersale(aftersale, actor=actor)


@transaction.atomic
def withdraw_aftersale(*, aftersale_id: int, user) -> AfterSale:
    aftersale = _locked_aftersale(aftersale_id, user=user)
    return _aftersale_transition(aftersale, A.WITHDRAWN, actor=user, note=gettext("买家撤销"))


def open_aftersale_filter() -> Q:
    return Q(aftersales__status__in=OPEN_AFTERSALE)
