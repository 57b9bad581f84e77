"""Buying and an after-sale in a real browser: a consumer comes through a distributor's share link,
logs in, puts products in the cart, checks out with an address, pays with the development provider
and sees the order waiting for shipment; after the warehouse ships it, the consumer asks for a
refund of one line and sees the request on the order. Every new page is also checked at 375px."""

from __future__ import annotations

import os
import re

import pytest

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.distribution.models import Binding
from fenxiao.distribution.services import bind_customer
from fenxiao.orders import services
from fenxiao.orders.models import AfterSale, Order
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "pass-1234"


def _shop_and_catalog():
    level = LevelFactory(name="普通分销商", rank=1, direct_rate_bp=1500, indirect_rate_bp=500)
    shop = DistributorFactory(user=UserFactory(nickname="小美"), level=level)
    beauty = CategoryFactory(name="美妆", slug="beauty")
    serum = ProductFactory(name="玻尿酸精华", subtitle="补水保湿", category=beauty)
    SkuFactory(product=serum, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000, stock=20)
    SkuFactory(product=serum, spec="50ml 家庭装", retail_fen=23900, suggested_retail_fen=25900, control_fen=20000, stock=2)
    nuts = ProductFactory(name="每日坚果礼盒", subtitle="7 种坚果科学配比", category=CategoryFactory(name="食品", slug="food"))
    SkuFactory(product=nuts, spec="750g", retail_fen=5000, suggested_retail_fen=5900, control_fen=4500, stock=50)
    return shop, serum, nuts


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("手机号", exact=True).fill(user.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/me/$"))


def test_consumer_buys_through_a_share_link_and_asks_for_a_refund(live_server, phone_page, artifacts):
    from playwright.sync_api import expect

    shop, serum, nuts = _shop_and_catalog()
    consumer = UserFactory(nickname="阿华")
    operator = StaffFactory()
    page = phone_page
    base = live_server.url

    # Through the distributor's link, then signing in binds the consumer to that shop.
    page.goto(f"{base}/s/{shop.code}?ch=wechat")
    expect(page.get_by_role("heading", name="小美的小店")).to_be_visible()
    page.get_by_role("link", name="我的", exact=True).click()
    page.get_by_label("手机号", exact=True).fill(consumer.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    assert Binding.objects.get(customer=consumer).distributor == shop

    # Two of the serum, from the shop's product page.
    page.get_by_role("link", name=re.compile("小美的小店")).click()
    page.get_by_role("link", name=re.compile("玻尿酸精华")).click()
    expect(page.get_by_role("heading", name="玻尿酸精华")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("30ml"))).to_be_checked()
    page.get_by_role("button", name="增加").click()
    expect(page.get_by_label("购买数量")).to_have_value("2")
    page.screenshot(path=str(artifacts / "e2e-buy-1-product.png"), full_page=True)
    page.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_role("status")).to_contain_text("已加入购物车")
    expect(page.locator("#tab-cart .weui-badge")).to_have_text("2")

    # And one box of nuts.
    page.goto(f"{base}/s/{shop.code}/p/{nuts.pk}")
    page.get_by_role("button", name="加入购物车").click()
    expect(page.locator("#tab-cart .weui-badge")).to_have_text("3")

    # The cart: one more box of nuts with the + button (swapped in place), then checkout.
    page.get_by_role("link", name=re.compile("购物车")).click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    nuts_line = page.locator(".app-line", has_text="每日坚果礼盒")
    nuts_line.get_by_role("button", name="增加").click()
    expect(nuts_line.get_by_label("数量")).to_have_text("2")
    expect(page.locator("#tab-cart .weui-badge")).to_have_text("4")
    expect(page.locator("#price-breakdown")).to_contain_text("¥400.00")
    expect(page.get_by_text("本单包邮")).to_be_visible()
    page.screenshot(path=str(artifacts / "e2e-buy-2-cart.png"), full_page=True)
    page.get_by_role("link", name=re.compile("去结算")).click()

    expect(page).to_have_url(re.compile(r"/checkout/$"))
    page.get_by_label("收货人", exact=True).fill("王小明")
    page.get_by_label("手机号", exact=True).fill("1381234567")  # one digit short
    page.get_by_label("省份", exact=True).select_option(label="浙江省")  # the region picker
    page.get_by_label("城市", exact=True).select_option(label="杭州市")
    page.get_by_label("区县", exact=True).select_option(label="西湖区")
    page.get_by_label("详细地址", exact=True).fill("文三路 100 号 3 幢 501")
    page.get_by_role("button", name="提交订单").click()
    expect(page.get_by_role("alert")).to_contain_text("收货手机号格式不正确")
    assert Order.objects.count() == 0
    page.get_by_label("手机号", exact=True).fill("13812345678")
    page.screenshot(path=str(artifacts / "e2e-buy-3-checkout.png"), full_page=True)
    page.get_by_role("button", name="提交订单").click()

    # The payment page: the development provider only, with the deadline.
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
    expect(page.get_by_text("开发环境模拟支付（不会真实扣款）")).to_be_visible()
    expect(page.locator(".app-countdown")).to_contain_text(re.compile(r"剩余 \d+ 分 \d+ 秒"))
    expect(page.locator("#pay-amount")).to_have_text("¥400.00")
    page.screenshot(path=str(artifacts / "e2e-buy-4-pay.png"), full_page=True)
    page.get_by_role("button", name=re.compile("确认支付")).click()

    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator("#order-status")).to_have_text("待发货")
    expect(page.locator("#timeline")).to_contain_text("付款成功")
    expect(page.get_by_role("status")).to_have_count(0, timeout=8_000)
    page.screenshot(path=str(artifacts / "e2e-buy-5-paid.png"), full_page=True)

    order = Order.objects.get(user=consumer)
    assert (order.status, order.total_fen, order.paid_fen, order.distributor_id) == (Order.Status.PAID, 40000, 40000, shop.pk)
    assert order.lines.count() == 2

    # The warehouse ships; the consumer finds the order under 我的订单 and asks for a refund of the nuts.
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰速运", tracking_number="SF1234567890")
    page.get_by_role("link", name="我的", exact=True).click()
    page.get_by_role("link", name=re.compile("已发货")).click()
    page.locator(".app-ocard__link").first.click()
    expect(page.locator("#order-status")).to_have_text("已发货")
    expect(page.locator("#tracking-number")).to_have_text("SF1234567890")
    nuts_line = page.locator(".app-line", has_text="每日坚果礼盒")
    nuts_line.get_by_role("link", name="申请售后").click()

    expect(page.get_by_role("heading", name="申请售后")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("仅退款"))).to_be_checked()
    expect(page.get_by_label("退款金额")).to_have_value("100.00")
    page.get_by_label("退款金额").fill("50")
    page.get_by_label("售后原因").fill("一盒包装破损")
    page.screenshot(path=str(artifacts / "e2e-buy-6-aftersale-form.png"), full_page=True)
    page.get_by_role("button", name="提交申请").click()

    expect(page).to_have_url(re.compile(r"/orders/\d+/#aftersales$"))
    aftersale_card = page.locator(".app-aftersale").first
    expect(aftersale_card).to_contain_text("仅退款 · ¥50.00")
    expect(aftersale_card).to_contain_text("待审核")
    expect(aftersale_card).to_contain_text("一盒包装破损")
    expect(nuts_line.get_by_text("售后中")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0, timeout=8_000)  # the notice fades out before the picture
    page.screenshot(path=str(artifacts / "e2e-buy-7-aftersale-listed.png"), full_page=True)

    aftersale = AfterSale.objects.get(order=order)
    assert (aftersale.kind, aftersale.amount_fen, aftersale.status) == ("refund_only", 5000, "requested")
    assert aftersale.line.product_name == "每日坚果礼盒"


def _check(page, url: str, name: str, artifacts) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = page.goto(url)
    assert response is not None and response.status < 500, f"{name}: HTTP {response and response.status}"
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    folder = artifacts / "pages"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert overflow <= 0, f"{name}: page is {overflow}px wider than the 375px screen"
    assert not errors, f"{name}: script errors {errors}"


def test_order_pages_fit_a_375px_screen(live_server, browser, artifacts):
    from playwright.sync_api import expect

    from tests.e2e.conftest import PHONE

    shop, serum, nuts = _shop_and_catalog()
    consumer = UserFactory(nickname="阿华")
    operator = StaffFactory()
    bind_customer(customer=consumer, distributor=shop)
    address = {
        "receiver": "王小明",
        "phone": "13812345678",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路 100 号 3 幢 501 室（请放快递柜，谢谢）",
    }
    address_book.add_address(user=consumer, data={**BOOK_ADDRESS, "detail": address["detail"]})
    serum_sku, family_sku = list(serum.skus.order_by("id"))
    nuts_sku = nuts.skus.get()

    pending = services.place_order(user=consumer, items=[(nuts_sku.pk, 1)], address=address, note="工作日白天送货")
    shipped = services.place_order(user=consumer, items=[(serum_sku.pk, 2), (nuts_sku.pk, 1)], address=address)
    services.pay_with_dev_provider(user=consumer, order_id=shipped.pk)
    services.ship_order(order_id=shipped.pk, actor=operator, tracking_company="中通快递", tracking_number="ZT7788990011223344")
    serum_line, nuts_line = list(shipped.lines.order_by("id"))
    returning = services.request_aftersale(
        user=consumer, line_id=serum_line.pk, kind="return_refund", amount_fen=15000, quantity=1, reason="颜色与图片不符"
    )
    services.review_aftersale(aftersale_id=returning.pk, actor=operator, approve=True)
    cancelled = services.place_order(user=consumer, items=[(family_sku.pk, 1)], address=address)
    services.cancel_order(order_id=cancelled.pk, actor=consumer, reason="拍错规格")
    services.add_to_cart(user=consumer, sku_id=serum_sku.pk, quantity=1)
    services.add_to_cart(user=consumer, sku_id=nuts_sku.pk, quantity=3)
    services.add_to_cart(user=consumer, sku_id=family_sku.pk, quantity=5)  # more than the 2 in stock
    base = live_server.url

    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    _log_in(page, base, consumer)
    for path, name in (
        (f"/s/{shop.code}/p/{serum.pk}", "order-product-picker"),
        ("/cart/", "order-cart"),
        ("/checkout/", "order-checkout"),
        (f"/checkout/?sku={nuts_sku.pk}&qty=1", "order-checkout-buy-now"),
        (f"/orders/{pending.pk}/pay/", "order-pay"),
        ("/orders/", "order-list"),
        ("/orders/?status=cancelled", "order-list-cancelled"),
        (f"/orders/{pending.pk}/", "order-detail-pending"),
        (f"/orders/{shipped.pk}/", "order-detail-shipped"),
        (f"/orders/{cancelled.pk}/", "order-detail-cancelled"),
        (f"/orders/lines/{nuts_line.pk}/aftersale/", "order-aftersale-form"),
        ("/me/", "order-me"),
    ):
        _check(page, f"{base}{path}", name, artifacts)
    page.goto(f"{base}/checkout/")
    page.get_by_role("button", name="提交订单").click()
    expect(page.get_by_role("alert")).to_contain_text("库存不足：玻尿酸精华 50ml 家庭装")
    page.screenshot(path=str(artifacts / "pages" / "order-checkout-sold-out.png"), full_page=True)
    context.close()

    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    _log_in(page, base, shop.user)
    _check(page, f"{base}/dc/", "order-distributor-center", artifacts)
    _check(page, f"{base}/dc/orders/", "order-shop-orders", artifacts)
    html = page.content()
    assert "阿*" in html and consumer.masked_phone in html and consumer.phone not in html
    context.close()
