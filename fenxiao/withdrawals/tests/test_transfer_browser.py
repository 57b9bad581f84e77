"""The journey in a real browser dressed as WeChat's: finance approves a WeChat-change withdrawal, the
distributor opens the withdrawal page, taps 确认收款, the page hands the bill's package to WeChat's
JS bridge (a stand-in that records the call and answers ok), WeChat Pay (the local fake) completes
the transfer, and the page, polling, shows the money arrived — under the site's CSP."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.urls import reverse

from fenxiao.commissions.services import withdrawing_account
from fenxiao.ledger.models import Transaction
from fenxiao.payments.tests.fake_transfer import new_keys, start_configured
from fenxiao.withdrawals import services
from fenxiao.withdrawals.models import Withdrawal
from tests.e2e.conftest import browser  # noqa: F401  (the shared Chromium)

from .conftest import balance

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN"
)
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

BRIDGE = """
window.__bridgeCalls = [];
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
window.WeixinJSBridge = {
  invoke(name, args, callback) {
    window.__bridgeCalls.push({name, args: JSON.parse(JSON.stringify(args))});
    if (callback) setTimeout(() => callback({err_msg: name + ":ok"}), 0);
  },
  on() {},
};
"""


@pytest.fixture
def fake(settings, tmp_path):
    fake = start_configured(settings, tmp_path, new_keys())
    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    yield fake
    fake.stop()


@pytest.fixture
def wechat_page(live_server, browser):  # noqa: F811
    context = browser.new_context(
        locale="zh-CN", user_agent=WECHAT_UA, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    context.add_init_script(BRIDGE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def _wait_until(page, condition: str, seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if page.evaluate(f"() => Boolean({condition})"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds}s: {condition}")


def test_the_distributor_confirms_receipt_in_wechat_and_sees_the_money_arrive(live_server, wechat_page, fake, funded, finance):
    w = services.request_withdrawal(distributor=funded, amount_fen=12300, channel="wechat", account=OPENID, actor=funded.user)
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)  # the bill goes out once this commits
    assert fake.bills[w.number].state == "WAIT_USER_CONFIRM"

    client = Client()
    client.force_login(funded.user)
    wechat_page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = wechat_page
    response = page.goto(live_server.url + reverse("web:withdrawal_detail", args=[w.pk]))
    assert response.status == 200
    assert "请在微信中确认收款" in page.text_content("#withdrawal-status + .app-ohead__desc")

    page.click("#transfer-confirm")
    _wait_until(page, "window.__bridgeCalls.length >= 1")
    call = page.evaluate("window.__bridgeCalls[0]")
    assert call == {
        "name": "requestMerchantTransfer",
        "args": {"mchId": fake.mchid, "appId": fake.appid, "package": fake.bills[w.number].package_info},
    }
    _wait_until(page, "document.getElementById('transfer-message').textContent.length > 0")
    fake.user_confirms(w.number)  # the distributor accepted in WeChat; WeChat Pay pays

    page.wait_for_selector("#withdrawal-status:has-text('已到账')", timeout=20_000)
    assert page.evaluate("window.__cspViolations") == []
    w.refresh_from_db()
    assert w.status == Withdrawal.Status.PAID
    assert Transaction.objects.filter(idempotency_key=f"withdrawal:{w.pk}:paid").count() == 1
    assert balance(withdrawing_account(funded.pk)) == 0
