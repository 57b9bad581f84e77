"""The real HTTP client against the local fake of WeChat's API: code exchanges and WeChat's refusals."""

import socket

import pytest

from fenxiao.wechat import client
from fenxiao.wechat.errors import WeChatCode, WeChatError

from .conftest import new_person


def test_an_oauth_code_gives_the_openid_and_unionid(fake_wechat):
    person = new_person(unionid=True)
    grant = client.exchange_oauth_code(fake_wechat.issue_code(person))
    assert (grant.openid, grant.unionid, grant.scope) == (person.openid, person.unionid, "snsapi_base")
    path, sent = fake_wechat.calls[-1]
    assert path == "/sns/oauth2/access_token"
    assert sent["appid"] == fake_wechat.appid and sent["secret"] == fake_wechat.secret
    assert sent["grant_type"] == "authorization_code"


def test_a_code_is_good_once(fake_wechat):
    code = fake_wechat.issue_code(new_person())
    client.exchange_oauth_code(code)
    with pytest.raises(WeChatError) as caught:
        client.exchange_oauth_code(code)
    assert caught.value.code == WeChatCode.CODE_USED and caught.value.status == 400
    assert caught.value.detail["errcode"] == 40163


def test_an_expired_or_made_up_code_is_invalid(fake_wechat):
    code = fake_wechat.issue_code(new_person())
    fake_wechat.expire_code(code)
    for candidate in (code, "0" * 32):
        with pytest.raises(WeChatError) as caught:
            client.exchange_oauth_code(candidate)
        assert caught.value.code == WeChatCode.INVALID_CODE
        assert caught.value.detail["errcode"] == 40029


def test_a_wrong_secret_is_a_provider_error(fake_wechat, settings):
    settings.FENXIAO_WECHAT_SECRET = "not-the-secret"
    with pytest.raises(WeChatError) as caught:
        client.exchange_oauth_code(fake_wechat.issue_code(new_person()))
    assert caught.value.code == WeChatCode.PROVIDER_ERROR and caught.value.status == 424


def test_userinfo_after_a_userinfo_grant(fake_wechat):
    person = new_person(nickname="小王", unionid=True)
    person.headimgurl = "https://thirdwx.qlogo.cn/mmopen/abc/132"
    grant = client.exchange_oauth_code(fake_wechat.issue_code(person, scope="snsapi_userinfo"))
    profile = client.fetch_profile(grant)
    assert (profile.nickname, profile.avatar_url, profile.unionid) == ("小王", person.headimgurl, person.unionid)


def test_a_mini_program_code_gives_a_session(fake_wechat):
    person = new_person(unionid=True)
    session = client.exchange_mp_code(fake_wechat.issue_code(person, appid=fake_wechat.mp_appid))
    assert (session.openid, session.unionid) == (person.openid, person.unionid)
    assert session.session_key
    path, sent = fake_wechat.calls[-1]
    assert path == "/sns/jscode2session" and sent["appid"] == fake_wechat.mp_appid


def test_an_official_account_code_is_no_mini_program_code(fake_wechat):
    with pytest.raises(WeChatError) as caught:
        client.exchange_mp_code(fake_wechat.issue_code(new_person()))
    assert caught.value.code == WeChatCode.INVALID_CODE


def test_wechat_unreachable_or_broken_is_provider_unavailable(fake_wechat, settings):
    fake_wechat.broken_next = 1
    with pytest.raises(WeChatError) as caught:
        client.exchange_oauth_code(fake_wechat.issue_code(new_person()))
    assert caught.value.code == WeChatCode.PROVIDER_UNAVAILABLE and caught.value.status == 424

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.FENXIAO_WECHAT_API_BASE = f"http://127.0.0.1:{port}"
    with pytest.raises(WeChatError) as caught:
        client.exchange_oauth_code("0" * 32)
    assert caught.value.code == WeChatCode.PROVIDER_UNAVAILABLE


def test_not_configured(settings):
    settings.FENXIAO_WECHAT_PROVIDER = ""
    assert client.oa_app() is None and client.mp_app() is None
    with pytest.raises(WeChatError) as caught:
        client.exchange_oauth_code("0" * 32)
    assert caught.value.code == WeChatCode.NOT_CONFIGURED
    settings.FENXIAO_WECHAT_PROVIDER = "wechat"
    settings.FENXIAO_WECHAT_APPID = "wx1234567890abcdef"
    settings.FENXIAO_WECHAT_SECRET = ""
    assert client.oa_app() is None  # an appid without its secret is not configured


def test_authorize_url_is_wechats_with_the_fragment(fake_wechat):
    url = client.authorize_url(
        client.oa_app(), redirect_uri="https://shop.example.com/wechat/oauth/return/", scope="snsapi_base", state="s1"
    )
    assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + fake_wechat.appid)
    assert "redirect_uri=https%3A%2F%2Fshop.example.com%2Fwechat%2Foauth%2Freturn%2F" in url
    assert "&response_type=code&scope=snsapi_base&state=s1" in url
    assert url.endswith("#wechat_redirect")


def test_the_dev_provider_sends_nothing_and_refuses_what_wechat_refuses(settings):
    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    settings.FENXIAO_WECHAT_API_BASE = "http://127.0.0.1:9"  # would fail if anything were sent
    first = client.exchange_oauth_code(client.dev_code("device1"))
    again = client.exchange_oauth_code(client.dev_code("device1"))
    other = client.exchange_oauth_code(client.dev_code("device2"))
    assert first.openid == again.openid != other.openid
    assert len(first.openid) == 28
    with pytest.raises(WeChatError) as caught:
        client.exchange_oauth_code("forged")
    assert caught.value.code == WeChatCode.INVALID_CODE
    url = client.authorize_url(client.oa_app(), redirect_uri="http://testserver/r/", scope="snsapi_base", state="x")
    assert url.startswith("/wechat/dev/authorize?")
