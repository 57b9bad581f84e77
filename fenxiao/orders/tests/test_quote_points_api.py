"""Points and 满减送 gifts through the quote, order and after-sale endpoints: the points offer of a quote,
a number of points or as many as allowed, the refusals, an order placed with points, gift lines, and
the error codes the contract declares."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.members import selectors as member_selectors
from fenxiao.members.models import MemberSettings
from fenxiao.members.services import points as member_points
from fenxiao.orders.models import Order
from fenxiao.promotions.tests.conftest import make_coupon, make_reduction
from tests.api_helpers import assert_error
from tests.factories import ADDRESS, OrderFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db

QUOTE, ORDERS = "/api/v1/orders/quote", "/api/v1/orders"


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


@pytest.fixture
def rules(db):
    """100 points take ¥1 off, at most 20% of the goods; ¥1 paid earns 1 point."""
    MemberSettings.objects.update_or_create(
        pk=1, defaults={"points_per_yuan_off": 100, "max_points_share_bp": 2000, "earn_points_per_yuan": 1}
    )


@pytest.fixture
def rich(buyer, rules):
    """5000 points: on the ¥150 serum at most 3000 (¥30)."""
    member_points.grant(buyer.pk, 5000, reference="api-points")
    return buyer


def balance(user) -> int:
    return member_selectors.spendable_points(user.pk, timezone.now())


def items(sku, quantity=1):
    return [{"sku_id": sku.pk, "quantity": quantity}]


def test_a_quote_offers_the_points_without_using_them(api, rich, sku):
    body = api.post(QUOTE, {"items": items(sku)}).json()
    assert body["points"] == {
        "balance": 5000,
        "max_points": 3000,
        "max_fen": 3000,
        "ratio": 100,
        "used": 0,
        "fen": 0,
        "to_earn": 150,
    }
    assert body["total_fen"] == 15000 + body["shipping_fen"]
    assert body["gifts"] == [] and body["gift_coupons"] == []


def test_a_quote_with_a_number_of_points(api, rich, sku):
    body = api.post(QUOTE, {"items": items(sku), "points": 1000}).json()
    assert body["points"]["used"] == 1000 and body["points"]["fen"] == 1000
    assert body["points"]["to_earn"] == 140
    assert body["total_fen"] == 14000 + body["shipping_fen"]
    points = [d for d in body["discounts"] if d["stage"] == "points"]
    assert [d["amount_fen"] for d in points] == [1000]


def test_a_quote_with_all_the_points_allowed(api, rich, sku):
    body = api.post(QUOTE, {"items": items(sku), "use_all_points": True}).json()
    assert body["points"]["used"] == 3000 and body["points"]["fen"] == 3000
    assert body["total_fen"] == 12000 + body["shipping_fen"]


def test_a_buyer_without_points_gets_an_empty_offer(api, buyer, rules, sku):
    body = api.post(QUOTE, {"items": items(sku), "use_all_points": True}).json()
    assert body["points"]["balance"] == 0 and body["points"]["max_points"] == 0 and body["points"]["used"] == 0
    assert body["total_fen"] == 15000 + body["shipping_fen"]


def test_points_refusals(api, rich, sku):
    body = assert_error(api.post(QUOTE, {"items": items(sku), "points": 6000}), 409, "not_enough_points")
    assert body["detail"]["balance"] == 5000
    body = assert_error(api.post(QUOTE, {"items": items(sku), "points": 4000}), 422, "points_over_limit")
    assert body["detail"]["max_points"] == 3000
    assert_error(api.post(QUOTE, {"items": items(sku), "points": -1}), 422, "invalid_input")
    assert_error(api.post(QUOTE, {"items": items(sku), "points": 10, "use_all_points": True}), 422, "invalid_input")
    order = {"items": items(sku), "address": dict(ADDRESS)}
    assert_error(api.post(ORDERS, {**order, "points": 6000}), 409, "not_enough_points")
    assert_error(api.post(ORDERS, {**order, "points": 10, "use_all_points": True}), 422, "invalid_input")
    assert not Order.objects.exists() and balance(rich) == 5000


def test_an_order_placed_with_all_the_points_allowed(api, rich, sku):
    response = api.post(ORDERS, {"items": items(sku), "address": dict(ADDRESS), "use_all_points": True})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["points_used"] == 3000 and body["points_to_earn"] == 120
    assert body["total_fen"] == 12000 + body["shipping_fen"]
    assert Order.objects.get(pk=body["id"]).points_used == 3000
    assert balance(rich) == 2000
    detail = api.get(f"{ORDERS}/{body['id']}").json()
    assert detail["points_used"] == 3000 and detail["points_to_earn"] == 120
    assert [line["is_gift"] for line in detail["lines"]] == [False]


def test_an_order_placed_with_a_number_of_points(api, rich, sku):
    response = api.post(ORDERS, {"items": items(sku), "address": dict(ADDRESS), "points": 500})
    assert response.status_code == 201, response.content
    assert response.json()["points_used"] == 500 and balance(rich) == 4500


def test_an_older_order_without_points_keys_answers_zero(api, buyer, sku):
    order = OrderFactory(user=buyer, items=[(sku, 1)])
    kept = {k: v for k, v in order.price_breakdown.items() if not k.startswith("points")}
    Order.objects.filter(pk=order.pk).update(price_breakdown=kept)
    body = api.get(f"{ORDERS}/{order.pk}").json()
    assert body["points_used"] == 0 and body["points_to_earn"] == 0


# --- gifts --------------------------------------------------------------------------------------------


@pytest.fixture
def sample(db):
    return SkuFactory(product=ProductFactory(name="精华小样"), spec="5ml", retail_fen=1000, control_fen=800, stock=5)


@pytest.fixture
def gift_rule(sample):
    return make_reduction(
        [
            {
                "threshold": 10000,
                "amount_off_fen": 0,
                "gift_sku": sample,
                "gift_quantity": 2,
                "gift_coupon": make_coupon(name="回购券"),
            }
        ],
        name="满100送小样",
    )


def test_a_quote_lists_the_gifts_and_gift_coupons(api, buyer, sku, sample, gift_rule):
    body = api.post(QUOTE, {"items": items(sku)}).json()
    assert body["gifts"] == [
        {
            "sku_id": sample.pk,
            "name": "精华小样",
            "spec": "5ml",
            "quantity": 2,
            "rule_id": gift_rule.pk,
            "label": "满100送小样",
            "out_of_stock": None,
        }
    ]
    assert [(c["name"], c["rule_id"]) for c in body["gift_coupons"]] == [("回购券", gift_rule.pk)]


def test_an_order_carries_its_gift_line_and_refuses_an_after_sale_on_it(api, buyer, sku, sample, gift_rule):
    response = api.post(ORDERS, {"items": items(sku), "address": dict(ADDRESS)})
    assert response.status_code == 201, response.content
    body = response.json()
    gifts = [line for line in body["lines"] if line["is_gift"]]
    assert [(g["sku_id"], g["quantity"], g["paid_fen"], g["unit_price_fen"]) for g in gifts] == [(sample.pk, 2, 0, 0)]
    assert body["price_breakdown"]["gifts"][0]["out_of_stock"] is False

    shipped = OrderFactory(shipped=True, user=buyer, items=[(sku, 1)])
    gift = shipped.lines.get(is_gift=True)
    refused = api.post(f"{ORDERS}/lines/{gift.pk}/aftersales", {"kind": "refund_only", "amount_fen": 100, "reason": "不喜欢"})
    assert_error(refused, 400, "aftersale_not_allowed")
    assert not gift.aftersales.exists()


def test_a_gift_out_of_stock_is_left_out_of_the_order(api, buyer, sku, sample, gift_rule):
    response = api.post(ORDERS, {"items": [*items(sku), {"sku_id": sample.pk, "quantity": 4}], "address": dict(ADDRESS)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert not any(line["is_gift"] for line in body["lines"])
    assert body["price_breakdown"]["gifts"][0]["out_of_stock"] is True


# --- the contract -------------------------------------------------------------------------------------


def test_the_contract_declares_the_points_refusals(client):
    spec = client.get("/api/openapi.json").json()
    for path in (QUOTE, ORDERS):
        responses = spec["paths"][path]["post"]["responses"]
        assert "`not_enough_points`" in responses["409"]["description"], path
        assert "`points_over_limit`" in responses["422"]["description"], path
        assert "`invalid_points`" in responses["422"]["description"], path
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        fields = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]
        assert {"points", "use_all_points"} <= set(fields)
    quote = spec["components"]["schemas"]["OrderQuoteOut"]["properties"]
    assert {"points", "gifts", "gift_coupons"} <= set(quote)
