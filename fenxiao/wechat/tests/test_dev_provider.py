"""The dev provider: a local authorization page stands in for WeChat's, so the demo can walk the flow;
production refuses it."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY

from fenxiao.wechat import client as wechat_client
from fenxiao.wechat.models import WeChatIdentity
from tests.test_deployment import import_production, production_env

from .conftest import WECHAT_UA

pytestmark = pytest.mark.django_db
HTML = {"HTTP_USER_AGENT": WECHAT_UA, "HTTP_ACCEPT": "text/html"}


@pytest.fixture
def dev(settings):
    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    settings.FENXIAO_WECHAT_APPID = "wxdemo" + re.sub(r"\D", "", str(id(settings)))[:10]
    settings.FENXIAO_WECHAT_API_BASE = "http://127.0.0.1:9"  # nothing may be sent


def walk(client, path="/me/"):
    start = client.get(path, **HTML)
    assert start.status_code == 302
    authorize = client.get(start["Location"], **HTML)["Location"]
    assert authorize.startswith("/wechat/dev/authorize?")
    page = client.get(authorize, **HTML)
    assert page.status_code == 200 and "授权登录" in page.content.decode()
    return authorize


def test_the_dev_page_signs_the_same_browser_in_as_the_same_user(client, dev):
    authorize = walk(client)
    back = client.post(authorize, {"decision": "allow"}, **HTML)
    query = parse_qs(urlsplit(back["Location"]).query)
    assert back["Location"].startswith("http://testserver/wechat/oauth/return/?") and query["code"][0].startswith("dev.")
    done = client.get(back["Location"], **HTML)
    assert done.status_code == 302 and done["Location"] == "/me/"
    user_id = int(client.session[SESSION_KEY])
    client.post("/logout/")
    authorize = walk(client)
    client.get(client.post(authorize, {"decision": "allow"}, **HTML)["Location"], **HTML)
    assert int(client.session[SESSION_KEY]) == user_id
    assert WeChatIdentity.objects.count() == 1


def test_declining_on_the_dev_page_logs_nobody_in(client, dev):
    authorize = walk(client, "/")
    back = client.post(authorize, {"decision": "deny"}, **HTML)
    assert "code=" not in back["Location"]
    assert client.get(back["Location"], **HTML)["Location"] == "/"
    assert SESSION_KEY not in client.session
    assert client.get("/", **HTML).status_code == 200  # not sent round again


def test_the_dev_page_returns_only_to_this_site(client, dev):
    app = wechat_client.oa_app()
    response = client.get(
        "/wechat/dev/authorize",
        {"appid": app.appid, "redirect_uri": "https://evil.example.com/steal", "scope": "snsapi_base", "state": "s"},
    )
    assert response.status_code == 400


def test_the_dev_page_is_gone_with_the_real_provider(client, fake_wechat):
    assert client.get("/wechat/dev/authorize", {"state": "s"}).status_code == 404


def test_production_refuses_the_dev_provider():
    result = import_production(production_env(FENXIAO_WECHAT_PROVIDER="dev"))
    assert result.returncode != 0
    assert "Production settings refuse to start: FENXIAO_WECHAT_PROVIDER is dev" in result.stderr
    assert import_production(production_env(FENXIAO_WECHAT_PROVIDER="wechat")).returncode == 0
