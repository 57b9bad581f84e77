"""The share card in a real browser dressed as WeChat's: the self-hosted JS-SDK and the page's share
script hand the signed configuration and the distributor's card to WeChat's JS bridge (a stand-in that
records the calls and answers "ok", as WeChat does for a valid signature), under the site's CSP."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.test import Client
from django.urls import reverse

from fenxiao.wechat import tokens
from tests.e2e.conftest import browser  # noqa: F401  (the shared Chromium)
from tests.factories import CategoryFactory, DistributorFactory, LevelFactory, ProductFactory, SkuFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN"
)

# WeChat's browser provides WeixinJSBridge; this one records each call and answers like WeChat.
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
def wechat_page(live_server, settings, browser):  # noqa: F811
    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    settings.FENXIAO_WECHAT_APPID = "wx5e1fc0ffee000001"
    settings.FENXIAO_WECHAT_SECRET = "dev-secret"
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
    """Polls `condition` from outside the page (wait_for_function would need 'unsafe-eval')."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(f"() => Boolean({condition})"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds}s: {condition}")


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def test_a_distributor_in_wechat_gets_its_card_set_through_the_js_bridge(live_server, wechat_page):
    product = ProductFactory(name="玻尿酸精华", subtitle="补水保湿", category=CategoryFactory(slug="beauty"))
    SkuFactory(product=product, retail_fen=15000, cost_fen=5000)
    seller = DistributorFactory(user=UserFactory(nickname="小美"), level=LevelFactory(rank=1, direct_rate_bp=1500))
    _log_in(wechat_page, live_server, seller.user)

    path = reverse("web:product", args=[product.pk])
    response = wechat_page.goto(live_server.url + path + "?from=timeline#top")
    assert response.status == 200
    _wait_until(wechat_page, "window.__bridgeCalls.length >= 3")
    calls = {call["name"]: call["args"] for call in wechat_page.evaluate("window.__bridgeCalls")}

    verify = calls["preVerifyJSAPI"]
    assert verify["verifyAppId"] == "wx5e1fc0ffee000001"
    assert verify["verifyJsApiList"] == ["updateAppMessageShareData", "updateTimelineShareData"]
    signed = f"{live_server.url}{path}?from=timeline"  # what the browser shows, without the fragment
    plain = (
        f"jsapi_ticket={tokens.jsapi_ticket()}&noncestr={verify['verifyNonceStr']}"
        f"&timestamp={verify['verifyTimestamp']}&url={signed}"
    )
    assert verify["verifySignature"] == hashlib.sha1(plain.encode()).hexdigest()

    own = f"{live_server.url}{reverse('web:share_product', args=[seller.code, product.pk])}"
    chat = calls["updateAppMessageShareData"]
    assert (chat["title"], chat["desc"], chat["link"]) == ("玻尿酸精华", "补水保湿", own + "?ch=wx_chat")
    assert chat["imgUrl"] == f"{live_server.url}/static/web/share-card.png"
    moments = calls["updateTimelineShareData"]
    assert (moments["title"], moments["link"]) == ("玻尿酸精华", own + "?ch=wx_moments")

    assert wechat_page.evaluate("window.__cspViolations") == []
    assert wechat_page.locator(".app-earn").first.inner_text() == "分享赚 ¥22.50"
    poster = wechat_page.locator("#product-poster")
    poster.scroll_into_view_if_needed()
    _wait_until(wechat_page, "document.querySelector('#product-poster').naturalWidth > 0")
    assert wechat_page.evaluate("document.querySelector('#product-poster').naturalWidth") == 750
