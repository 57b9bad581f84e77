"""In a real browser on a phone-sized screen: a buyer attaches photos to an after-sale request and
sees them on the order; a distributor opens its center and finds its money at the top, with the
withdraw button saying why it is off."""

from __future__ import annotations

import os
import re

import pytest

from fenxiao.commissions.tests.money_flows import accrue_direct, settle_direct
from fenxiao.orders.models import AfterSale
from fenxiao.orders.tests.photo_files import image_upload, jpeg_with_gps
from tests.factories import DistributorFactory, LevelFactory, OrderFactory, SkuFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "pass-1234"


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("手机号", exact=True).fill(user.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/me/$"))


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_buyer_attaches_photos_and_sees_them_on_the_order(live_server, phone_page, artifacts, tmp_path):
    from playwright.sync_api import expect

    buyer = UserFactory(nickname="买家")
    serum = SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12000, cost_fen=5000, stock=10)
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 1)])
    files = []
    for name, upload in (("broken.jpg", jpeg_with_gps()), ("box.png", image_upload("PNG", size=(300, 200)))):
        path = tmp_path / name
        path.write_bytes(upload.read())
        files.append(str(path))

    page = phone_page
    _log_in(page, live_server.url, buyer)
    page.goto(f"{live_server.url}/orders/lines/{order.lines.get().pk}/aftersale/")
    page.locator("#id_reason").fill("外盒破损，瓶身有裂纹")
    page.locator("#id_photos").set_input_files(files)
    _no_sideways_scroll(page)
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(rf"/orders/{order.pk}/"))

    aftersale = AfterSale.objects.get()
    images = page.locator(f"#aftersale-{aftersale.pk}-photos img")
    expect(images).to_have_count(2)
    for index in range(2):
        images.nth(index).scroll_into_view_if_needed()
        expect(images.nth(index)).to_have_js_property("complete", True)
        assert images.nth(index).evaluate("img => img.naturalWidth") > 0  # served and decoded, CSP allowing
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "aftersale-photos-375.png"), full_page=True)


def test_distributor_center_leads_with_money(live_server, phone_page, artifacts):
    from playwright.sync_api import expect

    level = LevelFactory(name="普通分销商", rank=1)
    me = DistributorFactory(level=level, user=UserFactory(nickname="小美"))
    DistributorFactory(level=level, inviter=me, user=UserFactory(nickname="欧阳娜娜", phone="13912345678"))
    accrue_direct(me.pk, 8800, "a:1")
    accrue_direct(me.pk, 600, "a:2")
    settle_direct(me.pk, 600, "s:2")

    page = phone_page
    _log_in(page, live_server.url, me.user)
    page.goto(f"{live_server.url}/dc/")
    expect(page.locator("#dc-pending")).to_have_text("¥88.00")
    expect(page.locator("#dc-available")).to_have_text("¥6.00")
    expect(page.locator("#dc-withdraw")).to_be_disabled()
    expect(page.locator("#dc-withdraw-reason")).to_contain_text("提现前请先完成实名认证")
    assert page.locator("#dc-money").bounding_box()["y"] < 400  # on the first screen
    expect(page.locator("#downline")).to_contain_text("欧***")
    expect(page.locator("#downline")).not_to_contain_text("欧阳娜娜")
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "distributor-center-375.png"), full_page=True)

    page.goto(f"{live_server.url}/dc/earnings/statement/")
    page.locator("#month-select").select_option(index=0)
    page.get_by_role("button", name="查看").click()
    expect(page.locator("#statement-entries .app-bill__entry")).to_have_count(4)  # two accruals, and a settlement on two accounts
    _no_sideways_scroll(page)
