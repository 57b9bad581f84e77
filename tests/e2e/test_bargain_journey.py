"""A bargain (砍价) in real browsers: a consumer starts a bargain on a thermos, three friends — each in a
browser of their own, signed in as themselves — open the bargain's link and cut the price once each,
which brings it exactly to the floor; the starter then buys at the floor and pays with the development
provider."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.orders.models import Order
from fenxiao.promotions.models import ActivityOrder, Bargain, BargainActivity, BargainHelp
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, UserFactory

from .conftest import PHONE, log_in

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

START_FEN = 19900
FLOOR_FEN = 9900
HELPERS = 3


def test_three_friends_cut_a_bargain_to_its_floor_and_the_starter_buys_it(live_server, browser, phone_page, artifacts):
    from playwright.sync_api import expect

    now = timezone.now()
    thermos = ProductFactory(name="真空保温杯", category=CategoryFactory(name="家居", slug="home"))
    sku = SkuFactory(
        product=thermos, spec="500ml", retail_fen=START_FEN, suggested_retail_fen=START_FEN, control_fen=15000, stock=5
    )
    activity = BargainActivity.objects.create(
        name="保温杯 砍到 ¥99",
        sku=sku,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
        start_price_fen=START_FEN,
        floor_price_fen=FLOOR_FEN,
        helps_needed=HELPERS,
        hours=24,
        share_text="这个杯子保温 12 小时，帮我砍一刀",
    )
    starter = UserFactory(nickname="小红")
    address_book.add_address(user=starter, data=dict(BOOK_ADDRESS))
    friends = [UserFactory(nickname=name) for name in ("张三", "李四", "王五")]
    base = live_server.url
    page = phone_page

    # The starter opens the activity, signs in and starts a bargain.
    log_in(page, base, starter)
    page.goto(f"{base}/bargains/{activity.pk}/")
    expect(page.get_by_role("heading", name="保温杯 砍到 ¥99")).to_be_visible()
    expect(page.locator("#bargain-activity-prices")).to_contain_text("¥99.00")
    page.get_by_role("button", name="发起砍价").click()
    expect(page).to_have_url(re.compile(r"/bargains/b/\d+/$"))
    bargain = Bargain.objects.get(user=starter)
    expect(page.locator("#bargain-price")).to_have_text("¥199.00")
    expect(page.locator("#bargain-share-text")).to_have_text("这个杯子保温 12 小时，帮我砍一刀")
    link = page.locator("#bargain-share-link").inner_text().strip()
    assert link.endswith(f"/bargains/b/{bargain.pk}/")
    expect(page.get_by_role("button", name="帮TA砍一刀")).to_have_count(0)
    page.screenshot(path=str(artifacts / "e2e-bargain-1-started.png"), full_page=True)

    # Three friends, each in a browser of their own, cut once.
    for number, friend in enumerate(friends, start=1):
        context = browser.new_context(locale="zh-CN", **PHONE)
        friend_page = context.new_page()
        friend_page.set_default_timeout(15_000)
        log_in(friend_page, base, friend)
        friend_page.goto(link)
        expect(friend_page.locator("#bargain-head")).to_contain_text("小* 发起的砍价")
        friend_page.get_by_role("button", name="帮TA砍一刀").click()
        expect(friend_page.locator("#bargain-helped")).to_have_text("你已帮TA砍过")
        expect(friend_page.locator("#bargain-figures")).to_contain_text(f"{number}/{HELPERS}")
        if number == HELPERS:
            friend_page.screenshot(path=str(artifacts / "e2e-bargain-2-last-help.png"), full_page=True)
        context.close()

    bargain.refresh_from_db()
    cuts = list(BargainHelp.objects.filter(bargain=bargain).values_list("cut_fen", flat=True))
    assert len(cuts) == HELPERS and all(cut >= 1 for cut in cuts) and sum(cuts) == START_FEN - FLOOR_FEN
    assert (bargain.status, bargain.current_price_fen) == (Bargain.Status.FLOOR, FLOOR_FEN)

    # Back to the starter: at the floor, 立即购买 at ¥99.
    page.reload()
    expect(page.locator("#bargain-price")).to_have_text("¥99.00")
    expect(page.locator("#bargain-floor")).to_be_visible()
    expect(page.locator("#bargain-helpers")).to_contain_text("张*")
    page.screenshot(path=str(artifacts / "e2e-bargain-3-floor.png"), full_page=True)
    page.get_by_role("link", name="立即购买").click()
    expect(page).to_have_url(re.compile(r"/bargains/b/\d+/buy/$"))
    expect(page.locator("#bargain-buy-price")).to_have_text("¥99.00")
    expect(page.locator("#bargain-address")).to_contain_text("王小明")
    page.get_by_role("button", name="提交订单").click()

    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
    order = Order.objects.get(user=starter)
    expect(page.locator("#pay-amount")).to_have_text(f"¥{order.total_fen / 100:.2f}")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator("#order-status")).to_have_text("待发货")
    page.screenshot(path=str(artifacts / "e2e-bargain-4-paid.png"), full_page=True)

    order.refresh_from_db()
    line = order.lines.get()
    assert (order.status, order.activity_kind, order.activity_id) == (Order.Status.PAID, "bargain", activity.pk)
    assert (line.sku_id, line.quantity, line.paid_fen) == (sku.pk, 1, FLOOR_FEN)
    assert order.total_fen == FLOOR_FEN + order.shipping_fen
    assert ActivityOrder.objects.get(order_id=order.pk).state == "paid"
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_id) == (Bargain.Status.BOUGHT, order.pk)
