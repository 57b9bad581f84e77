"""WeChat's server API, the parts the shop uses, behind one set of functions.

- Official Account (公众号) web authorization: `/sns/oauth2/access_token` turns the code WeChat hands
  back to our return page into the visitor's openid (and unionid when the account is tied to an Open
  Platform account), `/sns/userinfo` reads nickname and avatar after a `snsapi_userinfo` grant;
- mini-program login: `/sns/jscode2session` turns a `wx.login()` code into openid, unionid and the
  session key;
- the platform's access token (`/cgi-bin/stable_token`) and the JS-SDK ticket
  (`/cgi-bin/ticket/getticket?type=jsapi`); `tokens` keeps both in the shared cache;
- the mini-program code (`/wxa/getwxacodeunlimit`): an image of the mini-program's code opening
  `page` with `scene`, for the posters (`wxacode` keeps them in the shared cache).

Two transports speak the same wire format: `HttpTransport` calls api.weixin.qq.com (or
FENXIAO_WECHAT_API_BASE) with httpx, `DevTransport` answers locally for the demo (an openid derived from
the code, nothing sent anywhere; a drawn stand-in for a mini-program code). Both return WeChat's JSON as a dict; `_checked` maps an `errcode` to a
`WeChatError`, so the dev provider refuses what WeChat refuses, in the same words.

Settings: FENXIAO_WECHAT_PROVIDER ("" off, "dev", "wechat"), FENXIAO_WECHAT_APPID / _SECRET (the
Official Account), FENXIAO_WECHAT_MP_APPID / _MP_SECRET (the mini-program), FENXIAO_WECHAT_API_BASE.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.utils.translation import gettext
from PIL import Image, ImageDraw

from .errors import WeChatCode, WeChatError

DEFAULT_API_BASE = "https://api.weixin.qq.com"
AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
DEV_AUTHORIZE_PATH = "/wechat/dev/authorize"
HTTP_TIMEOUT = httpx.Timeout(8.0, connect=4.0)
USER_AGENT = "fenxiao-wechat/1"
SCOPE_BASE = "snsapi_base"
SCOPE_USERINFO = "snsapi_userinfo"
SCOPES = (SCOPE_BASE, SCOPE_USERINFO)
OA, MP = "oa", "mp"
PROVIDERS = ("", "dev", "wechat")

# errcodes: https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
CODE_INVALID = (40029,)
CODE_USED = (40163,)
TOKEN_EXPIRED = (40001, 40014, 42001, 42007)  # invalid / expired access token (42007: refresh token)
BUSY = (-1, 45009, 45011)  # system busy, daily quota reached, calling too often

WXACODE_PATH = "/wxa/getwxacodeunlimit"
# `scene`: at most 32 visible characters of these (WeChat's rule for getwxacodeunlimit).
WXACODE_SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
WXACODE_PAGE = re.compile(r"^[A-Za-z0-9_\-./]{1,128}$")
WXACODE_WIDTHS = range(280, 1281)


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    """One WeChat application the shop signs in with: the Official Account or the mini-program."""

    kind: str
    appid: str
    secret: str = field(repr=False)


def provider() -> str:
    value = str(getattr(settings, "FENXIAO_WECHAT_PROVIDER", "") or "").strip().lower()
    return value if value in PROVIDERS else ""


def _app(kind: str) -> App | None:
    if not provider():
        return None
    prefix = "FENXIAO_WECHAT_MP_" if kind == MP else "FENXIAO_WECHAT_"
    appid = str(getattr(settings, prefix + "APPID", "") or "").strip()
    secret = str(getattr(settings, prefix + "SECRET", "") or "").strip()
    if provider() == "dev":
        # The demo needs no account: a made-up appid stands in when none is set.
        return App(kind=kind, appid=appid or f"wxdev{kind}000000000000", secret=secret or "dev")
    if not appid or not secret:
        return None
    return App(kind=kind, appid=appid, secret=secret)


def oa_app() -> App | None:
    """The Official Account, or None when WeChat sign-in on the pages is off."""
    return _app(OA)


def mp_app() -> App | None:
    return _app(MP)


def require_app(kind: str) -> App:
    app = _app(kind)
    if app is None:
        raise WeChatError(WeChatCode.NOT_CONFIGURED, gettext("微信登录未开通"), {"kind": kind}, status=404)
    return app


def api_base() -> str:
    return str(getattr(settings, "FENXIAO_WECHAT_API_BASE", "") or "").strip().rstrip("/") or DEFAULT_API_BASE


# --- answers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthGrant:
    openid: str
    unionid: str
    access_token: str = field(repr=False)
    scope: str
    expires_in: int
    snapshot_user: bool = False


@dataclass(frozen=True)
class Profile:
    openid: str
    unionid: str
    nickname: str
    avatar_url: str


@dataclass(frozen=True)
class MiniSession:
    openid: str
    unionid: str
    session_key: str = field(repr=False)


@dataclass(frozen=True)
class Credential:
    """The platform access token or the JS-SDK ticket, with its lifetime in seconds."""

    value: str = field(repr=False)
    expires_in: int


# --- transports --------------------------------------------------------------------------------


class Transport(Protocol):
    def oauth_access_token(self, app: App, code: str) -> dict[str, Any]: ...
    def userinfo(self, access_token: str, openid: str) -> dict[str, Any]: ...
    def jscode2session(self, app: App, code: str) -> dict[str, Any]: ...
    def stable_token(self, app: App, force_refresh: bool) -> dict[str, Any]: ...
    def jsapi_ticket(self, access_token: str) -> dict[str, Any]: ...
    def wxacode_unlimit(self, access_token: str, body: dict[str, Any]) -> dict[str, Any] | bytes: ...


class Unreachable(Exception):
    """WeChat did not answer (timeout, connection refused) or answered something that is not JSON."""


class HttpTransport:
    """api.weixin.qq.com over HTTPS; one short-lived connection per call."""

    def __init__(self, base_url: str | None = None):
        self.base_url = (base_url or api_base()).rstrip("/")

    def _send(self, method: str, path: str, *, params: dict[str, str] | None = None, json: dict | None = None) -> dict:
        try:
            with httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False, headers={"User-Agent": USER_AGENT}) as http:
                response = http.request(method, self.base_url + path, params=params, json=json)
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unreachable(str(exc)) from exc
        if response.status_code >= 500 or not isinstance(data, dict):
            raise Unreachable(f"HTTP {response.status_code}")
        return data

    def oauth_access_token(self, app: App, code: str) -> dict[str, Any]:
        params = {"appid": app.appid, "secret": app.secret, "code": code, "grant_type": "authorization_code"}
        return self._send("GET", "/sns/oauth2/access_token", params=params)

    def userinfo(self, access_token: str, openid: str) -> dict[str, Any]:
        return self._send("GET", "/sns/userinfo", params={"access_token": access_token, "openid": openid, "lang": "zh_CN"})

    def jscode2session(self, app: App, code: str) -> dict[str, Any]:
        params = {"appid": app.appid, "secret": app.secret, "js_code": code, "grant_type": "authorization_code"}
        return self._send("GET", "/sns/jscode2session", params=params)

    def stable_token(self, app: App, force_refresh: bool) -> dict[str, Any]:
        body = {"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": force_refresh}
        return self._send("POST", "/cgi-bin/stable_token", json=body)

    def jsapi_ticket(self, access_token: str) -> dict[str, Any]:
        return self._send("GET", "/cgi-bin/ticket/getticket", params={"access_token": access_token, "type": "jsapi"})

    def wxacode_unlimit(self, access_token: str, body: dict[str, Any]) -> dict[str, Any] | bytes:
        """The code's image (bytes), or WeChat's JSON refusal (dict)."""
        try:
            with httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False, headers={"User-Agent": USER_AGENT}) as http:
                response = http.post(self.base_url + WXACODE_PATH, params={"access_token": access_token}, json=body)
        except httpx.HTTPError as exc:
            raise Unreachable(str(exc)) from exc
        if response.status_code >= 500:
            raise Unreachable(f"HTTP {response.status_code}")
        if response.headers.get("Content-Type", "").split(";")[0].strip().startswith("image/"):
            return response.content
        try:
            data = response.json()
        except ValueError as exc:
            raise Unreachable(str(exc)) from exc
        if not isinstance(data, dict):
            raise Unreachable(f"HTTP {response.status_code}")
        return data


def dev_openid(seed: str, appid: str) -> str:
    """The dev provider's openid for a seed: 28 characters like WeChat's, the same seed and app always
    giving the same one."""
    return "o" + hashlib.sha256(f"{appid}:{seed}".encode()).hexdigest()[:27]


def dev_code(device: str) -> str:
    """A code the dev authorization page hands back: the browser's device id and a random part."""
    return f"dev.{device}.{secrets.token_hex(4)}"


class DevTransport:
    """For the demo: answers like WeChat without sending anything. An OAuth code made by the dev
    authorization page (`dev.<device>.<random>`) stands for the browser that asked, so one browser is
    always the same WeChat user; a mini-program code is its own seed. Anything else is "invalid code"."""

    def _seed(self, code: str) -> str | None:
        code = (code or "").strip()
        if code.startswith("dev.") and code.count(".") == 2 and code.split(".")[1]:
            return code.split(".")[1]
        return None

    def oauth_access_token(self, app: App, code: str) -> dict[str, Any]:
        seed = self._seed(code)
        if seed is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        openid = dev_openid(seed, app.appid)
        return {
            "access_token": "dev-" + secrets.token_hex(16),
            "expires_in": 7200,
            "refresh_token": "dev-" + secrets.token_hex(16),
            "openid": openid,
            "scope": "snsapi_userinfo",
            "unionid": "u" + openid[1:],
        }

    def userinfo(self, access_token: str, openid: str) -> dict[str, Any]:
        return {
            "openid": openid,
            "nickname": gettext("微信用户%(tail)s") % {"tail": openid[-4:]},
            "headimgurl": "",
            "unionid": "u" + openid[1:],
        }

    def jscode2session(self, app: App, code: str) -> dict[str, Any]:
        code = (code or "").strip()
        if not code:
            return {"errcode": 40029, "errmsg": "invalid code"}
        openid = dev_openid(code, app.appid)
        return {"openid": openid, "session_key": secrets.token_urlsafe(16), "unionid": "u" + openid[1:]}

    def stable_token(self, app: App, force_refresh: bool) -> dict[str, Any]:
        return {"access_token": "dev-" + secrets.token_hex(24), "expires_in": 7200}

    def jsapi_ticket(self, access_token: str) -> dict[str, Any]:
        return {"errcode": 0, "errmsg": "ok", "ticket": "dev-" + secrets.token_hex(24), "expires_in": 7200}

    def wxacode_unlimit(self, access_token: str, body: dict[str, Any]) -> dict[str, Any] | bytes:
        return draw_dev_wxacode(str(body.get("scene", "")), str(body.get("page", "")), int(body.get("width") or 430))


def draw_dev_wxacode(scene: str, page: str, width: int) -> bytes:
    """A stand-in for a mini-program code (the dev provider has no mini-program): a round badge with
    rays whose lengths follow a digest of the page and scene, so each code looks different. PNG."""
    size = max(64, int(width))
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    centre, outer = size / 2, size * 0.48
    inner = size * 0.2
    digest = hashlib.sha256(f"{page}|{scene}".encode()).digest()
    rays = 72
    for i in range(rays):
        length = inner + 8 + (outer - inner - 8) * (0.35 + 0.65 * digest[i % len(digest)] / 255)
        angle = 2 * math.pi * i / rays
        x0, y0 = centre + (inner + 6) * math.cos(angle), centre + (inner + 6) * math.sin(angle)
        x1, y1 = centre + length * math.cos(angle), centre + length * math.sin(angle)
        draw.line((x0, y0, x1, y1), fill=(25, 25, 25), width=max(2, size // 90))
    draw.ellipse((centre - inner, centre - inner, centre + inner, centre + inner), fill=(7, 193, 96))
    draw.text((centre, centre), "DEV", fill="white", anchor="mm", font_size=max(10, int(inner * 0.6)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def transport() -> Transport:
    name = provider()
    if name == "wechat":
        return HttpTransport()
    if name == "dev":
        return DevTransport()
    raise WeChatError(WeChatCode.NOT_CONFIGURED, gettext("微信登录未开通"), {}, status=404)


# --- calls -------------------------------------------------------------------------------------


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """WeChat's answer, or the WeChatError its errcode stands for."""
    errcode = int(data.get("errcode") or 0)
    if errcode == 0:
        return data
    detail = {"errcode": errcode, "errmsg": str(data.get("errmsg", ""))[:200]}
    if errcode in CODE_INVALID:
        raise WeChatError(WeChatCode.INVALID_CODE, gettext("微信授权已失效，请重新进入页面"), detail, status=400)
    if errcode in CODE_USED:
        raise WeChatError(WeChatCode.CODE_USED, gettext("微信授权码已使用过，请重新进入页面"), detail, status=400)
    if errcode in TOKEN_EXPIRED:
        raise WeChatError(WeChatCode.TOKEN_EXPIRED, gettext("微信凭证已过期，请重试"), detail, status=424)
    if errcode in BUSY:
        raise WeChatError(WeChatCode.PROVIDER_UNAVAILABLE, gettext("微信服务繁忙，请稍后重试"), detail, status=424)
    raise WeChatError(WeChatCode.PROVIDER_ERROR, gettext("微信服务返回错误，请稍后重试"), detail, status=424)


def _call(method, *args) -> dict[str, Any]:
    try:
        data = method(*args)
    except Unreachable as exc:
        raise WeChatError(
            WeChatCode.PROVIDER_UNAVAILABLE, gettext("微信服务暂时无法连接，请稍后重试"), {"reason": str(exc)[:200]}, status=424
        ) from exc
    return _checked(data)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def exchange_oauth_code(code: str) -> OAuthGrant:
    """The Official Account's web-authorization code → the visitor's openid (and unionid)."""
    app = require_app(OA)
    data = _call(transport().oauth_access_token, app, code)
    openid = _text(data, "openid")
    if not openid:
        raise WeChatError(WeChatCode.PROVIDER_ERROR, gettext("微信服务返回错误，请稍后重试"), {"missing": "openid"}, status=424)
    return OAuthGrant(
        openid=openid,
        unionid=_text(data, "unionid"),
        access_token=_text(data, "access_token"),
        scope=_text(data, "scope"),
        expires_in=int(data.get("expires_in") or 0),
        snapshot_user=int(data.get("is_snapshotuser") or 0) == 1,
    )


def fetch_profile(grant: OAuthGrant) -> Profile:
    """Nickname and avatar, for a grant with the `snsapi_userinfo` scope."""
    data = _call(transport().userinfo, grant.access_token, grant.openid)
    return Profile(
        openid=_text(data, "openid") or grant.openid,
        unionid=_text(data, "unionid") or grant.unionid,
        nickname=_text(data, "nickname"),
        avatar_url=_text(data, "headimgurl"),
    )


def exchange_mp_code(code: str) -> MiniSession:
    """A mini-program's `wx.login()` code → openid, unionid and the session key."""
    app = require_app(MP)
    data = _call(transport().jscode2session, app, code)
    openid = _text(data, "openid")
    if not openid:
        raise WeChatError(WeChatCode.PROVIDER_ERROR, gettext("微信服务返回错误，请稍后重试"), {"missing": "openid"}, status=424)
    return MiniSession(openid=openid, unionid=_text(data, "unionid"), session_key=_text(data, "session_key"))


def fetch_access_token(app: App, *, force_refresh: bool = False) -> Credential:
    data = _call(transport().stable_token, app, force_refresh)
    return Credential(value=_text(data, "access_token"), expires_in=int(data.get("expires_in") or 0))


def fetch_jsapi_ticket(access_token: str) -> Credential:
    data = _call(transport().jsapi_ticket, access_token)
    return Credential(value=_text(data, "ticket"), expires_in=int(data.get("expires_in") or 0))


def fetch_wxacode(access_token: str, *, scene: str, page: str, width: int, env_version: str = "release") -> bytes:
    """The image of the mini-program's code that opens `page` with `scene` (getwxacodeunlimit). The
    page need not be published yet (check_path off). ValueError for a scene or page WeChat would refuse."""
    if not WXACODE_SCENE.match(scene or ""):
        raise ValueError(f"scene {scene!r}: 1-32 visible characters of WeChat's set")
    if not WXACODE_PAGE.match(page or "") or page.startswith("/"):
        raise ValueError(f"page {page!r}: a page path of the mini-program, without a leading /")
    if int(width) not in WXACODE_WIDTHS:
        raise ValueError("width: 280 to 1280 pixels")
    body = {"scene": scene, "page": page, "width": int(width), "check_path": False, "env_version": env_version}
    try:
        data = transport().wxacode_unlimit(access_token, body)
    except Unreachable as exc:
        raise WeChatError(
            WeChatCode.PROVIDER_UNAVAILABLE, gettext("微信服务暂时无法连接，请稍后重试"), {"reason": str(exc)[:200]}, status=424
        ) from exc
    if isinstance(data, bytes):
        if not data:
            raise WeChatError(
                WeChatCode.PROVIDER_ERROR, gettext("微信服务返回错误，请稍后重试"), {"missing": "image"}, status=424
            )
        return data
    _checked(data)
    raise WeChatError(WeChatCode.PROVIDER_ERROR, gettext("微信服务返回错误，请稍后重试"), {"missing": "image"}, status=424)


def authorize_url(app: App, *, redirect_uri: str, scope: str, state: str) -> str:
    """Where to send the visitor to authorize: WeChat's page, or the local dev page with the dev provider."""
    query = urlencode({"appid": app.appid, "redirect_uri": redirect_uri, "response_type": "code", "scope": scope, "state": state})
    if provider() == "dev":
        return f"{DEV_AUTHORIZE_PATH}?{query}"
    return f"{AUTHORIZE_URL}?{query}#wechat_redirect"
