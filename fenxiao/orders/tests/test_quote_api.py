"""The quote, cart and order endpoints with the price pipeline: each stage in the breakdown and on the
lines, the buyer's coupons (best by default, one asked for, none, one that cannot be used), the
province the shipping is charged for, and what cannot be delivered."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.catalog.models import ShippingRate, ShippingTemplate
from fenxiao.orders.models import Order
from fenxiao.promotions.models import Coupon, FullReduction, FullReductionTier, TimedDiscount, TimedDiscountItem, UserCoupon
from tests.api_helpers import assert_error
from tests.factories import ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

QUOTE, ORDERS, CART = "/api/v1/orders/quote", "/api/v1/orders", "/api/v1/cart"


class Api:
    def __init__(self, client, user):
        self.client, self.headers = client, {"Authorization": f"Bearer {issue_token(user=user)}"}

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def post(self, url, data=None):
        return self.client.post(url, json.dumps(data or {}), content_type="application/json", headers=self.headers)


@pytest.fixture
def api(client, buyer):
    return Api(client, buyer)


def coupon(name, *, amount_fen, threshold_fen=0) -> Coupon:
    now = timezone.now()
    return Coupon.objects.create(
        name=name,
        kind="amount",
        amount_fen=amount_fen,
        threshold_fen=threshold_fen,
        validity="dates",
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
        total_quantity=100,
        per_person_limit=5,
    )


def give(user, c: Coupon) -> UserCoupon:
    now = timezone.now()
    return UserCoupon.objects.create(
        coupon=c, user=user, seq=1, source="issue", valid_from=now - timedelta(minutes=1), valid_until=now + timedelta(days=7)
    )


@pytest.fixture
def wallet(buyer):
    return {
        "big": give(buyer, coupon("满100减30", amount_fen=3000, threshold_fen=10000)),
        "small": give(buyer, coupon("无门槛10元", amount_fen=1000)),
        "far": give(buyer, coupon("满500减50", amount_fen=5000, threshold_fen=50000)),
    }


@pytest.fixture
def timed(sku):
    """20% off the ¥150 serum: ¥120."""
    now = timezone.now()
    discount = TimedDiscount.objects.create(name="限时八折", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    TimedDiscountItem.objects.create(discount=discount, sku=sku, mode="percent", percent_off_bp=2000)
    return discount


def items(sku, quantity=1):
    return [{"sku_id": sku.pk, "quantity": quantity}]


def test_quote_picks_the_best_coupon_and_lists_them_all(api, sku, wallet, timed):
    body = api.post(QUOTE, {"items": items(sku)}).json()
    # 150 − 30 (限时八折) = 120; the ¥30 coupon (from ¥100) beats the ¥10 one: ¥90 of goods, under the
    # legacy ¥99 free-shipping line, + ¥10
    assert (body["goods_fen"], body["discount_fen"], body["shipping_fen"], body["total_fen"]) == (15000, 6000, 1000, 10000)
    assert [(d["stage"], d["label"], d["amount_fen"]) for d in body["discounts"]] == [
        ("timed", "限时八折", 3000),
        ("coupon", "满100减30", 3000),
    ]
    assert body["discounts"][0]["source_id"] == timed.pk and body["discounts"][0]["code"] == "timed"
    assert body["coupon"] == {
        "user_coupon_id": wallet["big"].pk,
        "coupon_id": wallet["big"].coupon_id,
        "name": "满100减30",
        "amount_fen": 3000,
    }
    (line,) = body["lines"]
    assert (line["sku_id"], line["line_total_fen"], line["discount_fen"], line["paid_fen"]) == (sku.pk, 15000, 6000, 9000)
    assert [(a["stage"], a["amount_fen"]) for a in line["adjustments"]] == [("timed", 3000), ("coupon", 3000)]
    options = {o["user_coupon_id"]: o for o in body["coupons"]}
    assert set(options) == {h.pk for h in wallet.values()}
    assert (options[wallet["big"].pk]["usable"], options[wallet["big"].pk]["discount_fen"]) == (True, 3000)
    assert (options[wallet["small"].pk]["usable"], options[wallet["small"].pk]["discount_fen"]) == (True, 1000)
    far = options[wallet["far"].pk]
    assert (far["usable"], far["discount_fen"], far["code"]) == (False, 0, "coupon_threshold_not_met")
    assert "还差 ¥380.00" in far["reason"] and far["valid_until"]
    assert body["undeliverable_product_ids"] == [] and body["shipping_free_by"] == ""


def test_quote_with_the_coupon_asked_for(api, sku, wallet):
    body = api.post(QUOTE, {"items": items(sku), "coupon_id": wallet["small"].pk}).json()
    assert body["coupon"]["user_coupon_id"] == wallet["small"].pk and body["total_fen"] == 14000


def test_quote_without_a_coupon(api, sku, wallet):
    body = api.post(QUOTE, {"items": items(sku), "use_coupon": False}).json()
    assert body["coupon"] is None and body["discounts"] == [] and body["total_fen"] == 15000
    assert len(body["coupons"]) == 3  # still listed, to pick from


def test_quote_with_a_coupon_that_cannot_be_used_says_why(api, sku, wallet):
    body = assert_error(api.post(QUOTE, {"items": items(sku), "coupon_id": wallet["far"].pk}), 400, "coupon_threshold_not_met")
    assert "还差 ¥350.00" in body["message"]
    stranger = give(UserFactory(), coupon("别人的券", amount_fen=1000))
    assert_error(api.post(QUOTE, {"items": items(sku), "coupon_id": stranger.pk}), 409, "coupon_unavailable")
    assert_error(api.post(QUOTE, {"items": items(sku), "coupon_id": 987654}), 409, "coupon_unavailable")
    # asking for a coupon and for none at once is a contradiction
    assert_error(
        api.post(QUOTE, {"items": items(sku), "coupon_id": wallet["small"].pk, "use_coupon": False}), 422, "invalid_input"
    )


@pytest.fixture
def remote():
    """¥80, shipped by a template that charges ¥8 and does not deliver to 浙江省 (code 33)."""
    template = ShippingTemplate.objects.create(name="偏远不发", excluded_provinces=["33"])
    ShippingRate.objects.create(template=template, provinces=[], first_units=1, first_fen=800)
    return SkuFactory(product=ProductFactory(name="冰鲜海鲜", shipping_template=template), retail_fen=8000, stock=10)


def test_quote_for_a_province_or_an_address_of_the_book(api, buyer, remote):
    assert api.post(QUOTE, {"items": items(remote)}).json()["undeliverable_product_ids"] == []  # no province: base rate
    assert api.post(QUOTE, {"items": items(remote)}).json()["shipping_fen"] == 800
    body = api.post(QUOTE, {"items": items(remote), "province": "浙江省"}).json()
    assert body["undeliverable_product_ids"] == [remote.product_id]
    assert api.post(QUOTE, {"items": items(remote), "province": "北京市"}).json()["undeliverable_product_ids"] == []
    book = address_book.add_address(user=buyer, data=dict(BOOK_ADDRESS))
    assert api.post(QUOTE, {"items": items(remote), "address_id": book.pk}).json()["undeliverable_product_ids"] == [
        remote.product_id
    ]
    someone_elses = address_book.add_address(user=UserFactory(), data=dict(BOOK_ADDRESS))
    assert_error(api.post(QUOTE, {"items": items(remote), "address_id": someone_elses.pk}), 404, "address_not_found")
    assert_error(api.post(QUOTE, {"items": items(remote), "address_id": book.pk, "province": "北京市"}), 422, "invalid_input")


def test_placing_an_order_not_delivered_to_the_province_is_refused(api, remote, address):
    body = assert_error(api.post(ORDERS, {"items": items(remote), "address": address}), 422, "not_deliverable")
    assert body["detail"] == {"product_ids": [remote.product_id]}
    assert not Order.objects.exists()


def test_place_order_with_the_best_coupon_the_one_asked_for_or_none(api, buyer, sku, wallet, address):
    best = api.post(ORDERS, {"items": items(sku), "address": address}).json()
    assert best["coupon"]["user_coupon_id"] == wallet["big"].pk and best["total_fen"] == 12000
    assert Order.objects.get(pk=best["id"]).user_coupon_id == wallet["big"].pk
    asked = api.post(ORDERS, {"items": items(sku), "address": address, "coupon_id": wallet["small"].pk}).json()
    assert asked["coupon"]["name"] == "无门槛10元" and asked["total_fen"] == 14000
    assert [(d["stage"], d["amount_fen"]) for d in asked["discounts"]] == [("coupon", 1000)]
    assert [(a["stage"], a["label"], a["amount_fen"]) for a in asked["lines"][0]["adjustments"]] == [
        ("coupon", "无门槛10元", 1000)
    ]
    for held in (wallet["big"], wallet["small"]):
        held.refresh_from_db()
        assert held.status == UserCoupon.Status.RESERVED
    none = api.post(ORDERS, {"items": items(sku), "address": address, "use_coupon": False}).json()
    assert none["coupon"] is None and none["total_fen"] == 15000
    # the coupon already taken by the first order cannot be taken again
    assert_error(
        api.post(ORDERS, {"items": items(sku), "address": address, "coupon_id": wallet["big"].pk}), 409, "coupon_unavailable"
    )
    assert_error(
        api.post(ORDERS, {"items": items(sku), "address": address, "coupon_id": wallet["far"].pk}),
        400,
        "coupon_threshold_not_met",
    )
    # the order detail and the list carry the stages too
    detail = api.get(f"{ORDERS}/{asked['id']}").json()
    assert detail["coupon"]["user_coupon_id"] == wallet["small"].pk
    assert detail["lines"][0]["adjustments"][0]["stage"] == "coupon"
    listed = {o["id"]: o for o in api.get(ORDERS).json()}
    assert listed[asked["id"]]["lines"][0]["adjustments"][0]["amount_fen"] == 1000


def test_nothing_to_pay_is_refused(api, buyer, sku, address):
    now = timezone.now()
    rule = FullReduction.objects.create(name="全场包邮", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    FullReductionTier.objects.create(rule=rule, threshold=1, free_shipping=True)
    held = give(buyer, coupon("150元券", amount_fen=15000))
    quote = api.post(QUOTE, {"items": items(sku)}).json()
    assert (quote["total_fen"], quote["shipping_free_by"]) == (0, "full_reduction")
    assert_error(api.post(ORDERS, {"items": items(sku), "address": address}), 422, "pay_amount_not_positive")
    held.refresh_from_db()
    assert held.status == UserCoupon.Status.AVAILABLE and not Order.objects.exists()


def test_the_cart_quote_has_the_same_breakdown(api, buyer, sku, wallet, remote):
    api.post(f"{CART}/items", {"sku_id": sku.pk, "quantity": 1})
    body = api.post(f"{CART}/items", {"sku_id": remote.pk, "quantity": 1}).json()
    assert body["quote"]["coupon"]["user_coupon_id"] == wallet["big"].pk
    assert body["quote"]["undeliverable_product_ids"] == []  # no address yet
    assert {line["sku_id"] for line in body["quote"]["lines"]} == {sku.pk, remote.pk}
    address_book.add_address(user=buyer, data=dict(BOOK_ADDRESS))  # default address in 浙江省
    assert api.get(CART).json()["quote"]["undeliverable_product_ids"] == [remote.product_id]


def test_an_order_kept_before_the_stages_still_answers(api, buyer, sku, address):
    order_id = api.post(ORDERS, {"items": items(sku), "address": address}).json()["id"]
    Order.objects.filter(pk=order_id).update(
        price_breakdown={
            "goods_fen": 15000,
            "discounts": [{"code": "opening", "label": "开业立减", "amount_fen": 500}],
            "shipping_fen": 0,
            "total_fen": 14500,
        }
    )
    body = api.get(f"{ORDERS}/{order_id}").json()
    assert body["discounts"] == [{"code": "opening", "stage": "", "source_id": None, "label": "开业立减", "amount_fen": 500}]
    assert body["coupon"] is None and body["shipping_free_by"] == ""


def test_the_contract_declares_the_refusals(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    place, quote = paths[ORDERS]["post"]["responses"], paths[QUOTE]["post"]["responses"]
    for code in ("`not_deliverable`", "`pay_amount_not_positive`"):
        assert code in place["422"]["description"]
    assert "`coupon_unavailable`" in place["409"]["description"] and "`coupon_unavailable`" in quote["409"]["description"]
    assert "`address_not_found`" in quote["404"]["description"]
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert {"QuoteCouponOptionOut", "QuoteLineOut", "QuoteAdjustmentOut", "QuoteCouponOut"} <= set(schemas)


def test_the_operator_order_page_shows_each_stage_per_line_and_the_coupon(api, admin_client, sku, wallet, timed, address):
    order_id = api.post(ORDERS, {"items": items(sku, 2), "address": address, "coupon_id": wallet["small"].pk}).json()["id"]
    html = admin_client.get(reverse("admin:orders_order_change", args=[order_id])).content.decode()
    # the breakdown per stage: 2 × 150 − 60 (限时八折) − 10 (coupon), free shipping from ¥99
    for row in (
        '<th scope="row">限时折扣（限时八折）</th><td>-¥60.00</td>',
        '<th scope="row">优惠券（无门槛10元）</th><td>-¥10.00</td>',
    ):
        assert row in html
    assert '<th scope="row">应付</th><td>¥230.00</td>' in html
    # each line's adjustments, and the coupon used
    assert re.search(r"<td>[^<]*</td><td>限时折扣</td><td>限时八折</td><td>-¥60.00</td>", html)
    assert re.search(r"<td>[^<]*</td><td>优惠券</td><td>无门槛10元</td><td>-¥10.00</td>", html)
    assert f"无门槛10元（券 #{wallet['small'].pk}），抵扣 ¥10.00" in html
