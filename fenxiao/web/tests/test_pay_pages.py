"""Paying on the pages with WeChat Pay against the fake API server: the page picks JSAPI in WeChat's
browser, H5 in another phone browser and Native on a computer; coming back from H5 or polling never
marks anything paid, only the signed notification does."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from django.urls import reverse

from fenxiao.orders.models import Order
from fenxiao.payments.models import Notification, Payment
from fenxiao.payments.tests.conftest import OPENID, wechat, wechat_keys  # noqa: F401  (fixtures)
from fenxiao.web.views import payment as pay_views
from fenxiao.wechat.models import WeChatIdentity
from tests.factories import OrderFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Order.Status

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN"
)
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
WECOM_UA = WECHAT_UA + " wxwork/4.1.22"


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="阿华", phone="13955550002")
    client.force_login(user)
    return user


@pytest.fixture
def order(buyer):
    sku = SkuFactory(product=ProductFactory(name="玻尿酸精华"), spec="30ml", retail_fen=15000, control_fen=12000, stock=10)
    return OrderFactory(user=buyer, items=[(sku, 1)])


@pytest.fixture
def shop(wechat, settings):  # noqa: F811
    """A production-like shop: WeChat Pay configured, the development provider off, and the Official
    Account (the same appid as WeChat Pay) set up for the buyer's openid."""
    settings.FENXIAO_DEV_PAYMENTS = False
    settings.FENXIAO_WECHAT_PROVIDER = "wechat"
    settings.FENXIAO_WECHAT_APPID = wechat.appid
    settings.FENXIAO_WECHAT_SECRET = "test-secret-of-the-official-account"
    return wechat


def with_openid(user, wechat):  # noqa: F811
    WeChatIdentity.objects.create(user=user, kind="oa", appid=wechat.appid, openid=OPENID)


def pay_page(client, order, agent):
    return html_of(client.get(reverse("web:order_pay", args=[order.pk]), headers={"user-agent": agent}))


def start(client, order, method, agent, **headers):
    return client.post(
        reverse("web:order_pay_wechat", args=[order.pk]), {"method": method}, headers={"user-agent": agent, **headers}
    )


def paths(wechat) -> list[str]:  # noqa: F811
    return [request.path for request in wechat.fake.requests]


# --- choosing by client ------------------------------------------------------------------------


@pytest.mark.parametrize(("agent", "method"), [(WECHAT_UA, "jsapi"), (PHONE_UA, "h5"), (DESKTOP_UA, "native"), (WECOM_UA, "h5")])
def test_the_page_picks_the_way_to_pay_by_client(client, order, shop, agent, method):
    html = pay_page(client, order, agent)
    assert f'data-method="{method}"' in html
    assert "当前没有可用的支付方式" not in html
    assert "开发环境模拟支付" not in html
    assert shop.fake.requests == []  # showing the page asks WeChat Pay nothing


def test_without_wechatpay_or_dev_payments_nothing_is_offered(client, order, settings):
    settings.FENXIAO_DEV_PAYMENTS = False
    html = pay_page(client, order, DESKTOP_UA)
    assert "当前没有可用的支付方式" in html and "data-method" not in html


def test_the_dev_button_stays_beside_wechatpay_in_the_demo(client, order, shop, settings):
    settings.FENXIAO_DEV_PAYMENTS = True
    html = pay_page(client, order, DESKTOP_UA)
    assert 'data-method="native"' in html and "开发环境模拟支付（不会真实扣款）" in html


# --- JSAPI ---------------------------------------------------------------------------------------


def test_in_wechat_without_an_openid_the_buyer_is_sent_through_the_authorization(client, order, shop):
    html = pay_page(client, order, WECHAT_UA)
    pay_url = reverse("web:order_pay", args=[order.pk])
    assert f'href="{reverse("web:wechat_oauth_start")}?next={quote(pay_url)}"' in html
    assert "wxpay-params" not in html
    response = start(client, order, "jsapi", WECHAT_UA)
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:wechat_oauth_start"))
    assert shop.fake.requests == [] and not Payment.objects.exists()


def test_jsapi_hands_the_signed_parameters_to_the_bridge_and_polls(client, order, buyer, shop):
    with_openid(buyer, shop)
    assert "微信支付 ¥150.00" in pay_page(client, order, WECHAT_UA)
    html = html_of(start(client, order, "jsapi", WECHAT_UA))

    payment = Payment.objects.get()
    assert payment.trade_type == "jsapi" and payment.payer_openid == OPENID
    assert shop.fake.requests[-1].body["payer"] == {"openid": OPENID}
    params = json.loads(re.search(r'<script id="wxpay-params" type="application/json">(.*?)</script>', html).group(1))
    assert params["appId"] == shop.appid and params["package"] == f"prepay_id={payment.prepay_id}"
    assert params["signType"] == "RSA" and params["paySign"]
    assert "web/wxpay.js" in html and "<script>" not in html  # the bridge call lives in a static file
    assert reverse("web:order_pay_status", args=[order.pk]) in html and "重新支付" in html
    # paying again (after a cancelled bridge call) reuses the same WeChat Pay order
    start(client, order, "jsapi", WECHAT_UA)
    assert Payment.objects.count() == 1
    assert [r.body["out_trade_no"] for r in shop.fake.requests] == [payment.out_trade_no]
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


# --- H5 ------------------------------------------------------------------------------------------


def test_h5_redirects_to_wechatpay_with_the_way_back(client, order, shop):
    response = start(client, order, "h5", PHONE_UA, **{"x-forwarded-for": "198.51.100.1"})
    payment = Payment.objects.get()
    back = "http://testserver" + reverse("web:order_pay_result", args=[order.pk])
    assert response.status_code == 302
    assert response["Location"] == payment.h5_url + "&redirect_url=" + quote(back, safe="")
    # the payer's address is the connection's own: X-Forwarded-For is not trusted by default
    assert shop.fake.requests[-1].body["scene_info"]["payer_client_ip"] == "127.0.0.1"


def test_coming_back_from_h5_without_paying_shows_unpaid_and_marks_nothing(client, order, shop):
    start(client, order, "h5", PHONE_UA)
    html = html_of(client.get(reverse("web:order_pay_result", args=[order.pk]), headers={"user-agent": PHONE_UA}))
    assert "未支付" in html and "重新支付" in html
    assert f'hx-get="{reverse("web:order_pay_status", args=[order.pk])}"' in html
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT and order.paid_fen == 0
    assert Payment.objects.get().status == Payment.Status.PENDING
    assert not Notification.objects.exists()
    # nor does coming back again with made-up parameters
    client.get(reverse("web:order_pay_result", args=[order.pk]) + "?trade_state=SUCCESS&paid=1")
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


def test_result_and_status_of_someone_elses_order_are_not_found(client, order, shop):
    client.force_login(UserFactory())
    for name in ("web:order_pay_result", "web:order_pay_status", "web:order_pay"):
        assert client.get(reverse(name, args=[order.pk])).status_code == 404
    assert start(client, order, "native", DESKTOP_UA).status_code == 404
    assert not Payment.objects.exists()


# --- Native and polling --------------------------------------------------------------------------


def test_native_draws_the_qr_code_and_polling_shows_paid_after_the_notification(client, order, shop):
    html = pay_page(client, order, DESKTOP_UA)
    assert 'hx-trigger="load"' in html and reverse("web:order_pay_wechat", args=[order.pk]) in html

    fragment = html_of(start(client, order, "native", DESKTOP_UA, **{"hx-request": "true"}))
    payment = Payment.objects.get()
    assert payment.trade_type == "native" and payment.code_url
    assert f'src="{pay_views._qr_data_uri(payment.code_url)}"' in fragment  # the code_url, drawn here
    assert "未支付" in fragment
    # the page shows the same QR code when opened again, without asking WeChat Pay again
    assert pay_views._qr_data_uri(payment.code_url) in pay_page(client, order, DESKTOP_UA)
    assert paths(shop) == ["/v3/pay/transactions/native"]

    status_url = reverse("web:order_pay_status", args=[order.pk])
    waiting = html_of(client.get(status_url))
    assert "未支付" in waiting and 'hx-trigger="every 3s"' in waiting

    assert shop.notify(client, shop.transaction_body(payment)).status_code == 204
    paid = html_of(client.get(status_url))
    assert "支付成功" in paid and "hx-trigger" not in paid
    order.refresh_from_db()
    assert order.status == S.PAID and order.paid_fen == 15000


def test_a_provider_failure_shows_a_retry_and_leaves_the_payment_pending(client, order, shop):
    shop.fake.unavailable_next = 1
    fragment = html_of(start(client, order, "native", DESKTOP_UA, **{"hx-request": "true"}))
    assert "微信支付暂时无法下单" in fragment and "重新生成付款二维码" in fragment
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING and payment.code_url == ""
    again = html_of(start(client, order, "native", DESKTOP_UA, **{"hx-request": "true"}))
    assert "pay-qr" in again
    assert {r.body["out_trade_no"] for r in shop.fake.requests} == {payment.out_trade_no}


def test_switching_from_the_qr_code_to_h5_closes_the_first_order(client, order, shop):
    start(client, order, "native", DESKTOP_UA, **{"hx-request": "true"})
    native = Payment.objects.get()
    response = start(client, order, "h5", PHONE_UA)
    h5 = Payment.objects.get(status=Payment.Status.PENDING)
    assert response.status_code == 302 and response["Location"].startswith(h5.h5_url)
    native.refresh_from_db()
    assert native.status == Payment.Status.CLOSED and h5.pk != native.pk
    assert paths(shop) == [
        "/v3/pay/transactions/native",
        f"/v3/pay/transactions/out-trade-no/{native.out_trade_no}/close",
        "/v3/pay/transactions/h5",
    ]


def test_a_paid_order_sends_the_buyer_to_the_order(client, order, shop):
    start(client, order, "native", DESKTOP_UA, **{"hx-request": "true"})
    shop.notify(client, shop.transaction_body(Payment.objects.get()))
    response = start(client, order, "native", DESKTOP_UA, **{"hx-request": "true"})
    assert response["HX-Redirect"] == reverse("web:order_detail", args=[order.pk])
    assert client.get(reverse("web:order_pay", args=[order.pk])).status_code == 302
    html = html_of(client.get(reverse("web:order_pay_result", args=[order.pk])))
    assert "支付成功" in html and "未支付" not in html


def test_the_dev_button_closes_a_qr_code_opened_before_and_pays(client, order, shop, settings):
    settings.FENXIAO_DEV_PAYMENTS = True
    start(client, order, "native", DESKTOP_UA, **{"hx-request": "true"})
    native = Payment.objects.get()
    response = client.post(reverse("web:order_pay", args=[order.pk]), headers={"user-agent": DESKTOP_UA})
    assert response.status_code == 302 and response["Location"] == reverse("web:order_detail", args=[order.pk])
    native.refresh_from_db()
    assert native.status == Payment.Status.CLOSED
    assert shop.fake.orders[native.out_trade_no].state == "CLOSED"
    order.refresh_from_db()
    assert order.status == S.PAID and order.payment_provider == "dev"
