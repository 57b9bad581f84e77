"""Error pages with DEBUG off: the site's own 404 / 500 / 403 / 400 pages in the visitor's language,
and the JSON error shape {code, message, detail} with the same status under /api/."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.api_helpers import assert_error
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("fenxiao.web.tests.error_urls")]


@pytest.fixture
def client(client):
    assert settings.DEBUG is False
    client.raise_request_exception = False
    return client


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_unknown_page_is_the_sites_404_in_chinese_and_english(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page and "找不到这个页面" in page and 'data-status="404"' in page
    assert "weui.min.css" in page and "去商城逛逛" in page
    english(client)
    page = client.get("/no-such-page/").content.decode()
    assert '<html lang="en">' in page


def test_api_paths_answer_json_404(client):
    # unknown API paths (answered by the API itself) and a 404 raised outside it under /api/
    for path in ("/api/nope", "/api/v1/nope/deeper", "/api/v1/missing/"):
        body = assert_error(client.get(path), 404, "not_found")
        assert body["detail"]["path"] == path


def test_a_failing_page_shows_the_sites_500_page(client):
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page and "服务器出错了" in page and 'data-status="500"' in page
    assert "RuntimeError" not in page and "deliberate failure" not in page
    english(client)
    response = client.get("/boom/")
    assert response.status_code == 500 and '<html lang="en">' in response.content.decode()


def test_a_failing_api_call_answers_json_500(client):
    body = assert_error(client.get("/api/v1/boom/"), 500, "server_error")
    assert "deliberate" not in str(body)


def test_forbidden_and_bad_requests(client):
    response = client.get("/forbidden/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "没有权限访问这个页面" in page and 'data-status="403"' in page and "/login/?next=/forbidden/" in page
    client.force_login(UserFactory())
    assert "当前账号不能查看这里的内容" in client.get("/forbidden/").content.decode()
    assert_error(client.get("/api/v1/forbidden/"), 403, "forbidden")

    response = client.get("/suspicious/")
    assert response.status_code == 400 and "请求无效" in response.content.decode()
    assert_error(client.get("/api/v1/suspicious/"), 400, "bad_request")


def test_an_expired_form_is_explained(client):
    client.handler.enforce_csrf_checks = True
    response = client.post("/login/", {"phone": "13800000000", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期" in page and 'data-status="403"' in page
