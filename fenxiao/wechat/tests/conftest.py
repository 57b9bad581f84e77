from __future__ import annotations

import secrets

import pytest

from .fake_wechat import FakeWeChat, Person

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800322d) NetType/WIFI Language/zh_CN"
)


def new_person(*, unionid: bool = False, nickname: str = "") -> Person:
    openid = "oAbC" + secrets.token_urlsafe(18)[:24]
    return Person(openid=openid, unionid=("oUn" + secrets.token_urlsafe(18)[:25]) if unionid else "", nickname=nickname)


@pytest.fixture
def fake_wechat(settings):
    """WeChat's API on 127.0.0.1 (random port), the shop configured against it with made-up credentials."""
    fake = FakeWeChat(
        appid="wx" + secrets.token_hex(8),
        secret=secrets.token_hex(16),
        mp_appid="wx" + secrets.token_hex(8),
        mp_secret=secrets.token_hex(16),
    ).start()
    settings.FENXIAO_WECHAT_PROVIDER = "wechat"
    settings.FENXIAO_WECHAT_APPID = fake.appid
    settings.FENXIAO_WECHAT_SECRET = fake.secret
    settings.FENXIAO_WECHAT_MP_APPID = fake.mp_appid
    settings.FENXIAO_WECHAT_MP_SECRET = fake.mp_secret
    settings.FENXIAO_WECHAT_API_BASE = fake.base_url
    yield fake
    fake.stop()
