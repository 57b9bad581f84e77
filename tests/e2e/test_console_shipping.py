"""The operator console in a real browser, on a desktop (1440 × 900) and on a phone (375 × 812).

Operations (运营) logs in and sees its to-do counts on the home, and is refused the batch-shipping page:
shipping is supply chain's duty. Supply chain (供应链) sees five orders to ship, ships them by importing
a file (preview first, then the background job), sees the to-do fall to zero, and exports the shipped
orders to Excel.
"""

from __future__ import annotations

import csv
import io
import os
import re

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook

from fenxiao.orders.models import Order, OrderEvent
from tests.e2e.conftest import PASSWORD
from tests.factories import OrderFactory, SkuFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def staff(username, group):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def admin_log_in(page, base, username):
    page.goto(f"{base}/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def ship_file(orders) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["订单号", "快递公司", "快递单号"])
    for i, order in enumerate(orders):
        writer.writerow([order.number, "顺丰速运", f"SF9000{i}"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def wait_for_job(page):
    from playwright.sync_api import expect

    page.wait_for_url(re.compile(r"/admin/console/jobs/\d+/$"))
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "succeeded", timeout=30_000)


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_operations_sees_its_todos_and_supply_chain_ships_five_orders_by_file(
    live_server, browser, artifacts, settings, screen, tmp_path
):
    from playwright.sync_api import expect

    settings.FENXIAO_CONSOLE_JOBS = "thread"  # the job runs beside the live server, as in the demo
    sku = SkuFactory(stock=50)
    orders = [OrderFactory(paid=True, items=[(sku, 1)]) for _ in range(5)]
    staff("ops1", "运营")
    shipper = staff("supply1", "供应链")
    base = live_server.url
    context = browser.new_context(locale="zh-CN", **(DESKTOP if screen == "desktop" else PHONE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        # Operations: its to-dos on the home, no shipping.
        admin_log_in(page, base, "ops1")
        expect(page.locator('[data-todo="applications"] [data-count]')).to_have_text("0")
        expect(page.locator('[data-todo="to_ship"]')).to_have_count(0)
        response = page.goto(f"{base}/admin/console/orders/ship-import/")
        assert response.status == 403
        context.clear_cookies()

        # Supply chain: five orders to ship.
        admin_log_in(page, base, "supply1")
        expect(page.locator('[data-todo="to_ship"] [data-count]')).to_have_text("5")
        page.locator('[data-todo="to_ship"] a').first.click()
        page.wait_for_url(re.compile(r"/admin/orders/order/\?warehouse=to_ship"))
        page.locator("#ship-import-link").click()
        page.wait_for_url(re.compile(r"/admin/console/orders/ship-import/$"))

        page.locator("#id_file").set_input_files(
            files=[{"name": "ship.csv", "mimeType": "text/csv", "buffer": ship_file(orders)}]
        )
        page.locator("#ship-upload input[type=submit]").click()
        expect(page.locator("#count-ready")).to_contain_text("5")
        expect(page.locator("#ship-preview tr.ship-ready")).to_have_count(5)
        page.screenshot(path=str(artifacts / f"console-ship-preview-{screen}.png"), full_page=True)
        assert not Order.objects.filter(status=Order.Status.SHIPPED).exists()  # the preview writes nothing
        page.locator("#apply-all").click()
        wait_for_job(page)
        expect(page.locator("#job-summary")).to_contain_text("5")
        page.screenshot(path=str(artifacts / f"console-ship-job-{screen}.png"), full_page=True)

        shipped = Order.objects.filter(pk__in=[o.pk for o in orders], status=Order.Status.SHIPPED)
        assert shipped.count() == 5
        assert set(OrderEvent.objects.filter(order__in=orders, to_status="shipped").values_list("actor", flat=True)) == {
            shipper.pk
        }

        page.goto(f"{base}/admin/")
        expect(page.locator('[data-todo="to_ship"] [data-count]')).to_have_text("0")

        # The shipped orders, exported to Excel.
        page.goto(f"{base}/admin/orders/order/?status__exact=shipped")
        expect(page.locator("#result_list tbody tr")).to_have_count(5)
        page.locator("#export-orders button").click()
        wait_for_job(page)
        with page.expect_download() as download_info:
            page.locator("#job-download").click()
        path = tmp_path / "orders.xlsx"
        download_info.value.save_as(path)
        sheet = load_workbook(path, read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        header = list(rows[0])
        numbers = {row[header.index("订单号")] for row in rows[1:]}
        assert numbers == {o.number for o in orders}
        assert {row[header.index("快递单号")] for row in rows[1:]} == {f"SF9000{i}" for i in range(5)}
    finally:
        context.close()
