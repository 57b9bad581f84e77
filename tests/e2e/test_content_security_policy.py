"""The Content Security Policy blocks nothing the pages need: a real browser opens the phone pages,
the admin pages with their own styles and scripts, and the API docs, and reports no violation."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DistributorFactory, LevelFactory, StaffFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def _violations(page, live_server, paths: list[str]) -> dict[str, list[str]]:
    page.add_init_script(COLLECT_VIOLATIONS)
    found = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__cspViolations")
        if violations:
            found[path] = violations
    return found


def test_phone_pages_run_under_the_policy(live_server, phone_page):
    distributor = DistributorFactory(user=UserFactory(nickname="小美"), level=LevelFactory(name="普通分销商", rank=1))
    _log_in(phone_page, live_server, distributor.user)
    paths = [
        reverse("web:home"),
        reverse("web:distributor_center"),
        reverse("web:team_tree"),
        reverse("web:leaderboard"),
        reverse("web:withdraw"),
        reverse("web:shop_edit"),
        reverse("web:share_shop", args=[distributor.code]),
    ]
    assert _violations(phone_page, live_server, paths) == {}


def test_admin_pages_and_api_docs_run_under_the_policy(live_server, browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        distributor = DistributorFactory()
        _log_in(page, live_server, StaffFactory(is_superuser=True))
        paths = [
            "/admin/",
            reverse("admin:commissions_simulator"),
            reverse("admin:analytics_chain", args=[distributor.pk]),
            "/api/docs",
        ]
        assert _violations(page, live_server, paths) == {}
        # Swagger UI really rendered (its script ran).
        page.goto(live_server.url + "/api/docs")
        page.wait_for_selector(".swagger-ui .information-container", timeout=15_000)
    finally:
        context.close()
