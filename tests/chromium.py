"""The headless Chromium the browser tests share.

Starting Playwright's driver and a browser costs seconds, so one browser serves a run of consecutive
browser tests; each test still gets fresh contexts (own cookies, storage and cache), and whatever
contexts a test leaves open are closed after it. The browser is shut down as soon as the next test
does not use it (root conftest.py): Playwright's sync API keeps an asyncio loop marked as running on
the main thread while it is up, and no other test should run under that.
"""

from __future__ import annotations

import shutil

ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]

_playwright = None
_browser = None


def executable() -> str | None:
    """Debian's own chromium binary, never a downloaded one."""
    return shutil.which("chromium")


def shared():
    """The running browser, launched on first use."""
    global _playwright, _browser
    if _browser is not None and _browser.is_connected():
        return _browser
    shut_down()
    from playwright.sync_api import sync_playwright

    _playwright = sync_playwright().start()
    try:
        _browser = _playwright.chromium.launch(executable_path=executable(), headless=True, args=ARGS)
    except BaseException:
        shut_down()
        raise
    return _browser


def close_contexts() -> None:
    """Close whatever contexts the last test left open (a failed test may not reach its own close)."""
    if _browser is not None and _browser.is_connected():
        for context in list(_browser.contexts):
            context.close()


def shut_down() -> None:
    global _playwright, _browser
    browser, playwright = _browser, _playwright
    _browser = _playwright = None
    try:
        if browser is not None and browser.is_connected():
            browser.close()
    finally:
        if playwright is not None:
            playwright.stop()
