"""Paying with WeChat Pay in a real browser, against the fake WeChat Pay server. On a computer (Native)
the pay page draws the QR code, polls the order and shows it paid once the fake sends its signed
notification (the only thing that marks an order paid). In WeChat's browser (JSAPI) the page hands
the signed parameters to the JS bridge; a cancelled payment stays payable and paying again uses the
same WeChat Pay order."""

from __future__ import annotations

import os
import re

import httpx
import pytest

from fenxiao.orders.models import Order
from fenxiao.payments.models import Payment
from fenxiao.payments.tests.conftest import NOTIFY_PATH
from tests.factories import OrderFactory, ProductFactory, SkuFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "pass-1234"
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}


def test_a_buyer_on_a_computer_pays_by_scanning_the_qr_code(live_server, browser, wechat, settings, artifacts):
    from playwright.sync_api import expect

    settings.FENXIAO_DEV_PAYMENTS = False
    buyer = UserFactory(nickname="阿华")
    sku = SkuFactory(product=ProductFactory(name="每日坚果礼盒"), spec="750g", retail_fen=5900, control_fen=4500, stock=5)
    order = OrderFactory(user=buyer, items=[(sku, 1)])
    base = live_server.url

    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    try:
        page.goto(f"{base}/login/")
        page.get_by_label("手机号", exact=True).fill(buyer.phone)
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/me/$"))

        page.goto(f"{base}/orders/{order.pk}/")
        page.get_by_role("link", name="去支付").click()
        expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/pay/$"))
        expect(page.locator("#pay-method")).to_contain_text("用手机微信扫描页面上的二维码付款")
        qr = page.locator("#pay-qr")
        expect(qr).to_be_visible()
        assert qr.get_attribute("src").startswith("data:image/png;base64,")
        assert page.evaluate("document.getElementById('pay-qr').naturalWidth") > 100  # a real, decoded image
        expect(page.locator("#pay-status")).to_contain_text("未支付")
        expect(page.get_by_text("当前没有可用的支付方式")).to_have_count(0)
        page.screenshot(path=str(artifacts / "e2e-pay-native-1-qr.png"), full_page=True)

        payment = Payment.objects.get(reference=str(order.pk))
        assert payment.trade_type == "native" and payment.status == Payment.Status.PENDING
        assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT

        # The buyer scans and pays; WeChat Pay (the fake) sends its signed notification to the shop.
        wechat.fake.mark_paid(payment.out_trade_no)
        body = wechat.transaction_body(payment)
        headers = {**wechat.headers(body), "Content-Type": "application/json"}
        assert httpx.post(f"{base}{NOTIFY_PATH}", content=body, headers=headers, timeout=10).status_code == 204

        # The polling picks it up without reloading the page.
        expect(page.locator("#pay-status")).to_contain_text("支付成功", timeout=10_000)
        expect(page.get_by_role("link", name="查看订单").first).to_be_visible()
        page.screenshot(path=str(artifacts / "e2e-pay-native-2-paid.png"), full_page=True)
        assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
        assert refused == []
    finally:
        context.close()


WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN"
)
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
# WeChat's browser provides WeixinJSBridge; this one records the call and answers what the test asks for.
BRIDGE = """
window.WeixinJSBridge = {
  invoke: function (name, params, callback) {
    window.bridgeCalls = (window.bridgeCalls || []).concat([{name: name, params: params}]);
    var answer = sessionStorage.getItem("bridgeAnswer") || "get_brand_wcpay_request:cancel";
    setTimeout(function () { callback({err_msg: answer}); }, 50);
  }
};
"""


def test_in_wechat_a_cancelled_payment_stays_payable_and_paying_again_goes_through(
    live_server,
    browser,
    wechat,
    settings,
):
    from playwright.sync_api import expect

    from fenxiao.wechat.models import WeChatIdentity

    settings.FENXIAO_DEV_PAYMENTS = False
    settings.FENXIAO_WECHAT_PROVIDER = "wechat"
    settings.FENXIAO_WECHAT_APPID = wechat.appid
    settings.FENXIAO_WECHAT_SECRET = "test-secret-of-the-official-account"
    buyer = UserFactory(nickname="阿华")
    WeChatIdentity.objects.create(user=buyer, kind="oa", appid=wechat.appid, openid="o-buyer-openid")
    sku = SkuFactory(product=ProductFactory(name="每日坚果礼盒"), spec="750g", retail_fen=5900, control_fen=4500, stock=5)
    order = OrderFactory(user=buyer, items=[(sku, 1)])
    base = live_server.url

    context = browser.new_context(user_agent=WECHAT_UA, locale="zh-CN", **PHONE)
    context.add_init_script(BRIDGE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{base}/login/")
        page.get_by_label("手机号", exact=True).fill(buyer.phone)
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/me/$"))

        page.goto(f"{base}/orders/{order.pk}/pay/")
        page.get_by_role("button", name=re.compile(r"^微信支付 ¥\d+\.\d\d$")).click()
        # the bridge is called with the signed parameters; the buyer cancels
        expect(page.get_by_text("你已取消支付。订单在支付时限内仍可支付。")).to_be_visible()
        call = page.evaluate("window.bridgeCalls[0]")
        payment = Payment.objects.get(reference=str(order.pk))
        assert call["name"] == "getBrandWCPayRequest"
        assert call["params"]["package"] == f"prepay_id={payment.prepay_id}" and call["params"]["paySign"]
        expect(page.locator("#pay-status")).to_contain_text("未支付")
        assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT

        # paying again: the same WeChat Pay order, and this time the buyer pays
        page.evaluate("sessionStorage.setItem('bridgeAnswer', 'get_brand_wcpay_request:ok')")
        page.get_by_role("button", name="重新支付").click()
        expect(page.get_by_text("付款已提交，正在确认支付结果…")).to_be_visible()
        expect(page.locator("#pay-status")).to_contain_text("未支付")  # the bridge's "ok" proves nothing
        assert Payment.objects.filter(reference=str(order.pk)).count() == 1

        body = wechat.transaction_body(payment)
        headers = {**wechat.headers(body), "Content-Type": "application/json"}
        assert httpx.post(f"{base}{NOTIFY_PATH}", content=body, headers=headers, timeout=10).status_code == 204
        expect(page.locator("#pay-status")).to_contain_text("支付成功", timeout=10_000)
        assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    finally:
        context.close()
