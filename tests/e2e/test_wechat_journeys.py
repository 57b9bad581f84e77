"""Whole journeys across the storefront, in a real browser.

1. Inside WeChat: a distributor's product page sets its share card (through the JS bridge); a visitor
   opens the card's link, is authorized (the dev provider's authorization page stands in for
   WeChat's), lands signed in and bound to that distributor, buys, and pays with JSAPI; WeChat Pay (the
   local fake) sends its signed notification, the only thing that marks the order paid. The
   distributor then sees, in its own browser, the pending commission of that order for the amount the
   commission calculator gives.
2. On a computer: a new buyer registers with an SMS code (the dev provider shows it) accepting the
   agreements, saves an address with the province → city → district picker, checks out with it and
   pays by scanning the Native QR code; the page, polling, shows the order paid.

The database is checked after every step that moves money.
"""

from __future__ import annotations

import os
import re

import httpx
import pytest

from fenxiao.accounts.models import Consent, User
from fenxiao.addresses.models import Address
from fenxiao.catalog.models import CommissionOverride
from fenxiao.commissions import calculator
from fenxiao.commissions.models import Commission
from fenxiao.common.money import yuan
from fenxiao.distribution.models import Binding, Visit
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.orders.models import Order
from fenxiao.payments.models import Payment
from fenxiao.payments.tests.conftest import NOTIFY_PATH
from fenxiao.wechat.models import WeChatIdentity
from tests.e2e.conftest import PHONE, WECHAT_UA, log_in, pick_region, sms_dev_code
from tests.factories import CategoryFactory, DistributorFactory, LevelFactory, ProductFactory, SkuFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}

# WeChat's browser provides WeixinJSBridge; this one records each call and answers "ok" as WeChat does
# for a valid signature, or for a payer who confirms (which proves nothing to the shop: only the
# notification does).
BRIDGE = """
window.__bridgeCalls = [];
window.WeixinJSBridge = {
  invoke(name, args, callback) {
    window.__bridgeCalls.push({name, args: JSON.parse(JSON.stringify(args))});
    var answer = name === "getBrandWCPayRequest" ? "get_brand_wcpay_request:ok" : name + ":ok";
    if (callback) setTimeout(() => callback({err_msg: answer}), 50);
  },
  on() {},
};
"""


def _price(amount_fen: int) -> str:
    return f"¥{yuan(amount_fen)}"


def _wechat_page(browser):
    context = browser.new_context(locale="zh-CN", user_agent=WECHAT_UA, **PHONE)
    context.add_init_script(BRIDGE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _bridge_call(page, name: str, seconds: float = 15) -> dict:
    """The arguments of the page's first `name` call to the bridge, polled from outside the page
    (wait_for_function would need 'unsafe-eval' under the site's CSP)."""
    for _ in range(int(seconds * 10)):
        for call in page.evaluate("window.__bridgeCalls"):
            if call["name"] == name:
                return call["args"]
        page.wait_for_timeout(100)
    raise AssertionError(f"no {name} call to the bridge after {seconds}s")


def _notify_paid(base: str, wechat, payment: Payment) -> None:
    """The payer pays at WeChat Pay (the fake), which sends its signed notification to the shop."""
    wechat.fake.mark_paid(payment.out_trade_no)
    body = wechat.transaction_body(payment)
    headers = {**wechat.headers(body), "Content-Type": "application/json"}
    assert httpx.post(f"{base}{NOTIFY_PATH}", content=body, headers=headers, timeout=10).status_code == 204


def test_a_wechat_visitor_buys_through_a_share_card_and_the_distributor_sees_its_commission(
    live_server, browser, wechat, settings, artifacts
):
    from playwright.sync_api import expect

    settings.FENXIAO_DEV_PAYMENTS = False
    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    settings.FENXIAO_WECHAT_APPID = wechat.appid  # the Official Account WeChat Pay charges for
    settings.FENXIAO_WECHAT_SECRET = "dev-secret"

    # The plan: the shop's level pays 20% / 5%, its inviter's 25% / 6%; the product pays 18% direct
    # whatever the level; the commissions of a line never exceed half of its margin.
    upline = DistributorFactory(
        user=UserFactory(nickname="大美"),
        level=LevelFactory(name="高级分销商", rank=2, direct_rate_bp=2500, indirect_rate_bp=600),
    )
    shop = DistributorFactory(
        user=UserFactory(nickname="小美"),
        level=LevelFactory(name="普通分销商", rank=1, direct_rate_bp=2000, indirect_rate_bp=500),
        inviter=upline,
    )
    serum = ProductFactory(name="玻尿酸精华", subtitle="补水保湿", category=CategoryFactory(name="美妆", slug="beauty"))
    sku = SkuFactory(product=serum, spec="30ml", retail_fen=15000, control_fen=12000, cost_fen=9000, stock=20)
    override = CommissionOverride.objects.create(product=serum, depth=1, mode=CommissionOverride.Mode.RATE, rate_bp=1800)
    plan = calculator.compute_line(
        paid_fen=sku.retail_fen,
        cost_fen_total=sku.cost_fen,
        quantity=1,
        earners=[
            calculator.EarnerInput(
                depth=depth,
                direct_rate_bp=earner.level.direct_rate_bp,
                indirect_rate_bp=earner.level.indirect_rate_bp,
                distributor_id=earner.pk,
            )
            for depth, earner in ((1, shop), (2, upline))
        ],
        overrides={(calculator.PRODUCT, 1): calculator.OverrideRule(mode=calculator.RATE, rate_bp=override.rate_bp)},
        ceiling_bp=calculator.ceiling_bp_setting(),
    )
    shop_fen, upline_fen = plan.amount_for_depth(1), plan.amount_for_depth(2)
    assert plan.capped and shop_fen > 0  # the plan exercises the override, the indirect level and the cap
    base = live_server.url

    # The distributor, in WeChat, opens the product: the page sets the share card with its own link
    # and shows what one sale would earn it.
    seller, seller_page = _wechat_page(browser)
    try:
        log_in(seller_page, base, shop.user)
        seller_page.goto(f"{base}/p/{serum.pk}/")
        card = _bridge_call(seller_page, "updateAppMessageShareData")
        link = card["link"]
        assert link == f"{base}/s/{shop.code}/p/{serum.pk}?ch=wx_chat"
        expect(seller_page.locator(".app-earn").first).to_have_text(f"分享赚 {_price(shop_fen)}")

        # A friend opens the card's link in WeChat and is signed in through the authorization.
        context, page = _wechat_page(browser)
        try:
            page.goto(link)
            expect(page).to_have_url(re.compile(r"/wechat/dev/authorize\?"))
            page.get_by_role("button", name="授权登录").click()
            expect(page).to_have_url(link)
            expect(page.get_by_role("heading", name="玻尿酸精华")).to_be_visible()
            identity = WeChatIdentity.objects.get()
            buyer = identity.user
            assert identity.appid == wechat.appid
            assert Binding.objects.get(customer=buyer).distributor == shop
            assert Visit.objects.filter(distributor=shop, visitor=buyer, channel="wx_chat").count() == 1

            # Buy now; with an empty address book the checkout takes an address with the region picker.
            page.get_by_role("button", name="立即购买").click()
            expect(page).to_have_url(re.compile(r"/checkout/"))
            page.get_by_label("收货人", exact=True).fill("王小明")
            page.get_by_label("手机号", exact=True).fill("13812345678")
            pick_region(page, "浙江省", "杭州市", "西湖区")
            page.get_by_label("详细地址", exact=True).fill("文三路 100 号 3 幢 501")
            page.get_by_role("button", name="提交订单").click()
            expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
            order = Order.objects.get(user=buyer)
            assert (order.status, order.distributor_id) == (Order.Status.PENDING_PAYMENT, shop.pk)
            assert order.lines.get().paid_fen == sku.retail_fen
            assert not Payment.objects.exists() and not Commission.objects.exists()

            # Pay with JSAPI: the prepay carries the buyer's openid; the page hands the signed
            # parameters to the bridge; the bridge's "ok" is not a payment.
            expect(page.locator("#pay-method")).to_contain_text("在微信中直接付款")
            page.get_by_role("button", name=f"微信支付 {_price(order.total_fen)}").click()
            expect(page.get_by_text("付款已提交，正在确认支付结果…")).to_be_visible()
            payment = Payment.objects.get(reference=str(order.pk))
            assert (payment.trade_type, payment.payer_openid) == ("jsapi", identity.openid)
            assert (payment.amount_fen, payment.status) == (order.total_fen, Payment.Status.PENDING)
            call = _bridge_call(page, "getBrandWCPayRequest")
            assert (call["appId"], call["package"]) == (wechat.appid, f"prepay_id={payment.prepay_id}")
            assert call["paySign"]
            expect(page.locator("#pay-status")).to_contain_text("未支付")
            assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
            assert not Commission.objects.exists()

            _notify_paid(base, wechat, payment)
            expect(page.locator("#pay-status")).to_contain_text("支付成功", timeout=10_000)
            # what asked for payment is gone once it is paid: the deadline, its countdown, the bridge note
            expect(page.locator(".app-countdown")).to_be_hidden()
            expect(page.locator("#pay-deadline")).to_be_hidden()
            expect(page.locator(".app-paynote").filter(has_text="付款已提交")).to_be_hidden()
            page.screenshot(path=str(artifacts / "e2e-journey-wechat-1-paid.png"), full_page=True)
            order.refresh_from_db()
            payment.refresh_from_db()
            assert (order.status, order.paid_fen) == (Order.Status.PAID, order.total_fen)
            assert payment.status == Payment.Status.SUCCEEDED and payment.provider_txn_id
            commissions = {c.depth: c for c in Commission.objects.filter(order=order)}
            assert {d: (c.distributor_id, c.amount_fen, c.status) for d, c in commissions.items()} == {
                1: (shop.pk, shop_fen, Commission.Status.PENDING),
                2: (upline.pk, upline_fen, Commission.Status.PENDING),
            }
            page.locator("#pay-status").get_by_role("link", name="查看订单").click()
            expect(page.locator("#order-status")).to_have_text("待发货")
        finally:
            context.close()

        # Back in the distributor's browser: the order's pending commission in its center.
        page = seller_page
        page.goto(f"{base}/dc/")
        page.locator("#earnings-link").click()
        expect(page).to_have_url(re.compile(r"/dc/earnings/$"))
        expect(page.locator("#pending-amount")).to_contain_text(yuan(shop_fen))
        card = page.locator(f"#earning-{order.pk}")
        expect(card.locator(".app-ostatus")).to_have_text("待结算")
        expect(card.locator(".app-ocard__sum .app-price")).to_have_text(_price(shop_fen))
        page.screenshot(path=str(artifacts / "e2e-journey-wechat-2-commission.png"), full_page=True)
        card.click()
        expect(page).to_have_url(re.compile(rf"/dc/earnings/orders/{order.pk}/$"))
        expect(page.locator("#commission-status")).to_have_text("待结算")
        line = page.locator(f"#commission-{commissions[1].pk}")
        expect(line).to_contain_text(_price(plan.for_depth(1).uncapped_fen))  # before the cap
        expect(line.locator(".app-bill__total .app-price")).to_have_text(_price(shop_fen))
    finally:
        seller.close()
    assert list(ledger_selectors.violations()) == []


def test_a_new_buyer_on_a_computer_registers_saves_an_address_and_pays_by_qr_code(
    live_server, browser, wechat, settings, artifacts
):
    from playwright.sync_api import expect

    settings.FENXIAO_DEV_PAYMENTS = False
    nuts = ProductFactory(name="每日坚果礼盒")
    sku = SkuFactory(product=nuts, spec="750g", retail_fen=5900, control_fen=4500, stock=5)
    base = live_server.url

    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        # Register with an SMS code, accepting the agreements.
        page.goto(f"{base}/register/")
        page.get_by_label("手机号", exact=True).fill("13912345678")
        page.get_by_role("button", name="获取验证码").click()
        code = sms_dev_code(page)
        page.get_by_label("验证码", exact=True).fill(code)
        page.get_by_label("昵称", exact=True).fill("小林")
        page.get_by_label("密码", exact=True).fill("linlin-2026")
        page.locator("#id_agree").check()
        page.get_by_role("button", name="注册并登录").click()
        expect(page).to_have_url(f"{base}/me/")
        buyer = User.objects.get(phone="13912345678")
        assert set(buyer.consents.values_list("document", flat=True)) == {Consent.Document.USER, Consent.Document.PRIVACY}

        # Save an address with the picker; the first one is the default.
        page.get_by_role("link", name="收货地址").click()
        page.get_by_role("link", name="新增收货地址").click()
        page.get_by_label("收货人", exact=True).fill("林小林")
        pick_region(page, "广东省", "深圳市", "南山区")
        page.get_by_label("详细地址", exact=True).fill("科技园南区 8 栋 1201")
        page.get_by_role("button", name="保存").click()
        expect(page).to_have_url(re.compile(r"/me/addresses/$"))
        expect(page.locator("#address-list")).to_contain_text("广东省 深圳市 南山区 科技园南区 8 栋 1201")
        address = Address.objects.get(user=buyer)
        assert (address.receiver, address.phone, address.is_default) == ("林小林", "13912345678", True)

        # Check out with it.
        page.goto(f"{base}/p/{nuts.pk}/")
        page.get_by_role("button", name="立即购买").click()
        expect(page).to_have_url(re.compile(r"/checkout/"))
        expect(page.locator("#checkout-address")).to_contain_text("广东省 深圳市 南山区 科技园南区 8 栋 1201")
        page.get_by_role("button", name="提交订单").click()
        expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
        order = Order.objects.get(user=buyer)
        assert order.status == Order.Status.PENDING_PAYMENT and order.distributor_id is None
        assert (order.receiver, order.province, order.city, order.district) == ("林小林", "广东省", "深圳市", "南山区")
        assert order.lines.get().sku_id == sku.pk and order.total_fen >= sku.retail_fen

        # Native: the page draws the QR code of the WeChat Pay order and polls.
        expect(page.locator("#pay-method")).to_contain_text("用手机微信扫描页面上的二维码付款")
        expect(page.get_by_text("当前没有可用的支付方式")).to_have_count(0)
        expect(page.get_by_text("开发环境模拟支付")).to_have_count(0)
        qr = page.locator("#pay-qr")
        expect(qr).to_be_visible()
        assert qr.get_attribute("src").startswith("data:image/png;base64,")
        assert page.evaluate("document.getElementById('pay-qr').naturalWidth") > 100  # a real, decoded image
        expect(page.locator("#pay-status")).to_contain_text("未支付")
        page.screenshot(path=str(artifacts / "e2e-journey-desktop-1-qr.png"), full_page=True)
        payment = Payment.objects.get(reference=str(order.pk))
        assert (payment.trade_type, payment.amount_fen, payment.status) == ("native", order.total_fen, Payment.Status.PENDING)
        assert payment.code_url and Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT

        _notify_paid(base, wechat, payment)
        expect(page.locator("#pay-status")).to_contain_text("支付成功", timeout=10_000)
        # the QR code and the countdown go once it is paid
        expect(page.locator("#pay-qr")).to_be_hidden()
        expect(page.locator(".app-countdown")).to_be_hidden()
        page.screenshot(path=str(artifacts / "e2e-journey-desktop-2-paid.png"), full_page=True)
        order.refresh_from_db()
        payment.refresh_from_db()
        assert (order.status, order.paid_fen) == (Order.Status.PAID, order.total_fen)
        assert payment.status == Payment.Status.SUCCEEDED
        page.locator("#pay-status").get_by_role("link", name="查看订单").click()
        expect(page.locator("#order-status")).to_have_text("待发货")
    finally:
        context.close()
    assert list(ledger_selectors.violations()) == []
