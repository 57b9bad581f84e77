"""The mini-program code (小程序码) on the posters, in place of the QR code when a mini-program is
configured: `getwxacodeunlimit` through the WeChat client (the real API, or the dev provider's drawn
stand-in), each code fetched once and kept in the shared cache, since WeChat limits how often codes
may be made and a code for the same page and scene never changes.

Settings: FENXIAO_WECHAT_MP_APPID (no code without it), FENXIAO_WECHAT_MP_PRODUCT_PAGE and
FENXIAO_WECHAT_MP_SHOP_PAGE (the mini-program's pages that read the scene), FENXIAO_WECHAT_MP_ENV_VERSION
("release", "trial" or "develop").
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

from . import client, tokens
from .errors import WeChatError

logger = logging.getLogger("fenxiao.wechat")

CACHE_SECONDS = 30 * 24 * 3600
CODE_WIDTH = 430
DEFAULT_PRODUCT_PAGE = "pages/product/index"
DEFAULT_SHOP_PAGE = "pages/shop/index"
ENV_VERSIONS = ("release", "trial", "develop")


def enabled() -> bool:
    """A mini-program is configured (its appid set, and WeChat on): posters carry its code."""
    configured = str(getattr(settings, "FENXIAO_WECHAT_MP_APPID", "") or "").strip()
    return bool(configured) and client.mp_app() is not None


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, "") or "").strip() or default


def product_page() -> str:
    return _setting("FENXIAO_WECHAT_MP_PRODUCT_PAGE", DEFAULT_PRODUCT_PAGE)


def shop_page() -> str:
    return _setting("FENXIAO_WECHAT_MP_SHOP_PAGE", DEFAULT_SHOP_PAGE)


def env_version() -> str:
    value = _setting("FENXIAO_WECHAT_MP_ENV_VERSION", "release").lower()
    return value if value in ENV_VERSIONS else "release"


def product_scene(distributor_code: str, product_id: int) -> str:
    """What the product page reads from its scene: the distributor's code and the product."""
    return f"d={distributor_code}&p={int(product_id)}"


def shop_scene(distributor_code: str) -> str:
    return f"d={distributor_code}"


def cache_key(appid: str, page: str, scene: str, width: int, version: str) -> str:
    digest = hashlib.sha256(f"{page}\x1f{scene}\x1f{width}\x1f{version}".encode()).hexdigest()[:32]
    return f"wechat:wxacode:{appid}:{digest}"


def code_png(*, page: str, scene: str, width: int = CODE_WIDTH) -> bytes | None:
    """The mini-program code opening `page` with `scene`, from the shared cache or fetched once; None
    when no mini-program is configured or WeChat cannot make one now (the poster then shows its QR code)."""
    if not enabled():
        return None
    app = client.mp_app()
    if app is None:
        return None
    version = env_version()
    key = cache_key(app.appid, page, scene, width, version)
    png = cache.get(key)
    if isinstance(png, bytes) and png:
        return png
    try:
        png = tokens.with_access_token(
            lambda token: client.fetch_wxacode(token, scene=scene, page=page, width=width, env_version=version), kind=client.MP
        )
    except (WeChatError, ValueError) as exc:
        logger.warning("mini-program code for %s?%s not made: %s", page, scene, exc)
        return None
    cache.set(key, png, CACHE_SECONDS)
    return png


def product_code(distributor_code: str, product_id: int) -> bytes | None:
    return code_png(page=product_page(), scene=product_scene(distributor_code, product_id))


def shop_code(distributor_code: str) -> bytes | None:
    return code_png(page=shop_page(), scene=shop_scene(distributor_code))
