"""Placing an order and paying it: the price, the distributor snapshot and the stock are taken
together (all or nothing), and the payment reports back through `on_payment_succeeded`, registered
with the payments app in apps.py. The number of statements of either does not grow with the lines."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku
from fenxiao.common.errors import DomainError
from fenxiao.common.numbers import business_number
from fenxiao.distribution import selectors as distribution_selectors
from fenxiao.distribution import services as distribution_services
from fenxiao.inventory import selectors as inventory_selectors
from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import MAIN_LOCATION
from fenxiao.payments import services as payments
from fenxiao.promotions import pricing
from fenxiao.promotions.services import mall as points_mall
from fenxiao.promotions.services import usage as coupon_usage
from fenxiao.shop.purchase import purchasable_skus

from .. import hooks
from ..errors import OrderCode, OrderError
from ..models import CartLine, Order, OrderLine, OrderLineAdjustment
from . import activities, bundles, membership, shipments
from .cart import check_quantity, clean_address
from .states import ORDER_MACHINE, PAYMENT_PURPOSE, S, locked_order, move_order, note_on_order, reservation_reference

logger = logging.getLogger(__name__)

MAX_LINES = 100


def _merge_items(items) -> dict[int, int]:
    merged: dict[int, int] = {}
    for sku_id, quantity in items:
        check_quantity(quantity)
        merged[int(sku_id)] = merged.get(int(sku_id), 0) + quantity
    if not merged:
        raise OrderError(OrderCode.EMPTY_ORDER, gettext("请选择要购买的商品"))
    if len(merged) > MAX_LINES:
        raise OrderError(
            OrderCode.TOO_MANY_LINES, gettext("一个订单最多 %(max)s 种商品") % {"max": MAX_LINES}, {"lines": len(merged)}
        )
    for quantity in merged.values():
        check_quantity(quantity)
    return merged


def new_order_number() -> str:
    """Local time to the second and ten random digits (24 characters, no prefix): readable, sortable
    by time, and with thousands of orders in one second still practically never the same (the column
    is unique)."""
    return business_number("", random_digits=10)


def attribution_for(user):
    """The distributor credited with this buyer's order, and whether it is a self-purchase."""
    return distribution_selectors.sale_attribution(user)


def order_address_fields(clean: dict) -> dict:
    """The order's own copy of an address checked by `clean_address`, as Order's fields."""
    return {
        "receiver": clean["receiver"],
        "receiver_phone": clean["phone"],
        "province": clean["province"],
        "city": clean["city"],
        "district": clean["district"],
        "address_detail": clean["detail"],
    }


def unpaid_deadline(now):
    """When an order placed at `now` is cancelled if still unpaid."""
    return now + timedelta(minutes=settings.FENXIAO_UNPAID_TIMEOUT_MINUTES)


def quote_items(
    *, user, items, province: str | None = None, coupon=pricing.AUTO, points=0, activity: pricing.ActivityTerms | None = None
) -> tuple[dict[int, Sku], pricing.Quote]:
    """Price items through the one pipeline (`fenxiao.promotions.pricing`): the cart, the quote API,
    checkout and the order all come here. `coupon`: AUTO (the best usable one), None, or a held
    coupon's id; `points`: how many to spend (or pricing.ALL_POINTS); `activity`: the terms of the
    activity (秒杀, 拼团, 砍价) the items are bought in."""
    merged = _merge_items(items)
    skus = purchasable_skus(merged)
    missing = [sku_id for sku_id in merged if sku_id not in skus]
    if missing:
        raise OrderError(OrderCode.SKU_UNAVAILABLE, gettext("部分商品已下架或不存在"), {"sku_ids": missing}, status=404)
    ordered = sorted(merged)
    quote = pricing.price(
        user=user,
        items=[(skus[sku_id], merged[sku_id]) for sku_id in ordered],
        province=province,
        coupon=coupon,
        points=points,
        activity=activity,
    )
    return skus, quote


@transaction.atomic
def place_order(
    *,
    user,
    items,
    address: dict,
    note: str = "",
    from_cart: bool = False,
    coupon=pricing.AUTO,
    points=0,
    activity: pricing.ActivityTerms | None = None,
    location: str = MAIN_LOCATION,
    unpaid_minutes: int | None = None,
    hold: str = "",
) -> Order:
    """Price the items, snapshot them with the attributed distributor, reserve the stock (all or
    nothing) and the coupon, and open the order for payment. The number of queries does not grow
    with the lines.

    An activity order (see `services.activities`) passes its `activity` terms, the stock `location`
    its units sit in (a flash sale's own), its own unpaid timeout, and a `hold` (拼团: no shipping and
    no after-sales until the group succeeds)."""
    clean = clean_address(address)
    note = (note or "").strip()[:200]
    skus, quote = quote_items(user=user, items=items, province=clean["province"], coupon=coupon, points=points, activity=activity)
    pricing.refuse_unpayable(quote)
    breakdown = quote.breakdown()
    gifts = gifts_in_stock(quote, breakdown)
    distributor, self_purchase = attribution_for(user)
    now = timezone.now()
    order = Order.objects.create(
        number=new_order_number(),
        user=user,
        distributor=distributor,
        is_self_purchase=self_purchase,
        **order_address_fields(clean),
        note=note,
        goods_fen=quote.goods_fen,
        discount_fen=quote.discount_fen,
        shipping_fen=quote.shipping_fen,
        total_fen=quote.total_fen,
        price_breakdown=breakdown,
        user_coupon_id=quote.user_coupon_id,
        points_used=quote.points_used,
        expires_at=now + timedelta(minutes=unpaid_minutes) if unpaid_minutes else unpaid_deadline(now),
        activity_kind=activity.kind if activity else "",
        activity_id=activity.activity_id if activity else None,
        pays_commission=activity.pays_commission if activity else True,
        hold=hold,
    )
    drafts = bundles.order_lines(quote.lines, skus)  # a bundle's line becomes one line per component
    for draft in drafts:
        draft.line.order = order
    unsaved = [draft.line for draft in drafts] + [
        OrderLine(
            order=order,
            sku_id=gift.sku.pk,
            product_id=gift.sku.product_id,
            category_id=gift.sku.product.category_id,
            product_name=gift.sku.product.name,
            sku_spec=gift.sku.spec,
            unit_price_fen=0,
            unit_cost_fen=gift.sku.cost_fen,
            quantity=gift.quantity,
            line_total_fen=0,
            discount_fen=0,
            paid_fen=0,
            is_gift=True,
        )
        for gift in gifts
    ]
    # One shipment per fulfilment route (the platform warehouse, each supplier), each line in its own.
    sku_routes = _sku_routes(skus, drafts, gifts)
    shipments.open_shipments(order, unsaved, [sku_routes[line.sku_id] for line in unsaved])
    lines = OrderLine.objects.bulk_create(unsaved)
    OrderLineAdjustment.objects.bulk_create(
        [
            OrderLineAdjustment(
                line=row, stage=adj.stage, source_id=adj.source_id, label=adj.label[:80], amount_fen=adj.amount_fen
            )
            for row, draft in zip(lines, drafts, strict=False)
            for adj in draft.adjustments
        ]
    )
    if quote.user_coupon_id is not None:
        coupon_usage.reserve(user_coupon_id=quote.user_coupon_id, user=user, reference=reservation_reference(order.pk))
    membership.spend(order)
    # All routes in one reservation, all or none: a supplier short of one SKU holds nothing anywhere.
    inventory.reserve(
        reference=reservation_reference(order.pk),
        items=[(line.sku_id, line.quantity) for line in unsaved],
        expires_at=order.expires_at,
        location=location,
        fresh=True,
        **_locations(shipments.stock_locations(sku_routes)),
    )
    ORDER_MACHINE.record(order, "", order.status, actor=user, note=gettext("下单"))
    if from_cart:
        CartLine.objects.filter(user=user, sku_id__in=[line.sku_id for line in quote.lines]).delete()
    return order


def _sku_routes(skus: dict[int, Sku], drafts: list[bundles.LineDraft], gifts: list[pricing.Gift]) -> dict[int, str]:
    """The fulfilment route of every SKU the order's lines hold (bundle components and gifts
    included), from the SKUs and products already loaded: no query."""
    routes: dict[int, str] = {}
    for draft in drafts:
        line = draft.line
        if line.sku_id not in routes:
            sku = skus.get(line.sku_id) or line.sku  # a bundle component's line carries its SKU
            routes[line.sku_id] = shipments.route_of(sku)
    for gift in gifts:
        routes.setdefault(gift.sku.pk, shipments.route_of(gift.sku))
    return routes


def _locations(locations: dict[int, str]) -> dict:
    """The `locations` argument of a reservation, only when some SKU is held elsewhere than the
    order's location (a single-route platform order reserves exactly as before)."""
    return {"locations": locations} if locations else {}


def _stock_location(order: Order) -> str:
    """Where the order's units were reserved: a flash order's come from its sale's own stock (the
    location of the reservation it held), every other order's from the platform warehouse."""
    if order.activity_kind:
        held = inventory_selectors.reserved_location(reservation_reference(order.pk))
        if held:
            return held
    return MAIN_LOCATION


def gifts_in_stock(quote: pricing.Quote, breakdown: dict) -> list[pricing.Gift]:
    """The 满减送 gifts that still have stock beside what the order buys (送完即止): a gift that ran out
    is left out of the order and its breakdown row says so (`out_of_stock`), instead of refusing the
    purchase. The cart and checkout pages mark their breakdown with it too."""
    gifts = quote.gifts
    if not gifts:
        return []
    by_route: dict[str, set[int]] = {}
    for gift in gifts:  # a supplier's gift is counted in the supplier's stock
        by_route.setdefault(shipments.route_of(gift.sku), set()).add(gift.sku.pk)
    free: dict[int, int] = {}
    for route, sku_ids in by_route.items():
        free.update(inventory_selectors.available_by_sku(sku_ids, location=route))
    taken: dict[int, int] = {}
    for line in quote.lines:
        taken[line.sku_id] = taken.get(line.sku_id, 0) + line.quantity
    kept: list[pricing.Gift] = []
    for gift in gifts:
        sku_id = gift.sku.pk
        if free.get(sku_id, 0) - taken.get(sku_id, 0) >= gift.quantity:
            kept.append(gift)
            taken[sku_id] = taken.get(sku_id, 0) + gift.quantity
    kept_keys = {(gift.sku.pk, gift.rule_id) for gift in kept}
    for row in breakdown.get("gifts", []):
        row["out_of_stock"] = (row["sku_id"], row["rule_id"]) not in kept_keys
    return kept


def start_payment(
    *, user, order_id: int, provider: str = "dev", payer_openid: str = "", trade_type: str = "", client_ip: str = ""
):
    """Open (or reuse) the payment of an order awaiting payment. The payment is recorded in a short
    transaction; the provider (WeChat Pay's JSAPI, H5 or Native order, `trade_type`) is asked after it
    commits, never while the order is locked. A failed ask leaves the payment open, and asking again
    reuses its number. An open payment of another kind (another provider, trade type or payer) is
    closed first, at WeChat Pay before here and outside any transaction, so that the order never has
    two payable payments; if it cannot be closed, it stays and the error says why."""
    if payments.release_needed(
        purpose=PAYMENT_PURPOSE, reference=str(order_id), provider=provider, trade_type=trade_type, payer_openid=payer_openid
    ):
        with transaction.atomic():
            locked_order(order_id, user=user)  # only the buyer's own order
        payments.release_other_payment(
            purpose=PAYMENT_PURPOSE,
            reference=str(order_id),
            provider=provider,
            trade_type=trade_type,
            payer_openid=payer_openid,
            actor=user,
        )
    with transaction.atomic():
        payment = _open_order_payment(
            user=user, order_id=order_id, provider=provider, payer_openid=payer_openid, trade_type=trade_type
        )
    return payments.prepare_payment(payment, client_ip=client_ip)


def _open_order_payment(
    *, user, order_id: int, provider: str, payer_openid: str = "", order: Order | None = None, trade_type: str = ""
):
    """In the caller's transaction: lock the order (unless the caller did), check it can be paid,
    open its payment."""
    order = order or locked_order(order_id, user=user)
    if order.status != S.PENDING_PAYMENT:
        raise OrderError(
            OrderCode.INVALID_TRANSITION,
            gettext("订单当前状态（%(status)s）不能付款") % {"status": order.get_status_display()},
            {"status": order.status},
            status=409,
        )
    if order.expires_at and order.expires_at <= timezone.now():
        raise OrderError(OrderCode.ORDER_EXPIRED, gettext("订单已超过支付时限，请重新下单"), {"order": order.number}, status=409)
    return payments.open_payment(
        purpose=PAYMENT_PURPOSE,
        reference=str(order.pk),
        amount_fen=order.total_fen,
        description=gettext("订单 %(number)s") % {"number": order.number},
        provider=provider,
        payer_openid=payer_openid,
        trade_type=trade_type,
    )


# The order a payment of this process is being completed for, locked in the same transaction: the
# payment handler takes it from here instead of reading and locking it a second time.
_paying: ContextVar[Order | None] = ContextVar("fenxiao_order_being_paid", default=None)


def pay_with_dev_provider(*, user, order_id: int) -> Order:
    """The development provider: opens the payment and pays it at once (demo and tests only)."""
    with transaction.atomic():
        order = locked_order(order_id, user=user)
        payment = _open_order_payment(user=user, order_id=order_id, provider="dev", order=order)
        token = _paying.set(order)
        try:
            payments.complete_dev_payment(payment_id=payment.pk, actor=user, payment=payment)
        finally:
            _paying.reset(token)
        return order


def on_payment_succeeded(payment) -> None:
    """Payment handler: runs once per payment, inside the transaction that marks it succeeded."""
    order = _paying.get()
    if order is None or order.pk != int(payment.reference):
        order = locked_order(int(payment.reference))
    ref = reservation_reference(order.pk)
    if order.status == S.PENDING_PAYMENT:
        if payment.amount_fen != order.total_fen:
            raise OrderError(
                OrderCode.AMOUNT_MISMATCH, "payment amount differs from order total", {"order": order.number}, status=409
            )
        inventory.confirm(reference=ref)
        if order.user_coupon_id is not None:
            coupon_usage.consume(reference=ref)
        order.paid_fen, order.payment_id, order.payment_provider = payment.amount_fen, payment.pk, payment.provider
        move_order(order, S.PAID, note=gettext("付款成功"), extra_fields=("paid_fen", "payment_id", "payment_provider"))
        shipments.set_ship_by(order)
    elif order.status == S.CANCELLED and order.paid_fen == 0:
        # Paid after the reservation lapsed: take the stock (and the coupon) again if they are there,
        # else refund in full.
        try:
            with transaction.atomic():
                routed = list(order.lines.select_related("shipment").order_by("id"))
                inventory.reserve(
                    reference=ref,
                    items=[(line.sku_id, line.quantity) for line in routed],
                    location=_stock_location(order),
                    **_locations(
                        shipments.stock_locations({line.sku_id: line.shipment.route for line in routed if line.shipment})
                    ),
                )
                inventory.confirm(reference=ref)
                if order.user_coupon_id is not None and not coupon_usage.retake(
                    user_coupon_id=order.user_coupon_id, reference=ref
                ):
                    raise OrderError(OrderCode.COUPON_GONE, "coupon used elsewhere", {"order": order.number}, status=409)
                membership.spend(order)  # the points it used, given back when it lapsed (insufficient now: refunded)
                if (order.price_breakdown or {}).get("points_mall"):
                    points_mall.retake_for_order(ref)  # its unit of the points mall, returned when it lapsed
        except DomainError as exc:
            gone = getattr(exc, "code", "") in (OrderCode.COUPON_GONE, "insufficient_points")
            note_on_order(
                order,
                gettext("付款晚于支付时限且所用优惠券或积分已不可用，已自动全额退款")
                if gone
                else gettext("付款晚于库存保留期且库存已售完，已自动全额退款"),
            )
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
        move_order(
            order,
            S.PAID,
            note=gettext("付款晚于库存保留期，已重新保留库存"),
            extra_fields=("paid_fen", "payment_id", "payment_provider", "cancelled_at", "cancel_reason"),
        )
        shipments.reopen_shipments(order, note=gettext("付款晚于库存保留期，已重新保留库存"))
        shipments.set_ship_by(order)
    else:
        # A second payment for an order already paid: give it back.
        note_on_order(order, gettext("重复付款，已自动退款"))
        payments.refund_payment(
            payment_id=payment.pk,
            amount_fen=payment.amount_fen,
            reason=gettext("重复付款，自动退款"),
            idempotency_key=f"order-duplicate:{payment.pk}",
        )
        return
    if order.status == S.PAID:
        distribution_services.record_qualifying_purchase(user_id=order.user_id, amount_fen=order.paid_fen - order.shipping_fen)
        gift_coupons = [row["coupon_id"] for row in (order.price_breakdown or {}).get("gift_coupons", [])]
        if gift_coupons:
            coupon_usage.issue_gifts(user_id=order.user_id, coupon_ids=gift_coupons, reference=ref)
        membership.paid(order)
        activities.paid(order)
        hooks.paid(order)
