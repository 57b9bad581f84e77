"""Counting attempts per key in the shared cache, with a lockout that ends by itself.

Used for login and sign-up: each guarded action names a `Rule` (how many attempts per window, how
long the lockout lasts) and counts against a key (a phone number, a client address). Counters live in
Django's default cache, so every process sees the same numbers when the cache is shared (Redis or the
database cache); the code works with any backend, process memory included.

Counters use fixed windows: the key carries the window's number, so a backend that resets a key's
time-to-live on increment still starts a fresh count with each window. When a count reaches the rule's
limit the key is locked until a moment stored in the cache; the lock is also given that time-to-live,
so it disappears on its own.

The client address is REMOTE_ADDR, unless `FENXIAO_TRUSTED_PROXY_COUNT` says how many reverse proxies
in front of the application append to X-Forwarded-For: then it is the first hop those proxies did not
add themselves (counted from the right), which a client cannot forge.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext

from .errors import CommonCode, DomainError


class Throttled(DomainError):
    """Too many attempts: 429 `throttled` with `detail.retry_after` (seconds); the API adds Retry-After."""

    status = 429
    codes = CommonCode

    def __init__(self, retry_after: int):
        retry_after = max(1, int(retry_after))
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            CommonCode.THROTTLED,
            gettext("尝试次数过多，请 %(minutes)s 分钟后再试") % {"minutes": minutes},
            {"retry_after": retry_after},
        )
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Rule:
    """`limit` attempts per `window` seconds; reaching it locks the key for `lockout` seconds."""

    name: str
    limit: int
    window: int
    lockout: int

    @classmethod
    def from_settings(cls, name: str, setting: str, default: tuple[int, int, int]) -> Rule:
        """Read `(limit, window_seconds, lockout_seconds)` from a setting, falling back to `default`."""
        limit, window, lockout = getattr(settings, setting, default)
        return cls(name=name, limit=int(limit), window=max(1, int(window)), lockout=max(1, int(lockout)))


def _now() -> float:
    return time.time()


def _digest(key: str) -> str:
    # Keeps cache keys short and free of characters some backends refuse (and phone numbers out of them).
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _prefix() -> str:
    # Its own namespace within the cache; the test suite gives each test a fresh one.
    return getattr(settings, "FENXIAO_RATELIMIT_PREFIX", "rl")


def _lock_key(rule: Rule, key: str) -> str:
    return f"{_prefix()}:{rule.name}:lock:{_digest(key)}"


def _count_key(rule: Rule, key: str, now: float) -> str:
    return f"{_prefix()}:{rule.name}:n:{int(now // rule.window)}:{_digest(key)}"


def retry_after(rule: Rule, key: str) -> int:
    """Seconds until the key's lockout ends; 0 when it is not locked."""
    if not key or rule.limit <= 0:
        return 0
    until = cache.get(_lock_key(rule, key))
    if until is None:
        return 0
    remaining = float(until) - _now()
    return math.ceil(remaining) if remaining > 0 else 0


def check(*pairs: tuple[Rule, str]) -> None:
    """Raise `Throttled` if any (rule, key) is locked; the longest wait is reported."""
    wait = max((retry_after(rule, key) for rule, key in pairs), default=0)
    if wait > 0:
        raise Throttled(wait)


def hit(rule: Rule, key: str) -> int:
    """Count one attempt for the key; lock it when the count reaches the limit. Returns the count."""
    if not key or rule.limit <= 0:
        return 0
    now = _now()
    counter = _count_key(rule, key, now)
    ttl = rule.window * 2
    cache.add(counter, 0, ttl)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, ttl)
        count = 1
    cache.touch(counter, ttl)  # some backends reset the time-to-live on increment
    if count >= rule.limit:
        cache.set(_lock_key(rule, key), now + rule.lockout, rule.lockout)
    return count


def reset(rule: Rule, key: str) -> None:
    """Forget the key's count in the current window and any lockout (e.g. after a successful login)."""
    if not key:
        return
    cache.delete_many([_count_key(rule, key, _now()), _lock_key(rule, key)])


def client_address(request: HttpRequest) -> str:
    """The address the request came from, trusting X-Forwarded-For only as far as configured."""
    remote = str(request.META.get("REMOTE_ADDR") or "").strip()
    trusted = int(getattr(settings, "FENXIAO_TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted > 0:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            candidate = hops[-trusted] if len(hops) >= trusted else hops[0]
            if _is_ip(candidate):
                return candidate
    return remote


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
