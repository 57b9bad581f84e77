"""A flash sale shared by a distributor, in a real browser: the distributor copies its link to the
running slot from the 秒杀 page; a consumer opens it, sees the slot's tab, its countdown and the flash
price against the list price, taps 马上抢, signs in, buys one (the address from the book) and pays with
the development provider. The order is the flash sale's, at the flash price, credited to the
distributor (it is among its shop's orders), who earns its commission on what the buyer paid."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.commissions.models import Commission
from fenxiao.distribution.models import Binding
from fenxiao.orders.models import Order
from fenxiao.promotions.models import ActivityKind, ActivityOrder, ActivityVisit, FlashItem
from fenxiao.promotions.services import activities as activity_services
from fenxiao.promotions.services import flash as flash_services
from tests.factories import (
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
    accrue_commissions,
)

from .conftest import PASSWORD, PHONE, log_in

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

LIST_FEN = 29900
FLASH_FEN = 9900
RATE_BP = 1500


def test_a_consumer_buys_in_a_flash_sale_shared_by_a_distributor(live_server, browser, phone_page, artifacts):
    from playwright.sync_api import expect

    operator = StaffFactory()
    level = LevelFactory(name="普通分销商", rank=1, direct_rate_bp=RATE_BP, indirect_rate_bp=500)
    shop = DistributorFactory(user=UserFactory(nickname="小美"), level=level)
    speaker = ProductFactory(name="智能音箱")
    sku = SkuFactory(
        product=speaker,
        spec="白色",
        retail_fen=LIST_FEN,
        suggested_retail_fen=LIST_FEN,
        control_fen=20000,
        cost_fen=3000,
        stock=30,
    )
    now = timezone.now()
    sale = activity_services.save_flash_sale(
        actor=operator,
        name="限时秒杀 · 整点场",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        items=[{"sku_id": sku.pk, "price_fen": FLASH_FEN, "quantity": 20, "per_person_limit": 1, "per_order_limit": 1}],
    )
    flash_services.start_sale(sale.pk)  # what the minute's job does just before the start
    item = FlashItem.objects.get(sale=sale)
    consumer = UserFactory(nickname="阿华")
    address_book.add_address(user=consumer, data=dict(BOOK_ADDRESS))
    base = live_server.url

    # The distributor copies its link to the slot from the 秒杀 page.
    context = browser.new_context(locale="zh-CN", **PHONE)
    try:
        seller = context.new_page()
        seller.set_default_timeout(15_000)
        log_in(seller, base, shop.user)
        seller.goto(f"{base}/flash/")
        expect(seller.locator(f"#flash-slot-{sale.pk}")).to_contain_text("抢购中")
        share_link = seller.locator("#flash-share-link").inner_text().strip()
    finally:
        context.close()
    assert share_link.endswith(f"/s/{shop.code}/f/{sale.pk}")

    # The consumer opens the link: the slot's tab, its countdown to the end, the flash price.
    page = phone_page
    page.goto(share_link)
    expect(page).to_have_url(re.compile(rf"/flash/\?sale={sale.pk}$"))
    expect(page.locator(f"#flash-slot-{sale.pk}")).to_have_attribute("aria-current", "page")
    expect(page.locator("#flash-countdown")).to_contain_text("距结束")
    clock = page.locator("[data-flash-countdown]")
    expect(clock).to_have_text(re.compile(r"^0:5\d:\d\d$"))
    first = clock.inner_text()
    expect(clock).not_to_have_text(first, timeout=5_000)  # it counts down in the browser
    card = page.locator(f"#flash-item-{item.pk}")
    expect(card).to_contain_text("¥99.00")
    expect(card).to_contain_text("¥299.00")
    expect(card).to_contain_text("已抢 0%")
    page.screenshot(path=str(artifacts / "e2e-flash-1-slot.png"), full_page=True)

    # 马上抢 → the item's page → sign in → back on the item's page.
    card.get_by_role("link", name="马上抢").click()
    expect(page).to_have_url(re.compile(rf"/flash/items/{item.pk}/$"))
    page.get_by_role("link", name="登录后马上抢").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("手机号", exact=True).fill(consumer.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(rf"/flash/items/{item.pk}/$"))
    assert Binding.objects.get(customer=consumer).distributor == shop

    expect(page.locator("#flash-price")).to_have_text("¥99.00")
    expect(page.locator("#flash-address")).to_contain_text("王小明")
    page.screenshot(path=str(artifacts / "e2e-flash-2-item.png"), full_page=True)
    page.locator("#flash-buy").get_by_role("button", name="马上抢").click()

    # The ordinary payment page, at the flash price; paid with the development provider.
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
    expect(page.locator("#pay-amount")).to_have_text("¥99.00")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator("#order-status")).to_have_text("待发货")
    expect(page.locator(".app-bill__discount").first).to_contain_text("-¥200.00")
    page.screenshot(path=str(artifacts / "e2e-flash-3-order.png"), full_page=True)

    order = Order.objects.get(user=consumer)
    line = order.lines.get()
    assert (order.status, order.activity_kind, order.activity_id) == (Order.Status.PAID, "flash", sale.pk)
    assert order.distributor_id == shop.pk
    assert (order.goods_fen, order.discount_fen, line.paid_fen) == (LIST_FEN, LIST_FEN - FLASH_FEN, FLASH_FEN)
    assert ActivityOrder.objects.get(order_id=order.pk).state == ActivityOrder.State.PAID
    assert ActivityVisit.objects.filter(kind=ActivityKind.FLASH, activity_id=sale.pk, visitor_key=f"u:{consumer.pk}").exists()

    # 已抢 5% on the slot's page now (1 of 20).
    page.goto(f"{base}/flash/?sale={sale.pk}")
    expect(page.locator(f"#flash-item-{item.pk}")).to_contain_text("已抢 5%")

    # The distributor finds the order among its shop's orders, at the flash price.
    context = browser.new_context(locale="zh-CN", **PHONE)
    try:
        seller = context.new_page()
        seller.set_default_timeout(15_000)
        log_in(seller, base, shop.user)
        seller.goto(f"{base}/dc/orders/")
        shop_order = seller.locator(".app-shop-order").filter(has_text="智能音箱")
        expect(shop_order).to_contain_text("¥99.00")
        expect(shop_order).to_contain_text("待发货")
        seller.screenshot(path=str(artifacts / "e2e-flash-4-shop-orders.png"), full_page=True)
    finally:
        context.close()

    # The distributor earns on what was paid (the flash price), not on the list price.
    accrue_commissions()
    commission = Commission.objects.get(order=order, depth=1)
    assert commission.distributor == shop
    assert commission.base_fen == FLASH_FEN
    assert commission.amount_fen == FLASH_FEN * RATE_BP // 10000
