"""The address book in a real browser on a phone: a buyer adds two addresses with the province → city
→ district picker (htmx refills the lists after each choice), makes the second the default, checks
out with it, then edits the book; the order keeps the address it was placed with."""

from __future__ import annotations

import os
import re

import pytest

from fenxiao.addresses.models import Address
from fenxiao.orders.models import Order
from tests.e2e.conftest import pick_region
from tests.factories import ProductFactory, SkuFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "pass-1234"


def test_add_addresses_with_the_picker_set_a_default_and_check_out(live_server, phone_page, artifacts):
    from playwright.sync_api import expect

    consumer = UserFactory(nickname="阿华")
    serum = ProductFactory(name="玻尿酸精华")
    sku = SkuFactory(product=serum, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000, stock=20)
    page = phone_page
    base = live_server.url

    page.goto(f"{base}/login/")
    page.get_by_label("手机号", exact=True).fill(consumer.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/me/$"))

    # "我的" → 收货地址 → 新增: the first address, in 杭州.
    page.get_by_role("link", name="收货地址").click()
    expect(page.get_by_text("还没有收货地址")).to_be_visible()
    page.get_by_role("link", name="新增收货地址").click()
    page.get_by_label("收货人", exact=True).fill("王小明")
    expect(page.get_by_label("城市", exact=True)).to_be_disabled()  # nothing to choose before the province
    pick_region(page, "浙江省", "杭州市", "西湖区")
    expect(page.get_by_label("城市", exact=True).locator("option")).not_to_contain_text(["南京市"])
    page.get_by_label("详细地址", exact=True).fill("文三路 100 号 3 幢 501")
    page.screenshot(path=str(artifacts / "e2e-address-1-picker.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/me/addresses/$"))
    expect(page.locator("#address-list")).to_contain_text("浙江省 杭州市 西湖区 文三路 100 号 3 幢 501")

    # A second one in 北京: the municipality's only city (市辖区) is chosen by itself; changing the
    # province starts the city and district over.
    page.get_by_role("link", name="新增收货地址").click()
    page.get_by_label("收货人", exact=True).fill("李雷")
    page.get_by_label("手机号", exact=True).fill("13912345678")
    pick_region(page, "江苏省", "南京市", "鼓楼区")
    page.get_by_label("省份", exact=True).select_option(label="北京市")
    expect(page.get_by_label("城市", exact=True)).to_have_value("1101")
    expect(page.get_by_label("区县", exact=True)).to_have_value("")
    page.get_by_label("区县", exact=True).select_option(label="海淀区")
    page.get_by_label("详细地址", exact=True).fill("中关村大街 1 号")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#address-list")).to_contain_text("北京市 海淀区 中关村大街 1 号")

    # Make 北京 the default: it moves to the top with the badge.
    beijing = Address.objects.get(user=consumer, receiver="李雷")
    page.locator(f"#address-{beijing.pk}").get_by_role("button", name="设为默认").click()
    expect(page.get_by_role("status")).to_contain_text("已设为默认地址")
    expect(page.locator(".app-address").first).to_contain_text("李雷")
    expect(page.locator(".app-address").first.locator(".app-tag")).to_have_text("默认")
    page.screenshot(path=str(artifacts / "e2e-address-2-book.png"), full_page=True)

    # Buy now: checkout shows the default address and places the order with it.
    page.goto(f"{base}/p/{serum.pk}/")
    page.get_by_role("button", name="立即购买").click()
    expect(page).to_have_url(re.compile(r"/checkout/"))
    expect(page.locator("#checkout-address")).to_contain_text("李雷")
    expect(page.locator("#checkout-address")).to_contain_text("北京市 海淀区 中关村大街 1 号")
    page.screenshot(path=str(artifacts / "e2e-address-3-checkout.png"), full_page=True)
    page.get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
    order = Order.objects.get(user=consumer)
    assert (order.receiver, order.province, order.city, order.district) == ("李雷", "北京市", "北京市", "海淀区")
    assert order.lines.get().sku_id == sku.pk

    # Editing the book afterwards leaves the order's address alone.
    page.goto(f"{base}/me/addresses/{beijing.pk}/edit/")
    page.get_by_label("详细地址", exact=True).fill("知春路 9 号")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#address-list")).to_contain_text("知春路 9 号")
    order.refresh_from_db()
    assert order.address_detail == "中关村大街 1 号"
    page.goto(f"{base}/orders/{order.pk}/")
    expect(page.locator("body")).to_contain_text("中关村大街 1 号")
    page.screenshot(path=str(artifacts / "e2e-address-4-order.png"), full_page=True)
