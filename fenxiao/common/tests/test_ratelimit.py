"""Attempt counting and lockouts in the cache, and the client address behind proxies."""

import pytest
from django.test import RequestFactory

from fenxiao.common import ratelimit
from fenxiao.common.ratelimit import Rule, Throttled

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit-tests"}}
RULE = Rule(name="unit", limit=3, window=600, lockout=900)


class Clock:
    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(1_800_000_000.0)  # the start of a 600-second window
    monkeypatch.setattr(ratelimit, "_now", clock)
    return clock


@pytest.fixture
def locmem(settings):
    settings.CACHES = LOCMEM


def test_lockout_after_the_limit_and_it_ends_by_itself(locmem, clock):
    assert [ratelimit.hit(RULE, "13800138000") for _ in range(2)] == [1, 2]
    ratelimit.check((RULE, "13800138000"))  # two failures: still allowed
    assert ratelimit.hit(RULE, "13800138000") == 3
    with pytest.raises(Throttled) as exc:
        ratelimit.check((RULE, "13800138000"))
    assert (exc.value.status, exc.value.code, exc.value.detail) == (429, "throttled", {"retry_after": 900})
    assert exc.value.headers == {"Retry-After": "900"}
    ratelimit.check((RULE, "13900139000"))  # another key is not affected
    clock.now += 899.5
    with pytest.raises(Throttled) as exc:
        ratelimit.check((RULE, "13800138000"))
    assert exc.value.detail == {"retry_after": 1}
    clock.now += 0.5
    ratelimit.check((RULE, "13800138000"))  # lockout over
    assert ratelimit.hit(RULE, "13800138000") == 1  # and a new window counts from zero


def test_counts_start_again_in_each_window(locmem, clock):
    assert ratelimit.hit(RULE, "k") == 1
    assert ratelimit.hit(RULE, "k") == 2
    clock.now += 600
    assert ratelimit.hit(RULE, "k") == 1
    ratelimit.check((RULE, "k"))


def test_reset_forgets_count_and_lock(locmem, clock):
    for _ in range(3):
        ratelimit.hit(RULE, "k")
    ratelimit.reset(RULE, "k")
    ratelimit.check((RULE, "k"))
    assert ratelimit.hit(RULE, "k") == 1


def test_longest_wait_of_several_keys_is_reported(locmem, clock):
    short = Rule(name="short", limit=1, window=60, lockout=60)
    ratelimit.hit(short, "a")
    ratelimit.hit(RULE, "b")
    ratelimit.hit(RULE, "b")
    ratelimit.hit(RULE, "b")
    with pytest.raises(Throttled) as exc:
        ratelimit.check((short, "a"), (RULE, "b"))
    assert exc.value.retry_after == 900


@pytest.mark.django_db
def test_works_on_the_configured_cache_too(clock):
    for _ in range(3):
        ratelimit.hit(RULE, "db")
    with pytest.raises(Throttled):
        ratelimit.check((RULE, "db"))
    clock.now += 900
    ratelimit.check((RULE, "db"))


def test_rule_from_settings(settings):
    settings.FENXIAO_TEST_LIMIT = (7, 60, 120)
    assert Rule.from_settings("x", "FENXIAO_TEST_LIMIT", (1, 2, 3)) == Rule("x", 7, 60, 120)
    assert Rule.from_settings("x", "FENXIAO_MISSING_LIMIT", (1, 2, 3)) == Rule("x", 1, 2, 3)


def _request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_address_ignores_forwarded_for_unless_a_proxy_is_trusted(settings):
    settings.FENXIAO_TRUSTED_PROXY_COUNT = 0
    assert ratelimit.client_address(_request("10.0.0.1", "1.2.3.4")) == "10.0.0.1"


def test_client_address_takes_the_first_untrusted_hop(settings):
    settings.FENXIAO_TRUSTED_PROXY_COUNT = 1
    # the client forged "6.6.6.6"; the trusted proxy appended the address it saw
    assert ratelimit.client_address(_request("10.0.0.1", "6.6.6.6, 1.2.3.4")) == "1.2.3.4"
    settings.FENXIAO_TRUSTED_PROXY_COUNT = 2
    assert ratelimit.client_address(_request("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.9")) == "1.2.3.4"
    assert ratelimit.client_address(_request("10.0.0.1", "1.2.3.4")) == "1.2.3.4"  # fewer hops than proxies
    assert ratelimit.client_address(_request("10.0.0.1", "not-an-ip")) == "10.0.0.1"
    assert ratelimit.client_address(_request("10.0.0.1")) == "10.0.0.1"
