"""Sample orders (样品单): a product sample a distributor asked for and supply chain approved.

The order is the distributor's (as the buyer, at the address it chose), with one line of the SKU at
unit price 0 (its cost price kept as the cost snapshot) and nothing to pay: goods, shipping, total
and paid are all 0. It is marked `is_sample`, credits nobody (`distributor` empty, `pays_commission`
off), earns no points and takes no coupon or promotion. Its stock comes from the samples' own
location (`SAMPLES_LOCATION`, "samples": units the operator receives there like at any location),
and it ships from the platform warehouse like any order: one "main" shipment, due
FENXIAO_SHIP_WITHIN_HOURS after it is paid — which is at once, without a payment, as the points
mall's zero-paid orders are. Not enough sample stock is `sold_out` (409) and nothing is written.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import SAMPLES_LOCATION
from fenxiao.shop.purchase import purchasable_skus

from .. import hooks
from ..errors import OrderCode, OrderError
from ..models import Order, OrderLine
from .cart import clean_address
from .checkout import new_order_number, order_address_fields, unpaid_deadline
from .shipments import MAIN_ROUTE, open_shipments, set_ship_by
from .states import ORDER_MACHINE, S, move_order, reservation_reference

__all__ = ["is_sample_order", "place_sample_order", "sample_breakdown"]


def is_sample_order(order: Order) -> bool:
    return bool(order.is_sample)


def sample_breakdown(*, sku_id: int, quantity: int, request_id: int | None) -> dict:
    """The order's price breakdown, with the keys the pricing pipeline's breakdown has (all zero), and
    what it is (`sample`)."""
    return {
        "goods_fen": 0,
        "discounts": [],
        "discount_fen": 0,
        "shipping_fen": 0,
        "shipping_free_by": "sample",
        "total_fen": 0,
        "coupon": None,
        "gifts": [],
        "gift_coupons": [],
        "bonus_points": 0,
        "points_used": 0,
        "points_fen": 0,
        "points_to_earn": 0,
        "points_offer": None,
        "lines": [
            {
                "sku_id": sku_id,
                "quantity": quantity,
                "unit_price_fen": 0,
                "line_total_fen": 0,
                "discount_fen": 0,
                "paid_fen": 0,
                "adjustments": [],
            }
        ],
        "sample": {"request_id": request_id},
    }


@transaction.atomic
def place_sample_order(
    *,
    user,
    sku_id: int,
    quantity: int,
    address: dict,
    actor,
    note: str = "",
    request_id: int | None = None,
) -> Order:
    """Place and pay (without a payment) the zero-price sample order of `quantity` units of `sku_id`
    for `user` (the distributor's account) at `address` (the fields of `cart.ADDRESS_FIELDS`), as
    `actor` (the supply-chain member who approved it). A SKU that cannot be sold is
    `sku_unavailable` (404); too few sample units is the inventory's `sold_out` (409) and nothing is
    written."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise OrderError(OrderCode.INVALID_QUANTITY, gettext("数量须为正整数"), {"quantity": quantity})
    clean = clean_address(address)
    sku = purchasable_skus([sku_id]).get(sku_id)
    if sku is None or getattr(sku, "is_bundle", False):
        raise OrderError(OrderCode.SKU_UNAVAILABLE, gettext("该商品已下架，不能申领样品"), {"sku_ids": [sku_id]}, status=404)
    now = timezone.now()
    order = Order.objects.create(
        number=new_order_number(),
        user=user,
        distributor=None,
        is_self_purchase=False,
        **order_address_fields(clean),
        note=(note or "").strip()[:200],
        goods_fen=0,
        discount_fen=0,
        shipping_fen=0,
        total_fen=0,
        price_breakdown=sample_breakdown(sku_id=sku.pk, quantity=quantity, request_id=request_id),
        points_used=0,
        expires_at=unpaid_deadline(now),
        is_sample=True,
        pays_commission=False,
    )
    line = OrderLine(
        order=order,
        sku=sku,
        product_id=sku.product_id,
        category_id=sku.product.category_id,
        product_name=sku.product.name,
        sku_spec=sku.spec,
        unit_price_fen=0,
        unit_cost_fen=sku.cost_fen,
        quantity=quantity,
        line_total_fen=0,
        discount_fen=0,
        paid_fen=0,
    )
    open_shipments(order, [line], [MAIN_ROUTE])
    line.save()
    ref = reservation_reference(order.pk)
    inventory.reserve(
        reference=ref, items=[(sku.pk, quantity)], expires_at=order.expires_at, location=SAMPLES_LOCATION, fresh=True
    )
    ORDER_MACHINE.record(order, "", order.status, actor=actor, note=gettext("样品申请批准，生成样品单"))
    # Nothing to pay: paid now, like a payment's success (the stock is taken for good, the shipment
    # is due, the listeners hear of it: with no distributor and no commission nothing accrues).
    inventory.confirm(reference=ref)
    move_order(order, S.PAID, actor=actor, note=gettext("样品单，无需付款"))
    set_ship_by(order)
    hooks.paid(order)
    return order
