"""The cart and the buyer's addresses."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from fenxiao.addresses import regions
from fenxiao.catalog.models import Sku
from fenxiao.common.phone import is_mainland_mobile, normalize_phone
from fenxiao.shop.purchase import purchasable_skus

from ..errors import OrderCode, OrderError
from ..models import CartLine

MAX_QUANTITY = 999


def check_quantity(quantity) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise OrderError(
            OrderCode.INVALID_QUANTITY,
            gettext("数量须为 1 到 %(max)s 之间的整数") % {"max": MAX_QUANTITY},
            {"quantity": quantity},
        )
    return quantity


def _sellable_sku(sku_id: int) -> Sku:
    sku = purchasable_skus([sku_id]).get(sku_id)
    if sku is None:
        raise OrderError(OrderCode.SKU_UNAVAILABLE, gettext("该商品已下架或不存在"), {"sku_id": sku_id}, status=404)
    return sku


def add_to_cart(*, user, sku_id: int, quantity: int = 1) -> CartLine:
    check_quantity(quantity)
    _sellable_sku(sku_id)
    with transaction.atomic():
        line = CartLine.objects.select_for_update().filter(user=user, sku_id=sku_id).first()
        if line is None:
            return CartLine.objects.create(user=user, sku_id=sku_id, quantity=quantity)
        line.quantity = check_quantity(line.quantity + quantity)
        line.save(update_fields=["quantity"])
        return line


def set_cart_quantity(*, user, sku_id: int, quantity: int) -> CartLine | None:
    """Quantity 0 removes the line."""
    if quantity == 0:
        CartLine.objects.filter(user=user, sku_id=sku_id).delete()
        return None
    check_quantity(quantity)
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
            raise OrderError(OrderCode.INVALID_ADDRESS, gettext("请填写完整的收货地址"), {"field": name})
        if name == "phone":
            value = normalize_phone(value)
            if not is_mainland_mobile(value):
                raise OrderError(OrderCode.INVALID_PHONE, gettext("收货手机号格式不正确"), {"field": "phone"})
        elif len(value) > _ADDRESS_LIMITS[name]:
            raise OrderError(OrderCode.INVALID_ADDRESS, gettext("地址内容过长"), {"field": name, "max": _ADDRESS_LIMITS[name]})
        clean[name] = value
    # the three names must be one real province → city → district chain of the division dataset
    wrong = regions.unmatched_field(clean["province"], clean["city"], clean["district"])
    if wrong:
        raise OrderError(
            OrderCode.INVALID_ADDRESS,
            gettext("省、市、区县不是一个有效的行政区划组合"),
            {"field": wrong, "region": [clean["province"], clean["city"], clean["district"]]},
        )
    return clean
