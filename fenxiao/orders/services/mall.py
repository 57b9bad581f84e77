"""Orders of the points mall (积分商城): a product exchanged for points, with or without some cash.

The order has one line, the item's SKU, quantity 1, at the item's cash price and with no promotion
at all (no coupon, 满减, member price, timed discount nor points deduction); shipping comes from the
shipping templates as for any order. It spends the item's points under the order's reference, like
an order paying partly with points, so cancelling it, letting it expire or refunding it in full gives
them back through the usual paths (`membership.give_back`). The exchange counts against the item's
total and per-person limit (`fenxiao.promotions.services.mall`); a cancelled or expired order returns
its unit.

An order with nothing to pay (no cash, free shipping) is paid at once without a payment: the normal
checkout refuses a total of 0 (`pricing.refuse_unpayable`), this path does not go through it.
"""

from __future__ import annotations

from typing import cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.shipping import ShippingItem, quote_shipping
from fenxiao.inventory import services as inventory
from fenxiao.members.errors import MemberCode, MemberError
from fenxiao.promotions.errors import PromotionCode, PromotionError
from fenxiao.promotions.models import PointsMallItem
from fenxiao.promotions.services import mall as points_mall
from fenxiao.shop.purchase import purchasable_skus

from .. import hooks
from ..errors import OrderCode, OrderError
from ..models import Order, OrderLine
from . import membership, shipments
from .cart import clean_address
from .checkout import attribution_for, new_order_number, order_address_fields, unpaid_deadline
from .states import ORDER_MACHINE, S, move_order, reservation_reference


def is_mall_order(order: Order) -> bool:
    return bool((order.price_breakdown or {}).get("points_mall"))


def mall_breakdown(*, item: PointsMallItem, sku_id: int, shipping_fen: int) -> dict:
    """The order's price breakdown, with the keys the pricing pipeline's breakdown has, and what was
    exchanged (`points_mall`)."""
    cash = item.cash_fen
    return {
        "goods_fen": cash,
        "discounts": [],
        "discount_fen": 0,
        "shipping_fen": shipping_fen,
        "shipping_free_by": "template" if shipping_fen == 0 else "",
        "total_fen": cash + shipping_fen,
        "coupon": None,
        "gifts": [],
        "gift_coupons": [],
        "bonus_points": 0,
        "points_used": item.points_price,
        "points_fen": 0,
        "points_to_earn": 0,
        "points_offer": None,
        "lines": [
            {
                "sku_id": sku_id,
                "quantity": 1,
                "unit_price_fen": cash,
                "line_total_fen": cash,
                "discount_fen": 0,
                "paid_fen": cash,
                "adjustments": [],
            }
        ],
        "points_mall": {"item_id": item.pk, "name": item.name, "points": item.points_price},
    }


@transaction.atomic
def place_mall_order(*, user, item_id, address: dict, note: str = "") -> Order:
    """Exchange points (and the item's cash) for a product of the points mall: the order is placed
    with the stock reserved and the points spent, all or nothing. With nothing to pay it is paid at
    once; otherwise it waits for payment like any order. Too few points is `not_enough_points`."""
    clean = clean_address(address)
    note = (note or "").strip()[:200]
    item = points_mall.open_item(item_id, kind=PointsMallItem.Kind.PRODUCT)
    sku_id = cast(int, item.sku_id)  # a product item has its SKU (a database constraint)
    sku = purchasable_skus([sku_id]).get(sku_id)
    if sku is None:
        raise OrderError(OrderCode.SKU_UNAVAILABLE, gettext("该商品已下架，暂不能兑换"), {"sku_ids": [sku_id]}, status=404)
    shipping = quote_shipping(
        [ShippingItem(product_id=sku.product_id, quantity=1, weight_g=sku.weight_g or 0, amount_fen=item.cash_fen)],
        province=clean["province"],
    )
    if shipping.undeliverable_product_ids:
        raise PromotionError(
            PromotionCode.NOT_DELIVERABLE,
            gettext("该商品不配送到所选地区，请更换收货地址"),
            {"product_ids": list(shipping.undeliverable_product_ids)},
            status=422,
        )
    distributor, self_purchase = attribution_for(user)
    now = timezone.now()
    breakdown = mall_breakdown(item=item, sku_id=sku.pk, shipping_fen=shipping.fee_fen)
    order = Order.objects.create(
        number=new_order_number(),
        user=user,
        distributor=distributor,
        is_self_purchase=self_purchase,
        **order_address_fields(clean),
        note=note,
        goods_fen=item.cash_fen,
        discount_fen=0,
        shipping_fen=shipping.fee_fen,
        total_fen=breakdown["total_fen"],
        price_breakdown=breakdown,
        points_used=item.points_price,
        expires_at=unpaid_deadline(now),
    )
    line = OrderLine(
        order=order,
        sku=sku,
        product_id=sku.product_id,
        category_id=sku.product.category_id,
        product_name=sku.product.name,
        sku_spec=sku.spec,
        unit_price_fen=item.cash_fen,
        unit_cost_fen=sku.cost_fen,
        quantity=1,
        line_total_fen=item.cash_fen,
        discount_fen=0,
        paid_fen=item.cash_fen,
    )
    route = shipments.route_of(sku)
    shipments.open_shipments(order, [line], [route])
    line.save()
    ref = reservation_reference(order.pk)
    points_mall.record_exchange(user=user, item=item, order_reference=ref)
    try:
        membership.spend(order)
    except MemberError as exc:
        if exc.code == MemberCode.INSUFFICIENT_POINTS:
            raise points_mall.not_enough_points(item, exc) from exc
        raise
    inventory.reserve(
        reference=ref,
        items=[(sku.pk, 1)],
        expires_at=order.expires_at,
        fresh=True,
        locations=shipments.stock_locations({sku.pk: route}) if route != shipments.MAIN_ROUTE else None,
    )
    ORDER_MACHINE.record(order, "", order.status, actor=user, note=gettext("积分兑换下单"))
    if order.total_fen == 0:
        _paid_without_payment(order, actor=user)
    return order


def _paid_without_payment(order: Order, *, actor) -> None:
    """Nothing to pay: the order is paid now, with paid 0 and no payment. Like a payment's success it
    takes the stock for good and tells the order's listeners; 0 is no qualifying purchase and earns
    nothing."""
    inventory.confirm(reference=reservation_reference(order.pk))
    move_order(order, S.PAID, actor=actor, note=gettext("积分兑换，无需付款"))
    shipments.set_ship_by(order)
    membership.paid(order)
    hooks.paid(order)


def order_ended(order: Order) -> None:
    """The order was cancelled or expired unpaid: a points-mall order's unit goes back to the item."""
    if is_mall_order(order):
        points_mall.return_for_order(reservation_reference(order.pk))
