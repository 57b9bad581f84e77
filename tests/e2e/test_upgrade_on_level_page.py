"""Growth in a real browser: a distributor's invitee (a customer who came through its link) buys;
when the order completes the distributor qualifies for the next level, is upgraded at once, and
sees the new level, the figures that did it and the history on its level page."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

from fenxiao.distribution.models import Distributor
from fenxiao.distribution.services import bind_customer
from fenxiao.growth.models import LevelChange
from fenxiao.growth.services import save_rule
from fenxiao.orders import services as orders
from fenxiao.orders.models import Order
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

ADDRESS = {
    "receiver": "王小明",
    "phone": "13812345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 1 号",
}


def test_an_invitees_purchase_upgrades_the_distributor(live_server, phone_page, artifacts):
    from playwright.sync_api import expect

    regular = LevelFactory(name="普通分销商", rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    senior = LevelFactory(name="高级分销商", rank=2, direct_rate_bp=1500, indirect_rate_bp=500)
    save_rule(level_id=senior.pk, combine="all", conditions=[("personal_sales_month", 20000)])
    shop = DistributorFactory(user=UserFactory(nickname="小美", phone="13800002222"), level=regular)
    serum = SkuFactory(
        product=ProductFactory(name="玻尿酸精华", category=CategoryFactory()),
        retail_fen=15000,
        suggested_retail_fen=15000,
        control_fen=12900,
        cost_fen=5000,
        stock=20,
    )
    invitee = UserFactory(nickname="阿华")
    bind_customer(customer=invitee, distributor=shop)
    operator = StaffFactory()
    page = phone_page
    base = live_server.url

    # Before: ¥0 of ¥200 this month.
    page.goto(f"{base}/login/")
    page.get_by_label("手机号", exact=True).fill(shop.user.phone)
    page.get_by_label("密码", exact=True).fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/me/$"))
    page.goto(f"{base}/dc/level/")
    expect(page.locator("#level-name")).to_have_text("普通分销商")
    expect(page.locator("#next-level")).to_contain_text("高级分销商")
    expect(page.locator("#progress")).to_contain_text("¥0 / ¥200 本月个人销售")

    # The invitee buys two serums (¥300); the order is shipped, received and completes.
    order = orders.place_order(user=invitee, items=[(serum.pk, 2)], address=dict(ADDRESS))
    orders.pay_with_dev_provider(user=invitee, order_id=order.pk)
    orders.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰速运", tracking_number="SF1")
    order = orders.confirm_receipt(order_id=order.pk, user=invitee)
    assert orders.complete_orders(now=order.received_at + timedelta(days=8)) == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED

    # Upgraded the moment the order completed, and the page says so.
    assert Distributor.objects.get(pk=shop.pk).level_id == senior.pk
    change = LevelChange.objects.get(distributor=shop)
    assert (change.from_level_id, change.to_level_id) == (regular.pk, senior.pk)
    page.reload()
    expect(page.locator("#level-name")).to_have_text("高级分销商")
    expect(page.locator("#history")).to_contain_text("高级分销商")
    page.screenshot(path=str(artifacts / "e2e-level-upgraded.png"), full_page=True)
