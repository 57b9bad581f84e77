"""A distributor's money in a real browser, end to end.

A consumer opens a distributor's share link, buys, pays and confirms receipt. The distributor sees
the commission as estimated earnings. Time passes (the after-sales window closes, the settlement job
runs T+3), and the commission is withdrawable. The distributor verifies its identity, asks for a
withdrawal, finance approves it and pays it out in a batch, and the distributor sees it paid.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from stdnum.cn import ric

from fenxiao.commissions.services import settlement
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.orders import services as orders
from fenxiao.orders.models import Order
from fenxiao.withdrawals.models import Withdrawal
from fenxiao.withdrawals.services import approve_withdrawal, mark_paid
from tests.e2e.conftest import log_in, sms_dev_code
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

ID_BODY = "11010519491231002"
ID_NUMBER = ID_BODY + ric.calc_check_digit(ID_BODY + "0")  # the function reads the first 17 digits


def test_a_sale_through_a_share_link_becomes_a_paid_withdrawal(live_server, browser, artifacts):
    from playwright.sync_api import expect

    from tests.e2e.conftest import PHONE

    level = LevelFactory(name="普通分销商", rank=1, direct_rate_bp=2000, indirect_rate_bp=500)
    shop = DistributorFactory(user=UserFactory(nickname="小美", phone="13800001111"), level=level)
    serum = ProductFactory(name="玻尿酸精华", subtitle="补水保湿", category=CategoryFactory(name="美妆", slug="beauty"))
    SkuFactory(
        product=serum, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000, cost_fen=5000, stock=20
    )
    consumer = UserFactory(nickname="阿华")
    operator = StaffFactory()
    base = live_server.url

    # The consumer buys one serum through the shop's product link.
    buyer_context = browser.new_context(locale="zh-CN", **PHONE)
    page = buyer_context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/s/{shop.code}/p/{serum.pk}")
    expect(page.get_by_role("heading", name="玻尿酸精华")).to_be_visible()
    log_in(page, base, consumer)
    page.goto(f"{base}/p/{serum.pk}/")
    page.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_role("status")).to_contain_text("已加入购物车")
    page.goto(f"{base}/cart/")
    page.get_by_role("link", name=re.compile("去结算")).click()
    page.get_by_label("收货人", exact=True).fill("王小明")
    page.get_by_label("手机号", exact=True).fill("13812345678")
    page.get_by_label("省份", exact=True).select_option(label="浙江省")  # the region picker
    page.get_by_label("城市", exact=True).select_option(label="杭州市")
    page.get_by_label("区县", exact=True).select_option(label="西湖区")
    page.get_by_label("详细地址", exact=True).fill("文三路 100 号 3 幢 501")
    page.get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
    page.get_by_role("button", name=re.compile("确认支付")).click()
    expect(page.locator("#order-status")).to_have_text("待发货")
    order = Order.objects.get(user=consumer)
    assert (order.distributor_id, order.paid_fen) == (shop.pk, 15000)

    # Shipped; the consumer confirms receipt on the order page.
    orders.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰速运", tracking_number="SF1234567890")
    page.reload()
    page.once("dialog", lambda dialog: dialog.accept())  # "确认已收到商品吗？"
    page.get_by_role("button", name="确认收货").click()
    expect(page.locator("#order-status")).to_have_text("已收货")
    buyer_context.close()

    # The distributor sees 20% of ¥150 as estimated earnings.
    seller_context = browser.new_context(locale="zh-CN", **PHONE)
    page = seller_context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, shop.user)
    page.goto(f"{base}/dc/")
    page.locator("#earnings-link").click()
    expect(page).to_have_url(re.compile(r"/dc/earnings/$"))
    expect(page.locator("#pending-amount")).to_contain_text("30.00")
    expect(page.locator("#available-amount")).to_contain_text("0.00")
    page.screenshot(path=str(artifacts / "e2e-earn-1-pending.png"), full_page=True)

    # Ten days on the after-sales window has closed; three days later the settlement batch runs.
    order.refresh_from_db()
    completed_at = order.received_at + timedelta(days=8)
    assert orders.complete_orders(now=completed_at) == 1
    batch = settlement.run_settlement(now=completed_at + timedelta(days=3))
    assert (batch.commission_count, batch.amount_fen) == (1, 3000)
    page.reload()
    expect(page.locator("#available-amount")).to_contain_text("30.00")
    expect(page.locator("#pending-amount")).to_contain_text("0.00")
    page.screenshot(path=str(artifacts / "e2e-earn-2-settled.png"), full_page=True)

    # Withdraw: identity verification first, then ¥30 to WeChat change.
    page.locator("#withdraw-link").click()
    expect(page.get_by_role("heading", name="实名认证")).to_be_visible()
    page.get_by_label("真实姓名", exact=True).fill("李小美")
    page.get_by_label("身份证号", exact=True).fill(ID_BODY + ("0" if ID_NUMBER[-1] != "0" else "1"))  # wrong check digit
    page.get_by_label("手机号", exact=True).fill("13800001111")
    # the payout phone is proven by a code sent to it (the development provider shows it)
    page.get_by_role("button", name="获取验证码").click()
    code = sms_dev_code(page)
    page.get_by_label("验证码", exact=True).fill(code)
    page.get_by_role("button", name="提交认证").click()
    expect(page.get_by_role("alert")).to_contain_text("身份证")
    page.get_by_label("身份证号", exact=True).fill(ID_NUMBER)
    page.get_by_label("验证码", exact=True).fill(code)  # the refused attempt did not use the code up
    page.get_by_role("button", name="提交认证").click()
    expect(page.get_by_role("heading", name="提现")).to_be_visible()
    expect(page.locator("#available")).to_contain_text("30.00")
    page.get_by_label(re.compile("金额")).fill("30")
    page.locator("label[for='channel-wechat']").click()
    page.screenshot(path=str(artifacts / "e2e-earn-3-withdraw.png"), full_page=True)
    page.locator("#withdraw-submit").click()
    expect(page.locator("#withdrawal-status")).to_have_text("待审核")
    expect(page.locator("#withdrawal-amount")).to_contain_text("30.00")
    withdrawal = Withdrawal.objects.get(distributor=shop)
    assert (withdrawal.amount_fen, withdrawal.status) == (3000, Withdrawal.Status.REQUESTED)

    # Finance approves and pays it out; the distributor sees it paid.
    approve_withdrawal(withdrawal_id=withdrawal.pk, actor=operator)
    mark_paid(withdrawal_id=withdrawal.pk, actor=operator, external_reference="WX20261123001")
    page.reload()
    expect(page.locator("#withdrawal-status")).to_have_text("已到账")
    page.screenshot(path=str(artifacts / "e2e-earn-4-paid.png"), full_page=True)
    page.goto(f"{base}/dc/earnings/")
    expect(page.locator("#available-amount")).to_contain_text("0.00")
    seller_context.close()

    assert list(ledger_selectors.violations()) == []
