"""Headless Chromium for the browser tests: Debian's own chromium binary, never a downloaded one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


MISSING_CHROMIUM = "Chromium not found on PATH: the browser tests need it (Debian: apt-get install chromium fonts-noto-cjk)."


class _MissingBrowser:
    """Stands in for the browser when Chromium is absent, so the test itself fails (never skips) on first use."""

    def __getattr__(self, name):
        pytest.fail(MISSING_CHROMIUM, pytrace=False)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        yield _MissingBrowser()
        return
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


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
