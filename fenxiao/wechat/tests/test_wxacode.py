"""The mini-program code for the posters (getwxacodeunlimit): fetched with the mini-program's access
token from the local fake of WeChat's API, once per page and scene (then from the shared cache);
the dev provider draws a stand-in; no mini-program, or WeChat refusing, means no code (the poster
keeps its QR code)."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from PIL import Image

from fenxiao.wechat import client, tokens, wxacode
from fenxiao.wechat.errors import WeChatError

from .fake_wechat import WXACODE_COLOUR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def colour_of(png: bytes) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return image.getpixel((image.width // 2, image.height // 2))


def near(a, b, slack=6) -> bool:
    return all(abs(x - y) <= slack for x, y in zip(a, b, strict=True))


def test_the_code_is_made_with_the_mini_programs_token_and_kept(fake_wechat):
    png = wxacode.product_code("AB12CD", 42)
    assert png is not None and near(colour_of(png), WXACODE_COLOUR)
    (made,) = fake_wechat.wxacodes
    assert made == {
        "scene": "d=AB12CD&p=42",
        "page": "pages/product/index",
        "width": 430,
        "check_path": False,
        "env_version": "release",
    }
    # The token used was the mini-program's own (the fake refuses the Official Account's).
    assert fake_wechat.token_apps and set(fake_wechat.token_apps.values()) == {fake_wechat.mp_appid}
    # Again: from the shared cache, nothing asked of WeChat.
    assert wxacode.product_code("AB12CD", 42) == png
    assert len(fake_wechat.wxacodes) == 1 and fake_wechat.token_fetches == 1
    # Another scene or page is another code.
    wxacode.shop_code("AB12CD")
    assert [c["scene"] for c in fake_wechat.wxacodes] == ["d=AB12CD&p=42", "d=AB12CD"]
    assert fake_wechat.wxacodes[1]["page"] == "pages/shop/index"


def test_pages_and_version_come_from_the_settings(fake_wechat, settings):
    settings.FENXIAO_WECHAT_MP_PRODUCT_PAGE = "sub/goods/detail"
    settings.FENXIAO_WECHAT_MP_ENV_VERSION = "trial"
    assert wxacode.product_code("AB12CD", 7) is not None
    assert (fake_wechat.wxacodes[0]["page"], fake_wechat.wxacodes[0]["env_version"]) == ("sub/goods/detail", "trial")


def test_an_expired_token_is_refreshed_once(fake_wechat):
    tokens.access_token(kind=client.MP)
    fake_wechat.revoke_platform_tokens()
    assert wxacode.shop_code("AB12CD") is not None
    assert fake_wechat.token_fetches == 2


def test_a_refusal_means_no_code_and_nothing_cached(fake_wechat):
    with pytest.raises(ValueError):
        client.fetch_wxacode("token", scene="d=AB12CD", page="/pages/shop/index", width=430)
    with pytest.raises(ValueError):
        client.fetch_wxacode("token", scene="x" * 33, page="pages/shop/index", width=430)
    fake_wechat.wxacode_refusal = {"errcode": 41030, "errmsg": "invalid page rid: fake"}
    with pytest.raises(WeChatError) as refused:
        client.fetch_wxacode(tokens.access_token(kind=client.MP), scene="d=AB12CD", page="pages/shop/index", width=430)
    assert refused.value.detail["errcode"] == 41030
    assert wxacode.shop_code("AB12CD") is None  # the poster keeps its QR code
    fake_wechat.wxacode_refusal = None
    fake_wechat.broken_next = 5
    assert wxacode.shop_code("AB12CD") is None  # WeChat unreachable: the same
    fake_wechat.broken_next = 0
    assert wxacode.shop_code("AB12CD") is not None  # nothing was cached meanwhile
    assert len(fake_wechat.wxacodes) == 1


def test_without_a_mini_program_there_is_no_code(fake_wechat, settings):
    settings.FENXIAO_WECHAT_MP_APPID = ""
    assert wxacode.product_code("AB12CD", 1) is None
    assert fake_wechat.wxacodes == []


def test_the_dev_provider_draws_a_stand_in(settings):
    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    settings.FENXIAO_WECHAT_MP_APPID = "wxdemominiprogram1"
    one, two = wxacode.product_code("AB12CD", 1), wxacode.product_code("AB12CD", 2)
    for png in (one, two):
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size == (430, 430)
    assert one != two  # each scene draws its own
    settings.FENXIAO_WECHAT_MP_APPID = ""  # the dev provider alone does not make a mini-program
    assert wxacode.product_code("AB12CD", 3) is None
