"""The console's home in a real browser, on a desktop (1440 × 900) and on a phone (375 × 812): the
to-do counts show, the trend is drawn by ECharts under the site's CSP (no inline script), and neither
the home nor the orders list makes the page scroll sideways."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.inventory.models import MAIN_LOCATION
from fenxiao.orders.models import Order, Shipment
from fenxiao.orders.services.shipments import set_ship_by
from tests.e2e.conftest import PASSWORD, browser  # noqa: F401  (the browser fixture)
from tests.factories import OrderRecordFactory, StaffFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

SIZES = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
}


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_home_shows_todos_and_draws_the_trend(browser, live_server, size):  # noqa: F811
    from playwright.sync_api import expect

    for hours in (1, 3, 60):
        order = OrderRecordFactory(status=Order.Status.PAID, paid_at=timezone.now() - timedelta(hours=hours), completed_at=None)
        Shipment.objects.create(order=order, route=MAIN_LOCATION)
        set_ship_by(order)  # the one paid 60 hours ago is late
    StaffFactory(username="boss")
    context = browser.new_context(locale="zh-CN", **SIZES[size])
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.locator("#id_username").fill("boss")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("input[type=submit]").click()
        page.wait_for_url(re.compile(r"/admin/$"))

        to_ship = page.locator('[data-todo="to_ship"]')
        expect(to_ship.locator("[data-count]")).to_have_text("3")
        expect(to_ship.locator("[data-detail]")).to_have_attribute("data-detail", "1")
        expect(to_ship).to_be_in_viewport()
        expect(page.locator("#console-trend-chart")).to_have_attribute("data-ready", "1")
        assert page.locator("#console-trend-chart svg").count() == 1
        assert not [error for error in errors if "Content Security Policy" in error], errors
        width = SIZES[size]["viewport"]["width"]
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width

        to_ship.locator("a").first.click()
        page.wait_for_url(re.compile(r"/admin/orders/order/\?warehouse=to_ship$"))
        expect(page.locator("#result_list tbody tr")).to_have_count(3)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    finally:
        context.close()
