"""满减送 gifts: a gift product is a zero-price line with its own stock reservation (while stock lasts);
gift coupons are issued after payment and taken back when the order is refunded in full."""

import pytest

from fenxiao.inventory.models import StockRecord
from fenxiao.orders import services
from fenxiao.promotions.models import UserCoupon
from tests.factories import SkuFactory, StaffFactory

from .conftest import make_coupon, make_reduction

pytestmark = pytest.mark.django_db


def sku_at(retail_fen: int, stock: int = 20):
    return SkuFactory(retail_fen=retail_fen, suggested_retail_fen=retail_fen, control_fen=1, cost_fen=100, stock=stock)


def reserved(sku) -> int:
    return StockRecord.objects.get(sku=sku).reserved


def test_gift_product_is_a_zero_price_line_with_its_own_reservation(buyer, address):
    goods, gift = sku_at(10000), sku_at(3000, stock=5)
    make_reduction([{"threshold": 10000, "amount_off_fen": 0, "gift_sku": gift, "gift_quantity": 2}], name="买就送")
    order = services.place_order(user=buyer, items=[(goods.pk, 1)], address=address)
    gift_line = order.lines.get(is_gift=True)
    assert (gift_line.sku_id, gift_line.quantity, gift_line.unit_price_fen, gift_line.paid_fen) == (gift.pk, 2, 0, 0)
    assert order.goods_fen == 10000 and order.total_fen == 10000
    assert reserved(gift) == 2
    assert order.price_breakdown["gifts"][0]["quantity"] == 2
    services.cancel_order(order_id=order.pk, actor=buyer)
    assert reserved(gift) == 0


def test_gift_below_the_threshold_is_not_given(buyer, address):
    goods, gift = sku_at(5000), sku_at(3000)
    make_reduction([{"threshold": 10000, "amount_off_fen": 0, "gift_sku": gift}])
    order = services.place_order(user=buyer, items=[(goods.pk, 1)], address=address)
    assert not order.lines.filter(is_gift=True).exists() and order.price_breakdown["gifts"] == []


def test_a_gift_that_ran_out_is_left_out_not_the_purchase(buyer, address):
    goods, gift = sku_at(10000), sku_at(3000, stock=1)
    make_reduction([{"threshold": 10000, "amount_off_fen": 0, "gift_sku": gift, "gift_quantity": 2}])
    order = services.place_order(user=buyer, items=[(goods.pk, 1)], address=address)
    assert not order.lines.filter(is_gift=True).exists()
    assert order.price_breakdown["gifts"][0]["out_of_stock"] is True
    assert reserved(gift) == 0 and reserved(goods) == 1


def test_gift_also_bought_counts_against_its_stock(buyer, address):
    gift = sku_at(10000, stock=3)
    make_reduction([{"threshold": 10000, "amount_off_fen": 0, "gift_sku": gift}])
    order = services.place_order(user=buyer, items=[(gift.pk, 3)], address=address)
    assert not order.lines.filter(is_gift=True).exists()  # all 3 are bought: none left to give
    order = services.place_order(user=buyer, items=[(sku_at(20000).pk, 1)], address=address)
    assert not order.lines.filter(is_gift=True).exists()


def test_gift_coupons_after_payment_and_taken_back_on_full_refund(buyer, address):
    goods = sku_at(20000)
    bonus = make_coupon(name="下单返券", amount_fen=500, validity="days", valid_days=30, valid_until=None, claimable=False)
    make_reduction([{"threshold": 10000, "amount_off_fen": 1000, "gift_coupon": bonus}])
    order = services.place_order(user=buyer, items=[(goods.pk, 1)], address=address, coupon=None)
    assert not UserCoupon.objects.filter(coupon=bonus).exists()  # not before payment
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    gift = UserCoupon.objects.get(coupon=bonus, user=buyer)
    assert gift.source == "gift" and gift.source_reference == f"order:{order.pk}" and gift.status == "available"
    operator = StaffFactory(is_superuser=True)
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰", tracking_number="SF1")
    line = order.lines.get()
    services.operator_refund_line(line_id=line.pk, amount_fen=line.paid_fen, actor=operator, reason="退货")
    gift.refresh_from_db()
    assert gift.status == "revoked"


def test_gift_coupon_already_used_stays_with_its_order(buyer, address):
    goods = sku_at(20000)
    bonus = make_coupon(name="返券", amount_fen=500, validity="days", valid_days=30, valid_until=None)
    make_reduction([{"threshold": 10000, "amount_off_fen": 0, "gift_coupon": bonus}])
    first = services.place_order(user=buyer, items=[(goods.pk, 1)], address=address)
    services.pay_with_dev_provider(user=buyer, order_id=first.pk)
    second = services.place_order(user=buyer, items=[(goods.pk, 1)], address=address)
    gift = UserCoupon.objects.get(coupon=bonus, source_reference=f"order:{first.pk}")
    assert second.user_coupon_id == gift.pk
    services.pay_with_dev_provider(user=buyer, order_id=second.pk)
    services.cancel_order(order_id=first.pk, actor=buyer)  # paid, not shipped: refunded in full
    gift.refresh_from_db()
    assert gift.status == "used" and gift.order_reference == f"order:{second.pk}"


def test_cancelling_a_paid_order_takes_back_its_unused_gift_coupon(buyer, address):
    goods = sku_at(20000)
    bonus = make_coupon(name="返券", amount_fen=500, validity="days", valid_days=30, valid_until=None)
    make_reduction([{"threshold": 10000, "amount_off_fen": 0, "gift_coupon": bonus}])
    order = services.place_order(user=buyer, items=[(goods.pk, 1)], address=address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    services.cancel_order(order_id=order.pk, actor=buyer)
    assert UserCoupon.objects.get(coupon=bonus).status == "revoked"
