"""The demo's journey in a real browser, with no WeChat anywhere: finance approves a WeChat-change
withdrawal, the distributor taps 确认收款 on the withdrawal page, lands on the development provider's
confirmation page, accepts, and is back on the withdrawal showing the money arrived."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.urls import reverse

from fenxiao.commissions.services import withdrawing_account
from fenxiao.ledger.models import Transaction
from fenxiao.withdrawals import services
from fenxiao.withdrawals.models import Withdrawal
from tests.e2e.conftest import browser  # noqa: F401  (the shared Chromium)

from .conftest import balance

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def demo_page(live_server, settings, browser):  # noqa: F811
    settings.FENXIAO_DEV_TRANSFERS = True
    settings.WECHATPAY_MCHID = ""
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def test_the_demo_pays_a_wechat_withdrawal_through_the_dev_confirmation_page(live_server, demo_page, funded, finance):
    w = services.request_withdrawal(distributor=funded, amount_fen=12300, channel="wechat", account="", actor=funded.user)
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)

    client = Client()
    client.force_login(funded.user)
    demo_page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = demo_page
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    assert page.goto(live_server.url + reverse("web:withdrawal_detail", args=[w.pk])).status == 200
    assert page.is_visible("#transfer-dev")

    page.click("#transfer-confirm")
    page.wait_for_selector("#transfer-dev-sheet")
    assert "¥123.00" in page.text_content("#transfer-dev-amount")
    page.click("#transfer-dev-accept")

    page.wait_for_selector("#withdrawal-status:has-text('已到账')")
    assert violations == []
    w.refresh_from_db()
    assert w.status == Withdrawal.Status.PAID
    assert Transaction.objects.filter(idempotency_key=f"withdrawal:{w.pk}:paid").count() == 1
    assert balance(withdrawing_account(funded.pk)) == 0
