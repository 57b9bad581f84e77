"""Signing in inside WeChat's browser: the silent authorization, its return page (state checked, code
used once) and the first visit through a share link, which still binds the visitor to the distributor."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from fenxiao.distribution.models import Binding, Visit
from fenxiao.wechat import oauth
from fenxiao.wechat.models import WeChatIdentity
from tests.factories import DistributorFactory, ProductFactory, SkuFactory, UserFactory

from .conftest import WECHAT_UA, new_person

pytestmark = pytest.mark.django_db
HTML = {"HTTP_USER_AGENT": WECHAT_UA, "HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


def authorize(client, path):
    """Open `path` in WeChat, follow to WeChat's authorize URL; returns its query (state, redirect_uri …)."""
    first = client.get(path, **HTML)
    assert first.status_code == 302 and first["Location"].startswith("/wechat/oauth/start/?next=")
    start = client.get(first["Location"], **HTML)
    assert start.status_code == 302
    url = start["Location"]
    assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?") and url.endswith("#wechat_redirect")
    return {k: v[0] for k, v in parse_qs(urlsplit(url.removesuffix("#wechat_redirect")).query).items()}


def come_back(client, query, code):
    return client.get("/wechat/oauth/return/", {"code": code, "state": query["state"]}, **HTML)


def logged_in(client):
    return SESSION_KEY in client.session


def product():
    item = ProductFactory(name="山茶花面霜")
    SkuFactory(product=item, retail_fen=9900)
    return item


def test_a_wechat_visitor_is_signed_in_silently_and_sent_back(client, fake_wechat):
    item = product()
    query = authorize(client, f"/p/{item.pk}/?from=timeline")
    assert query["appid"] == fake_wechat.appid and query["scope"] == "snsapi_base"
    assert query["redirect_uri"] == "http://testserver/wechat/oauth/return/"
    assert len(query["state"]) >= 32
    person = new_person()
    response = come_back(client, query, fake_wechat.issue_code(person))
    assert response.status_code == 302 and response["Location"] == f"/p/{item.pk}/?from=timeline"
    assert logged_in(client)
    assert WeChatIdentity.objects.get(openid=person.openid).user_id == int(client.session[SESSION_KEY])
    page = client.get(response["Location"], **HTML)
    assert page.status_code == 200 and "山茶花面霜" in page.content.decode()


def test_other_browsers_api_and_images_are_left_alone(client, fake_wechat):
    item = product()
    assert client.get(f"/p/{item.pk}/", HTTP_ACCEPT="text/html").status_code == 200  # not WeChat
    assert client.get("/api/v1/catalog/products", **HTML).status_code == 200
    assert client.get(f"/p/{item.pk}/", HTTP_SEC_FETCH_DEST="image", **HTML).status_code == 200
    assert client.get(f"/p/{item.pk}/", HTTP_USER_AGENT=WECHAT_UA, HTTP_ACCEPT="image/avif,image/webp").status_code == 200
    assert client.get(f"/p/{item.pk}/", HTTP_HX_REQUEST="true", **HTML).status_code == 200
    assert client.get("/login/", **HTML).status_code == 200
    assert client.post(f"/p/{item.pk}/", **HTML).status_code != 302


def test_off_without_an_official_account(client, settings):
    settings.FENXIAO_WECHAT_PROVIDER = ""
    item = product()
    assert client.get(f"/p/{item.pk}/", **HTML).status_code == 200
    assert client.get("/wechat/oauth/start/?next=/", **HTML).status_code == 404


def test_a_state_the_session_does_not_hold_logs_nobody_in(client, fake_wechat):
    query = authorize(client, "/")
    code = fake_wechat.issue_code(new_person())
    forged = client.get("/wechat/oauth/return/", {"code": code, "state": "x" + query["state"][1:]}, **HTML)
    assert forged.status_code == 400 and "授权链接已失效" in forged.content.decode()
    missing = client.get("/wechat/oauth/return/", {"code": code}, **HTML)
    assert missing.status_code == 400
    assert not logged_in(client)
    assert not WeChatIdentity.objects.exists()
    assert fake_wechat.paths() == []  # the code was never even exchanged


def test_a_return_link_from_another_browser_logs_nobody_in(client, fake_wechat):
    query = authorize(client, "/")
    code = fake_wechat.issue_code(new_person())
    victim = Client()
    response = victim.get("/wechat/oauth/return/", {"code": code, "state": query["state"]}, **HTML)
    assert response.status_code == 400
    assert SESSION_KEY not in victim.session
    assert not WeChatIdentity.objects.exists()


def test_a_state_is_used_once(client, fake_wechat):
    query = authorize(client, "/")
    assert come_back(client, query, fake_wechat.issue_code(new_person())).status_code == 302
    client.post("/logout/")
    replay = come_back(client, query, fake_wechat.issue_code(new_person()))
    assert replay.status_code == 400
    assert not logged_in(client)


def test_a_state_expires(client, fake_wechat, monkeypatch):
    query = authorize(client, "/")
    later = time.time() + oauth.STATE_SECONDS + 1
    monkeypatch.setattr(oauth.time, "time", lambda: later)
    response = come_back(client, query, fake_wechat.issue_code(new_person()))
    assert response.status_code == 400 and not logged_in(client)


@pytest.mark.parametrize("problem", ["expired", "used", "made_up"])
def test_a_bad_code_is_a_clear_page_and_logs_nobody_in(client, fake_wechat, problem):
    code = fake_wechat.issue_code(new_person())
    if problem == "expired":
        fake_wechat.expire_code(code)
    elif problem == "used":
        fake_wechat.handle(
            "GET", "/sns/oauth2/access_token", {"appid": fake_wechat.appid, "secret": fake_wechat.secret, "code": code}, {}
        )
    else:
        code = "0" * 32
    query = authorize(client, "/")
    response = come_back(client, query, code)
    assert response.status_code == 400
    text = response.content.decode()
    assert "微信登录没有完成" in text and ("已失效" in text or "已使用" in text)
    assert not logged_in(client)
    # the visitor browses on anonymously for a while instead of being sent round again
    assert client.get("/", **HTML).status_code == 200


def test_next_must_stay_on_the_site(client, fake_wechat):
    start = client.get("/wechat/oauth/start/", {"next": "https://evil.example.com/"}, **HTML)
    query = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"].removesuffix("#wechat_redirect")).query).items()}
    response = come_back(client, query, fake_wechat.issue_code(new_person()))
    assert response.status_code == 302 and response["Location"] == "/"


def test_outside_wechat_the_real_provider_asks_to_open_in_wechat(client, fake_wechat):
    response = client.get("/wechat/oauth/start/", {"next": "/"}, HTTP_USER_AGENT="Mozilla/5.0 Safari")
    assert response.status_code == 400 and "请在微信中打开" in response.content.decode()


def test_the_first_visit_through_a_share_link_binds_after_the_round_trip(client, fake_wechat):
    shop = DistributorFactory(user=UserFactory(nickname="小美"))
    item = product()
    link = f"/s/{shop.code}/p/{item.pk}?ch=wx_group"
    query = authorize(client, link)
    assert Visit.objects.count() == 0  # counted once, on the way back
    back = come_back(client, query, fake_wechat.issue_code(new_person()))
    assert back["Location"] == link
    page = client.get(back["Location"], **HTML)
    assert page.status_code == 200
    user_id = int(client.session[SESSION_KEY])
    binding = Binding.objects.get(customer_id=user_id)
    assert binding.distributor == shop and binding.source == "product_link"
    visit = Visit.objects.get()
    assert visit.distributor == shop and visit.visitor_id == user_id and visit.channel == "wx_group"


def test_a_referral_remembered_before_sign_in_binds_on_return(client, fake_wechat):
    """A share link opened while authorization was paused (declined), then signing in later."""
    shop = DistributorFactory()
    query = authorize(client, "/")
    client.get("/wechat/oauth/return/", {"state": query["state"]}, **HTML)  # declined: no code
    assert client.get(f"/s/{shop.code}", **HTML).status_code == 200  # anonymous visit, remembered
    start = client.get("/wechat/oauth/start/", {"next": "/me/"}, **HTML)
    query = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"].removesuffix("#wechat_redirect")).query).items()}
    back = come_back(client, query, fake_wechat.issue_code(new_person()))
    assert back["Location"] == "/me/"
    assert Binding.objects.get(customer_id=int(client.session[SESSION_KEY])).distributor == shop


def test_use_my_wechat_nickname_and_avatar(client, fake_wechat):
    member = UserFactory(nickname="")
    client.force_login(member)
    me = client.get("/me/", **HTML).content.decode()
    assert "使用我的微信昵称和头像" in me and "暂未绑定微信" in me
    start = client.post("/wechat/profile/", {"next": "/me/"}, **HTML)
    assert start.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"].removesuffix("#wechat_redirect")).query).items()}
    assert query["scope"] == "snsapi_userinfo"
    person = new_person(nickname="林小鹿")
    person.headimgurl = "https://thirdwx.qlogo.cn/mmopen/vi_32/xyz/132"
    back = come_back(client, query, fake_wechat.issue_code(person, scope="snsapi_userinfo"))
    assert back["Location"] == "/me/"
    identity = WeChatIdentity.objects.get(user=member)
    assert (identity.nickname, identity.avatar_url) == ("林小鹿", person.headimgurl)
    page = client.get("/me/", **HTML).content.decode()
    assert "林小鹿" in page and re.search(r"已绑定微信", page)


def test_the_profile_action_needs_a_login_and_a_post(client, fake_wechat):
    assert client.get("/wechat/profile/", **HTML).status_code == 405
    response = client.post("/wechat/profile/", **HTML)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_wechat_unreachable_on_return_is_a_clear_page(client, fake_wechat):
    query = authorize(client, "/")
    code = fake_wechat.issue_code(new_person())
    fake_wechat.broken_next = 1
    response = come_back(client, query, code)
    assert response.status_code == 503 and "微信服务暂时无法连接" in response.content.decode()
    assert not logged_in(client)


def test_pages_vary_by_browser_when_the_official_account_is_configured(client, settings):
    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    settings.FENXIAO_WECHAT_APPID = settings.FENXIAO_WECHAT_APPID or "wx-vary-test"
    response = client.get("/")
    assert "User-Agent" in response.get("Vary", "")
    settings.FENXIAO_WECHAT_PROVIDER = ""
    assert "User-Agent" not in client.get("/").get("Vary", "")
