"""The JS-SDK page configuration (`wx.config`) that lets a page inside WeChat's browser set its share
card (title, description, picture, link) through `updateAppMessageShareData` and
`updateTimelineShareData`.

WeChat checks the configuration against the page the browser actually shows: the signature is the
SHA-1 of ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` (keys in ASCII order, values as they are,
the URL without its ``#fragment``), made with the Official Account's JS-SDK ticket. The ticket comes
from `tokens.jsapi_ticket()`, cached once for every process; this module only signs. Without an
Official Account (`client.oa_app()` is None: FENXIAO_WECHAT_PROVIDER off, or no app id and secret)
there is no configuration and the pages show no card.

Only pages of this site are signed: a URL on another host is refused, since a signature for it
would let another site use this account's JS-SDK permissions (WeChat also limits them to the
account's "JS 接口安全域名").
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.translation import gettext

from fenxiao.common.errors import CommonCode, DomainError

from . import client, tokens
from .errors import WeChatError

logger = logging.getLogger(__name__)

#: What the share cards need; `wx.config` lists every JS API the page will call.
SHARE_APIS = ("updateAppMessageShareData", "updateTimelineShareData")

NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_LENGTH = 16


def strip_fragment(url: str) -> str:
    """`url` without its #fragment: the part WeChat signs (the browser never sends the fragment)."""
    return url.split("#", 1)[0]


def signature(*, ticket: str, nonce: str, timestamp: int | str, url: str) -> str:
    """The JS-SDK signature: SHA-1 hex of the four fields in ASCII key order, the URL unescaped and
    without its fragment."""
    plain = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={strip_fragment(url)}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


def new_nonce() -> str:
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(NONCE_LENGTH))


def own_page_url(url: str) -> str:
    """`url` without its fragment, if it is an http(s) page on one of this site's hosts
    (ALLOWED_HOSTS); anything else raises `invalid_input`."""
    parts = urlsplit(strip_fragment(url))
    host, _port = split_domain_port(parts.netloc)
    if (
        parts.scheme not in ("http", "https")
        or "@" in parts.netloc
        or not host
        or not validate_host(host, settings.ALLOWED_HOSTS)
    ):
        raise DomainError(
            CommonCode.INVALID_INPUT,
            gettext("只能为本站页面生成微信分享配置"),
            {"field": "url", "host": host},
        )
    return strip_fragment(url)


def _ticket() -> str | None:
    """The current JS-SDK ticket, or None when WeChat cannot give one now (the page then simply has
    no share card; the reason is logged)."""
    try:
        return tokens.jsapi_ticket()
    except WeChatError as exc:
        logger.warning("wechat jsapi ticket unavailable: %s", exc)
        return None


def page_config(url: str, *, js_api_list: tuple[str, ...] = SHARE_APIS, now: float | None = None) -> dict | None:
    """The `wx.config` object for the page at `url` (appId, timestamp, nonceStr, signature,
    jsApiList), or None when WeChat is not configured. The fragment is not signed; a URL that is not
    a page of this site raises `invalid_input`."""
    page = own_page_url(url)
    app = client.oa_app()
    if app is None:
        return None
    ticket = _ticket()
    if not ticket:
        return None
    timestamp = int(time.time() if now is None else now)
    nonce = new_nonce()
    return {
        "appId": app.appid,
        "timestamp": timestamp,
        "nonceStr": nonce,
        "signature": signature(ticket=ticket, nonce=nonce, timestamp=timestamp, url=page),
        "jsApiList": list(js_api_list),
    }
