"""Headless Chromium for the browser tests: Debian's own chromium binary, never a downloaded one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fenxiao.payments.tests.conftest import wechat, wechat_keys  # noqa: F401  (WeChat Pay's fake server, for the pay pages)
from tests import chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240301 MicroMessenger/8.0.49.2600(0x28003133) "
    "WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
DEV_SMS_CODE = re.compile(r"开发环境验证码：(\d{6})")
PASSWORD = "pass-1234"  # what the factories give every user


MISSING_CHROMIUM = "Chromium not found on PATH: the browser tests need it (Debian: apt-get install chromium fonts-noto-cjk)."


class _MissingBrowser:
    """Stands in for the browser when Chromium is absent, so the test itself fails (never skips) on first use."""

    def __getattr__(self, name):
        pytest.fail(MISSING_CHROMIUM, pytrace=False)


@pytest.fixture
def browser():
    """Headless Chromium, shared by consecutive browser tests (tests/chromium.py); the contexts a test
    opens are its own and are closed after it."""
    if chromium.executable() is None:
        yield _MissingBrowser()
        return
    try:
        yield chromium.shared()
    finally:
        chromium.close_contexts()


@pytest.fixture
def phone_page(browser):
    """A page the size of a common phone (375 × 812), in Chinese."""
    if isinstance(browser, _MissingBrowser):
        yield browser
        return
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def sms_dev_code(page) -> str:
    """The code the development SMS provider shows on the page (#dev-code) after "获取验证码"."""
    from playwright.sync_api import expect

    notice = page.locator("#dev-code")
    expect(notice).to_be_visible()
    match = DEV_SMS_CODE.search(notice.inner_text())
    assert match, notice.inner_text()
    return match.group(1)


def pick_region(page, province: str, city: str, district: str) -> None:
    """Choose in the province → city → district picker (htmx refills the next list after each choice)."""
    page.get_by_label("省份", exact=True).select_option(label=province)
    page.get_by_label("城市", exact=True).select_option(label=city)
    page.get_by_label("区县", exact=True).select_option(label=district)


def log_in(page, base: str, user, password: str = PASSWORD) -> None:
    """Log in with phone and password on the login page; lands on "我的"."""
    page.goto(f"{base}/login/")
    page.get_by_label("手机号", exact=True).fill(user.phone)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/me/$"))
