"""The main path of the business in a real browser: a consumer opens a distributor's shared shop,
logs in (and is bound to that shop), applies to become a distributor and sees the outcome."""

from __future__ import annotations

import os
import re

import pytest

from fenxiao.distribution import services
from fenxiao.distribution.models import Binding, Distributor, Visit
from tests.factories import CategoryFactory, DistributorFactory, LevelFactory, ProductFactory, SkuFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]


@pytest.mark.parametrize(
    ("mode", "expected_path", "expected_text", "expected_status"),
    [
        ("open", "/dc/", "我的邀请码", Distributor.Status.APPROVED),
        ("review", "/apply/", "待审核", Distributor.Status.PENDING),
    ],
)
def test_consumer_opens_share_link_logs_in_and_applies(
    live_server, phone_page, artifacts, mode, expected_path, expected_text, expected_status
):
    from playwright.sync_api import expect

    level = LevelFactory(name="普通分销商", rank=1, direct_rate_bp=1500, indirect_rate_bp=500)
    shop = DistributorFactory(user=UserFactory(nickname="小美"), level=level)
    product = ProductFactory(name="玻尿酸精华", subtitle="补水保湿", category=CategoryFactory(name="美妆", slug="beauty"))
    SkuFactory(product=product, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000)
    consumer = UserFactory(nickname="阿华")
    services.update_settings(admission_mode=mode)
    page = phone_page

    page.goto(f"{live_server.url}/s/{shop.code}?ch=wechat")
    expect(page.get_by_role("heading", name="小美的小店")).to_be_visible()
    expect(page.get_by_text("玻尿酸精华")).to_be_visible()
    expect(page.get_by_text("¥150.00")).to_be_visible()

    page.get_by_role("link", name="我的", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("手机号", exact=True).fill(consumer.phone)
    page.get_by_label("密码", exact=True).fill("pass-1234")
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_text("小美的小店")).to_be_visible()  # bound on login to the shop they came through
    assert Binding.objects.get(customer=consumer).distributor == shop

    page.get_by_role("link", name=re.compile("申请成为分销商")).click()
    expect(page).to_have_url(re.compile(r"/apply/$"))
    expect(page.get_by_text("邀请人")).to_be_visible()
    page.get_by_label("姓名", exact=True).fill("张三")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="提交申请").click()

    expect(page).to_have_url(re.compile(re.escape(expected_path) + "$"))
    expect(page.get_by_text(expected_text).first).to_be_visible()
    page.screenshot(path=str(artifacts / f"e2e-share-and-apply-{mode}.png"), full_page=True)

    distributor = Distributor.objects.get(user=consumer)
    assert distributor.status == expected_status
    assert distributor.inviter == shop


def test_category_chip_refreshes_shared_shop_in_place(live_server, phone_page):
    """Filtering a shared shop swaps the grid with htmx and is not counted as another visit."""
    from playwright.sync_api import expect

    shop = DistributorFactory(user=UserFactory(nickname="小美"), level=LevelFactory(rank=1))
    serum = ProductFactory(name="玻尿酸精华", category=CategoryFactory(name="美妆", slug="beauty"))
    nuts = ProductFactory(name="每日坚果", category=CategoryFactory(name="食品", slug="food"))
    for product in (serum, nuts):
        SkuFactory(product=product)
    page = phone_page

    page.goto(f"{live_server.url}/s/{shop.code}")
    expect(page.get_by_text("玻尿酸精华")).to_be_visible()
    page.evaluate("window.__samePage = true")
    page.get_by_role("link", name="食品", exact=True).click()

    expect(page).to_have_url(re.compile(r"\?c=food$"))
    expect(page.get_by_text("每日坚果")).to_be_visible()
    expect(page.get_by_text("玻尿酸精华")).to_have_count(0)
    assert page.evaluate("window.__samePage") is True  # swapped in place, no full page load
    assert Visit.objects.filter(distributor=shop).count() == 1
