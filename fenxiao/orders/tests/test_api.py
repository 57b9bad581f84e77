"""The order endpoints: cart, checkout, pay, list/detail, cancel, receipt, after-sales, operator."""

import json

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.orders.models import Order
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client, user):
        self.client, self.headers = client, {"Authorization": f"Bearer {issue_token(user=user)}"}

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def post(self, url, data=None, **headers):
        return self.client.post(url, json.dumps(data or {}), content_type="application/json", headers={**self.headers, **headers})

    def put(self, url, data):
        return self.client.put(url, json.dumps(data), content_type="application/json", headers=self.headers)


@pytest.fixture
def api(client, buyer):
    return Api(client, buyer)


@pytest.fixture
def op(client, operator):
    return Api(client, operator)


def test_cart_then_checkout_from_cart(api, sku, address):
    r = api.post("/api/v1/cart/items", {"sku_id": sku.pk, "quantity": 2})
    assert r.status_code == 200 and r.json()["quote"]["total_fen"] == 30000
    r = api.put(f"/api/v1/cart/items/{sku.pk}", {"quantity": 3})
    assert r.json()["lines"][0]["quantity"] == 3
    r = api.post("/api/v1/orders", {"from_cart": True, "address": address})
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["total_fen"] == 45000 and order["status"] == "pending_payment"
    assert api.get("/api/v1/cart").json()["lines"] == []


def test_pay_ship_receive_and_timeline(api, op, sku, address):
    order = api.post("/api/v1/orders", {"items": [{"sku_id": sku.pk, "quantity": 1}], "address": address}).json()
    r = api.post(f"/api/v1/orders/{order['id']}/pay", {"provider": "dev"})
    assert r.status_code == 200 and r.json()["order"]["status"] == "paid"
    assert_error(api.post(f"/api/v1/orders/{order['id']}/pay", {"provider": "dev"}), 409, "invalid_transition")
    r = op.post(f"/api/v1/operator/orders/{order['id']}/ship", {"tracking_company": "顺丰", "tracking_number": "SF1"})
    assert r.status_code == 200 and r.json()["status"] == "shipped"
    r = api.post(f"/api/v1/orders/{order['id']}/confirm-receipt")
    assert r.json()["status"] == "received"
    detail = api.get(f"/api/v1/orders/{order['id']}").json()
    assert [e["to_status"] for e in detail["events"]] == ["pending_payment", "paid", "shipped", "received"]


def test_refusals_are_4xx_with_codes(api, op, sku, address, buyer):
    assert_error(api.get("/api/v1/orders/999999"), 404, "order_not_found")
    assert_error(api.post("/api/v1/orders", {"items": [], "address": address}), 400, "empty_order")
    assert_error(
        api.post("/api/v1/orders", {"items": [{"sku_id": sku.pk, "quantity": 101}], "address": address}), 409, "sold_out"
    )
    r = api.post("/api/v1/orders", {"items": [{"sku_id": sku.pk, "quantity": 1}]})
    assert_error(r, 422, "invalid_input")
    order = api.post("/api/v1/orders", {"items": [{"sku_id": sku.pk, "quantity": 1}], "address": address}).json()
    assert_error(
        op.post(f"/api/v1/operator/orders/{order['id']}/ship", {"tracking_company": "顺丰", "tracking_number": "SF1"}),
        409,
        "invalid_transition",
    )
    assert_error(
        api.post(f"/api/v1/operator/orders/{order['id']}/ship", {"tracking_company": "x", "tracking_number": "y"}),
        403,
        "forbidden",
    )
    assert_error(api.post(f"/api/v1/orders/{order['id']}/pay", {"provider": "alipay"}), 422, "unknown_provider")


def test_other_users_order_is_404(client, api, sku, address):
    order = api.post("/api/v1/orders", {"items": [{"sku_id": sku.pk, "quantity": 1}], "address": address}).json()
    other = Api(client, UserFactory())
    assert_error(other.get(f"/api/v1/orders/{order['id']}"), 404, "order_not_found")
    assert_error(other.post(f"/api/v1/orders/{order['id']}/cancel"), 404, "order_not_found")


def test_aftersale_over_refund_is_refused(api, op, sku, address):
    order = api.post("/api/v1/orders", {"items": [{"sku_id": sku.pk, "quantity": 1}], "address": address}).json()
    api.post(f"/api/v1/orders/{order['id']}/pay", {"provider": "dev"})
    op.post(f"/api/v1/operator/orders/{order['id']}/ship", {"tracking_company": "顺丰", "tracking_number": "SF1"})
    line_id = order["lines"][0]["id"]
    body = {"kind": "refund_only", "amount_fen": 15001, "reason": "破损"}
    assert_error(api.post(f"/api/v1/orders/lines/{line_id}/aftersales", body), 422, "refund_exceeds_paid")
    r = api.post(f"/api/v1/orders/lines/{line_id}/aftersales", dict(body, amount_fen=15000))
    assert r.status_code == 201
    a = r.json()
    r = op.post(f"/api/v1/operator/aftersales/{a['id']}/approve")
    assert r.json()["status"] == "refunded"
    assert api.get(f"/api/v1/orders/{order['id']}").json()["refunded_fen"] == 15000


def test_shop_orders_mask_the_buyer(client, sku, address, level):
    distributor = DistributorFactory(level=level)
    buyer = UserFactory(phone="13912345678", nickname="张三丰")
    from fenxiao.distribution.services import bind_customer

    bind_customer(customer=buyer, distributor=distributor)
    Api(client, buyer).post("/api/v1/orders", {"items": [{"sku_id": sku.pk, "quantity": 1}], "address": address})
    rows = Api(client, distributor.user).get("/api/v1/orders/shop").json()
    assert rows[0]["buyer_phone"] == "139****5678" and rows[0]["buyer"] == "张**"
    assert "13912345678" not in json.dumps(rows)
    assert_error(Api(client, buyer).get("/api/v1/orders/shop"), 403, "not_distributor")


def test_operator_lists_orders(op, api, sku, address):
    api.post("/api/v1/orders", {"items": [{"sku_id": sku.pk, "quantity": 1}], "address": address})
    rows = op.get("/api/v1/operator/orders?status=pending_payment").json()
    assert len(rows) == Order.objects.filter(status="pending_payment").count() == 1
    assert rows[0]["buyer_phone"] == "138****5678"
