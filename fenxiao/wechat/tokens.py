"""The platform's access token and the JS-SDK ticket, kept once for every process in the shared cache.

WeChat gives each a lifetime of about two hours and limits how often they may be fetched, so no
request fetches them: the first caller after start-up (or when less than `REFRESH_AHEAD` seconds
remain) takes a lock in the cache (`cache.add`, which only one caller wins), fetches and stores the
new value; everyone else keeps using the current value meanwhile, or, when there is none yet, waits
briefly for the winner's. A value WeChat rejects as expired (40001 / 42001) is replaced once: the first
caller to notice fetches a new one (forcing a refresh); a caller that finds the cache already holding a
different value uses that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.utils.translation import gettext

from . import client
from .errors import WeChatCode, WeChatError

REFRESH_AHEAD = 5 * 60  # refresh when fewer seconds than this remain
LOCK_SECONDS = 20  # how long a fetch may hold the lock (a crashed holder frees it by then)
WAIT_SECONDS = 5.0  # how long a caller without any value waits for the lock holder's
POLL_SECONDS = 0.05
MIN_LIFETIME = 60

T = TypeVar("T")


def _key(kind: str, appid: str) -> str:
    return f"wechat:{kind}:{appid}"


def _now() -> float:
    return time.time()


def _cached(key: str) -> tuple[str, float] | None:
    entry = cache.get(key)
    if isinstance(entry, dict) and entry.get("value") and isinstance(entry.get("expires_at"), (int, float)):
        return str(entry["value"]), float(entry["expires_at"])
    return None


def _store(key: str, credential: client.Credential) -> str:
    if not credential.value:
        raise WeChatError(WeChatCode.PROVIDER_ERROR, gettext("微信服务返回错误，请稍后重试"), {"missing": key}, status=424)
    lifetime = max(MIN_LIFETIME, credential.expires_in)
    cache.set(key, {"value": credential.value, "expires_at": _now() + lifetime}, timeout=lifetime)
    return credential.value


def _obtain(key: str, fetch: Callable[[], client.Credential], *, rejected: str = "") -> str:
    """The cached value when it is fresh (and not the one just rejected), else a fetched one, fetched by
    one caller at a time."""

    def usable(entry: tuple[str, float] | None, ahead: float) -> bool:
        return entry is not None and entry[0] != rejected and entry[1] - _now() > ahead

    entry = _cached(key)
    if usable(entry, REFRESH_AHEAD):
        return entry[0]  # type: ignore[index]
    lock = key + ":lock"
    if cache.add(lock, 1, timeout=LOCK_SECONDS):
        try:
            entry = _cached(key)  # another caller may have stored a new one just before we locked
            if usable(entry, REFRESH_AHEAD):
                return entry[0]  # type: ignore[index]
            return _store(key, fetch())
        finally:
            cache.delete(lock)
    # Someone else is fetching: the current value is still good for a few minutes.
    if usable(entry, 1):
        return entry[0]  # type: ignore[index]
    deadline = _now() + WAIT_SECONDS
    while _now() < deadline:
        time.sleep(POLL_SECONDS)
        entry = _cached(key)
        if usable(entry, 1):
            return entry[0]  # type: ignore[index]
    raise WeChatError(WeChatCode.PROVIDER_UNAVAILABLE, gettext("微信服务暂时无法连接，请稍后重试"), {"waiting": key}, status=424)


def access_token(*, rejected: str = "", kind: str = client.OA) -> str:
    """The access token of the Official Account (or, with kind MP, of the mini-program). `rejected`: a
    value WeChat just refused as expired."""
    app = client.require_app(kind)
    return _obtain(
        _key("token", app.appid), lambda: client.fetch_access_token(app, force_refresh=bool(rejected)), rejected=rejected
    )


def with_access_token(call: Callable[[str], T], *, kind: str = client.OA) -> T:
    """Run `call(token)`; when WeChat rejects the token as expired, refresh it once and call again."""
    token = access_token(kind=kind)
    try:
        return call(token)
    except WeChatError as exc:
        if exc.code != WeChatCode.TOKEN_EXPIRED:
            raise
    return call(access_token(rejected=token, kind=kind))


def jsapi_ticket(*, rejected: str = "") -> str:
    """The JS-SDK ticket the share-card signature needs. Raises WeChatError when WeChat is not configured."""
    app = client.require_app(client.OA)
    return _obtain(_key("jsapi", app.appid), lambda: with_access_token(client.fetch_jsapi_ticket), rejected=rejected)


def forget() -> None:
    """Drop the cached token and ticket (after the secret was changed in the console of WeChat)."""
    app = client.oa_app()
    if app is not None:
        cache.delete_many([_key("token", app.appid), _key("jsapi", app.appid)])
