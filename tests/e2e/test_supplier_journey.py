"""The supply side in a real browser: a consumer buys a platform item and a supplier's item in one
order and pays once; the order page shows two parcels. The warehouse ships its parcel; the supplier
signs in to its portal, finds the order to ship with the buyer's address and ships it with a carrier
and tracking number. The consumer sees both parcels with their numbers and confirms both. Once the
after-sales window has closed, the settlement job issues the supplier's statement: the supplier finds
the line at cost × quantity and confirms it; finance batches it, a second finance member approves,
the payout file is exported and the bank's result imported; the statement shows paid."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import ensure_staff_groups
from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.orders import services as orders
from fenxiao.orders.models import Order, Shipment
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.models import SupplierStatement
from fenxiao.supply.settlement import payouts
from fenxiao.supply.settlement import services as settlement
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, StaffFactory, UserFactory

from .conftest import PHONE, log_in

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

COST_FEN, QUANTITY = 3650, 2  # the supplier is owed ¥73.00 for the line


def _world():
    food = CategoryFactory(name="食品", slug="food")
    nuts = ProductFactory(name="每日坚果礼盒", category=food)
    SkuFactory(product=nuts, spec="750g", retail_fen=5000, suggested_retail_fen=5900, control_fen=4500, stock=50)
    supplier = Supplier.objects.create(
        name="福建闽味食品",
        user=UserFactory(nickname="闽味食品"),
        status=Supplier.Status.APPROVED,
        settlement_cycle=Supplier.Cycle.WEEKLY,
        company_name="福建闽味食品有限公司",
        return_receiver="林仓管",
        return_phone="13700002001",
        return_province="福建省",
        return_city="厦门市",
        return_district="思明区",
        return_detail="湖滨南路 388 号",
        bank_account_name="福建闽味食品有限公司",
        bank_account_number="35101560001052500321",
        bank_name="工商银行厦门思明支行",
    )
    cakes = ProductFactory(name="手工黑芝麻酥", category=food, supplier=supplier)
    cake = SkuFactory(
        product=cakes, spec="300g", cost_fen=COST_FEN, retail_fen=3900, suggested_retail_fen=3900, control_fen=3500, stock=0
    )
    from fenxiao.inventory.services import receive_stock

    receive_stock(sku_id=cake.pk, quantity=20, location=supplier.location, batch_number="ZMS-2611", actor=supplier.user)
    return nuts, cakes, supplier


def _finance_member():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="财务"))
    return type(user).objects.get(pk=user.pk)


def _add_to_cart(page, base: str, product, *, times: int = 1) -> None:
    page.goto(f"{base}/p/{product.pk}/")
    expect = _expect()
    for _ in range(times):
        page.get_by_role("button", name="加入购物车").click()
        expect(page.get_by_role("status")).to_contain_text("已加入购物车")


def _expect():
    from playwright.sync_api import expect

    return expect


def test_a_mixed_order_shipped_by_the_supplier_and_settled_at_cost(live_server, browser, artifacts):
    expect = _expect()
    ensure_staff_groups()
    nuts, cakes, supplier = _world()
    consumer = UserFactory(nickname="阿华")
    warehouse = StaffFactory()
    base = live_server.url

    # The consumer buys a box of nuts (platform) and two boxes of cakes (the supplier) in one order.
    buyer_context = browser.new_context(locale="zh-CN", **PHONE)
    page = buyer_context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, consumer)
    _add_to_cart(page, base, nuts)
    _add_to_cart(page, base, cakes, times=QUANTITY)
    page.goto(f"{base}/cart/")
    expect(page.locator("#price-breakdown")).to_contain_text("¥128.00")  # ¥50 + 2 × ¥39, shipping free
    page.get_by_role("link", name=re.compile("去结算")).click()
    page.get_by_label("收货人", exact=True).fill("王小明")
    page.get_by_label("手机号", exact=True).fill("13812345678")
    page.get_by_label("省份", exact=True).select_option(label="浙江省")
    page.get_by_label("城市", exact=True).select_option(label="杭州市")
    page.get_by_label("区县", exact=True).select_option(label="西湖区")
    page.get_by_label("详细地址", exact=True).fill("文三路 100 号 3 幢 501")
    page.get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
    page.get_by_role("button", name=re.compile("确认支付")).click()
    expect(page.locator("#order-status")).to_have_text("待发货")

    order = Order.objects.get(user=consumer)
    assert (order.status, order.paid_fen) == (Order.Status.PAID, 12800)
    platform = Shipment.objects.get(order=order, supplier=None)
    dropship = Shipment.objects.get(order=order, supplier=supplier)
    parcels = page.locator("#parcels .app-parcel")
    expect(parcels).to_have_count(2)
    expect(page.locator(f"#parcel-{platform.pk}")).to_contain_text("每日坚果礼盒 × 1")
    expect(page.locator(f"#parcel-{dropship.pk}")).to_contain_text("手工黑芝麻酥 × 2")
    expect(page.locator(f"#parcel-{dropship.pk}")).to_contain_text("等待发货")
    page.screenshot(path=str(artifacts / "e2e-supplier-1-two-parcels.png"), full_page=True)

    # The warehouse ships its parcel; the order is partly shipped.
    orders.ship_order(order_id=order.pk, actor=warehouse, tracking_company="顺丰速运", tracking_number="SF1234567890")
    page.reload()
    expect(page.locator(f"#parcel-{platform.pk}-number")).to_have_text("SF1234567890")
    expect(page.locator("#order-partly-shipped")).to_be_visible()

    # The supplier signs in, opens its portal and finds the order to ship, with the buyer's address.
    supplier_context = browser.new_context(locale="zh-CN", **PHONE)
    portal = supplier_context.new_page()
    portal.set_default_timeout(15_000)
    log_in(portal, base, supplier.user)
    portal.goto(f"{base}/supplier/shipments/")
    card = portal.locator(f"#shipment-{dropship.pk}")
    expect(card).to_contain_text(order.number)
    expect(card).to_contain_text("手工黑芝麻酥 300g")
    expect(card).to_contain_text("× 2")
    expect(card).to_contain_text("王小明")
    expect(card).to_contain_text("文三路 100 号 3 幢 501")
    expect(card).not_to_contain_text("每日坚果礼盒")  # the platform's line is not the supplier's business
    portal.screenshot(path=str(artifacts / "e2e-supplier-2-to-ship.png"), full_page=True)

    # It ships from the order's page: a number in the wrong format for the carrier is refused first.
    card.get_by_role("link", name=re.compile(order.number)).click()
    expect(portal).to_have_url(re.compile(rf"/supplier/shipments/{dropship.pk}/$"))
    expect(portal.locator("#receiver")).to_contain_text("13812345678")
    portal.get_by_label("快递公司").select_option(label="中通快递")
    portal.get_by_label("快递单号").fill("12AB")
    portal.get_by_role("button", name="发货", exact=True).click()
    expect(portal.get_by_role("alert")).to_contain_text("单号")
    dropship.refresh_from_db()
    assert dropship.status == Shipment.Status.TO_SHIP
    portal.get_by_label("快递公司").select_option(label="中通快递")
    portal.get_by_label("快递单号").fill("75312345678901")
    portal.get_by_role("button", name="发货", exact=True).click()
    expect(portal.get_by_role("status").first).to_contain_text("已发货")
    dropship.refresh_from_db()
    assert (dropship.status, dropship.tracking_number, dropship.carrier.code) == ("shipped", "75312345678901", "zhongtong")
    portal.screenshot(path=str(artifacts / "e2e-supplier-3-shipped.png"), full_page=True)

    # The consumer sees both parcels shipped with their numbers and confirms each.
    page.reload()
    expect(page.locator("#order-status")).to_have_text("已发货")
    expect(page.locator(f"#parcel-{platform.pk}-number")).to_have_text("SF1234567890")
    expect(page.locator(f"#parcel-{dropship.pk}-number")).to_have_text("75312345678901")
    expect(page.locator(f"#parcel-{dropship.pk}")).to_contain_text("中通快递")
    for shipment in (platform, dropship):
        page.once("dialog", lambda dialog: dialog.accept())  # "确认已收到这个包裹吗？"
        page.locator(f"#parcel-{shipment.pk}").get_by_role("button", name="确认收到此包裹").click()
        expect(page.locator(f"#parcel-{shipment.pk}")).to_have_attribute("data-status", "received")
    expect(page.locator("#order-status")).to_have_text("已收货")
    page.screenshot(path=str(artifacts / "e2e-supplier-4-received.png"), full_page=True)
    buyer_context.close()

    # The after-sales window closes; the next week the settlement job issues the statement.
    order.refresh_from_db()
    completed_at = order.received_at + timedelta(days=8)
    assert orders.complete_orders(now=completed_at) == 1
    issued = settlement.issue_statements(now=completed_at + timedelta(days=8))
    assert [s.supplier_id for s in issued] == [supplier.pk]
    statement = issued[0]
    owed = COST_FEN * QUANTITY
    assert (statement.line_count, statement.goods_fen, statement.payable_fen) == (1, owed, owed)

    # The supplier finds it, the line at cost × quantity, and confirms it.
    portal.goto(f"{base}/supplier/statements/")
    row = portal.locator("#statement-list a", has_text=statement.number)
    expect(row).to_contain_text("¥73.00")
    expect(row).to_contain_text("待供应商确认")
    row.click()
    expect(portal.locator("#payable")).to_have_text("¥73.00")
    lines = portal.locator("#statement-lines .weui-cell")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("手工黑芝麻酥 × 2")
    expect(lines.first).to_contain_text(order.number)
    expect(lines.first).to_contain_text("成本价 ¥36.50")
    expect(lines.first).to_contain_text("¥73.00")
    expect(portal.locator("body")).not_to_contain_text("¥39.00")  # never the buyer's price
    portal.locator("#confirm-statement").click()
    expect(portal.get_by_role("status").first).to_contain_text("已确认对账单")
    statement.refresh_from_db()
    assert statement.status == SupplierStatement.Status.CONFIRMED
    portal.screenshot(path=str(artifacts / "e2e-supplier-5-statement.png"), full_page=True)

    # Finance batches it, a second finance member approves, the file goes to the bank, the result comes back.
    maker, checker = _finance_member(), _finance_member()
    batch = payouts.create_batch(actor=maker)
    assert (batch.statement_count, batch.amount_fen) == (1, owed)
    request = ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL, reference=payouts.batch_reference(batch))
    approvals.approve(request_id=request.pk, actor=checker)
    exported = payouts.export_batch(batch_id=batch.pk, actor=maker)
    assert exported.filename.endswith(".xlsx") and exported.content
    result = f"对账单号,结果,失败原因\n{statement.number},成功,\n".encode()
    summary = payouts.import_results(batch_id=batch.pk, actor=maker, filename="result.csv", content=result)
    assert summary.counts()["applied"] == 1

    # The statement shows paid.
    portal.reload()
    expect(portal.locator(".app-pagehead .app-ostatus")).to_have_text("已付款")
    expect(portal.locator("#confirm-statement")).to_have_count(0)
    portal.goto(f"{base}/supplier/statements/")
    expect(portal.locator("#statement-list a", has_text=statement.number)).to_contain_text("已付款")
    portal.screenshot(path=str(artifacts / "e2e-supplier-6-paid.png"), full_page=True)
    supplier_context.close()
    assert list(ledger_selectors.violations()) == []
