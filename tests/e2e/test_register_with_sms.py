"""A new buyer registers with an SMS code in a real browser (the development provider shows the code),
accepting the agreements, then logs out and back in, once with a code and once with its password."""

from __future__ import annotations

import os

import pytest

from fenxiao.accounts.models import Consent, User
from fenxiao.sms.models import VerificationCode
from tests.e2e.conftest import sms_dev_code

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]


def test_register_with_an_sms_code_then_log_in(live_server, phone_page, artifacts, settings):
    from playwright.sync_api import expect

    settings.FENXIAO_SMS_PHONE_MINUTE_LIMIT = (2, 60, 60)  # the journey asks for two codes within a minute

    page = phone_page
    base = live_server.url
    page.goto(f"{base}/register/")
    expect(page.get_by_role("link", name="《用户协议》")).to_have_attribute("href", "/agreements/user/")
    page.get_by_label("手机号", exact=True).fill("13912345678")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sms-notice")).to_contain_text("验证码已发送至 139****5678")
    code = sms_dev_code(page)
    expect(page.get_by_label("手机号", exact=True)).to_have_value("13912345678")  # kept after sending

    page.get_by_label("验证码", exact=True).fill(code)
    page.get_by_label("昵称", exact=True).fill("小林")
    page.get_by_label("密码", exact=True).fill("linlin-2026")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.locator(".app-form__error")).to_contain_text("请阅读并同意")  # the tick is required
    assert not User.objects.filter(phone="13912345678").exists()

    page.get_by_label("验证码", exact=True).fill(code)  # the code was not used by the refused attempt
    page.get_by_label("密码", exact=True).fill("linlin-2026")
    page.locator("#id_agree").check()
    page.screenshot(path=str(artifacts / "e2e-register-sms.png"), full_page=True)
    page.get_by_role("button", name="注册并登录").click()
    expect(page).to_have_url(f"{base}/me/")
    expect(page.get_by_text("139****5678")).to_be_visible()
    user = User.objects.get(phone="13912345678")
    assert user.nickname == "小林"
    assert set(user.consents.values_list("document", flat=True)) == {Consent.Document.USER, Consent.Document.PRIVACY}
    assert VerificationCode.objects.get(phone="13912345678").used_at is not None

    page.get_by_role("button", name="退出登录").click()
    page.goto(f"{base}/login/?mode=sms")
    page.get_by_label("手机号", exact=True).fill("13912345678")
    page.get_by_role("button", name="获取验证码").click()
    code = sms_dev_code(page)
    page.get_by_label("验证码", exact=True).fill(code)
    page.get_by_label("验证码", exact=True).press("Enter")  # Enter logs in; it does not send another code
    expect(page).to_have_url(f"{base}/me/")
    assert VerificationCode.objects.filter(phone="13912345678", purpose="login").count() == 1

    page.get_by_role("button", name="退出登录").click()
    page.goto(f"{base}/login/")
    page.get_by_label("手机号", exact=True).fill("13912345678")
    page.get_by_label("密码", exact=True).fill("linlin-2026")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/me/")
