"""The orders API's pay endpoint with WeChat Pay's trade types, against the fake API server: Native
answers the QR code's content, H5 the link (with the caller's address sent as the payer's), and
asking for another trade type closes the first order at WeChat Pay before the new one is placed."""

import json

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.orders.models import Order
from fenxiao.payments.models import Payment
from tests.factories import ADDRESS, OrderFactory, SkuFactory, UserFactory

from .conftest import OPENID

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    sku = SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12900, cost_fen=5000, stock=10)
    return OrderFactory(user=UserFactory(), items=[(sku, 1)], address=dict(ADDRESS))


def pay(client, order, body, user=None):
    token = issue_token(user=user or order.user)
    return client.post(
        f"/api/v1/orders/{order.pk}/pay",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_native_then_h5_then_jsapi_through_the_api(client, order, wechat):
    native = pay(client, order, {"provider": "wechatpay", "trade_type": "native"})
    assert native.status_code == 200, native.content
    body = native.json()
    assert body["trade_type"] == "native" and body["code_url"].startswith("weixin://") and body["jsapi"] is None
    first = Payment.objects.get(pk=body["payment_id"])

    h5 = pay(client, order, {"provider": "wechatpay", "trade_type": "h5"})
    assert h5.status_code == 200, h5.content
    assert h5.json()["h5_url"].startswith("https://wx.tenpay.com/") and h5.json()["code_url"] == ""
    assert wechat.fake.requests[-1].body["scene_info"]["payer_client_ip"] == "127.0.0.1"
    first.refresh_from_db()
    assert first.status == Payment.Status.CLOSED
    assert wechat.fake.orders[first.out_trade_no].state == "CLOSED"

    jsapi = pay(client, order, {"provider": "wechatpay", "trade_type": "jsapi", "openid": OPENID})
    assert jsapi.status_code == 200, jsapi.content
    assert jsapi.json()["jsapi"]["package"].startswith("prepay_id=")
    assert Payment.objects.filter(status=Payment.Status.PENDING).count() == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT


def test_bad_trade_types_and_someone_elses_order_are_refused(client, order, wechat):
    assert pay(client, order, {"provider": "wechatpay", "trade_type": "app"}).status_code == 422
    missing = pay(client, order, {"provider": "wechatpay", "trade_type": "jsapi"})
    assert missing.status_code == 422 and missing.json()["code"] == "openid_required"
    stranger = pay(client, order, {"provider": "wechatpay", "trade_type": "native"}, user=UserFactory())
    assert stranger.status_code == 404
    assert wechat.fake.requests == [] and not Payment.objects.exists()


def test_someone_else_cannot_close_the_buyers_open_payment(client, order, wechat):
    pay(client, order, {"provider": "wechatpay", "trade_type": "native"})
    stranger = pay(client, order, {"provider": "wechatpay", "trade_type": "h5"}, user=UserFactory())
    assert stranger.status_code == 404
    assert Payment.objects.get().status == Payment.Status.PENDING
    assert len(wechat.fake.requests) == 1  # no close was sent
