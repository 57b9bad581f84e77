"""The platform access token and the JS-SDK ticket: fetched once for everyone, kept in the shared
cache, refreshed before they expire and once after WeChat rejects one."""

import threading

import pytest
from django.db import connection

from fenxiao.wechat import tokens
from fenxiao.wechat.errors import WeChatCode, WeChatError

pytestmark = pytest.mark.django_db


def test_fifty_calls_fetch_once(fake_wechat):
    values = {tokens.access_token() for _ in range(50)}
    assert len(values) == 1
    assert fake_wechat.token_fetches == 1
    tickets = {tokens.jsapi_ticket() for _ in range(50)}
    assert len(tickets) == 1
    assert (fake_wechat.token_fetches, fake_wechat.ticket_fetches) == (1, 1)
    assert fake_wechat.paths().count("/cgi-bin/stable_token") == 1
    sent = dict(fake_wechat.calls)["/cgi-bin/stable_token"]
    assert sent["grant_type"] == "client_credential" and sent["force_refresh"] is False


def test_refreshed_before_it_expires(fake_wechat, monkeypatch):
    import time

    start = time.time()
    first = tokens.access_token()
    # 10 minutes before expiry: still good
    monkeypatch.setattr(tokens, "_now", lambda: start + fake_wechat.token_seconds - 600)
    assert tokens.access_token() == first and fake_wechat.token_fetches == 1
    # under 5 minutes left: a new one, before WeChat would refuse the old one
    monkeypatch.setattr(tokens, "_now", lambda: start + fake_wechat.token_seconds - 240)
    second = tokens.access_token()
    assert second != first and fake_wechat.token_fetches == 2
    assert tokens.access_token() == second and fake_wechat.token_fetches == 2


def test_a_token_rejected_as_expired_is_refreshed_once(fake_wechat):
    old = tokens.access_token()
    fake_wechat.revoke_platform_tokens()  # WeChat no longer accepts it, though our copy looks fresh
    ticket = tokens.jsapi_ticket()
    assert ticket.startswith("tk_")
    assert fake_wechat.token_fetches == 2
    assert tokens.access_token() != old
    refresh = [sent for path, sent in fake_wechat.calls if path == "/cgi-bin/stable_token"][-1]
    assert refresh["force_refresh"] is True
    tickets = [sent for path, sent in fake_wechat.calls if path == "/cgi-bin/ticket/getticket"]
    assert [t["access_token"] == old for t in tickets] == [True, False]


def test_a_token_rejected_twice_is_not_refreshed_again(fake_wechat, monkeypatch):
    tokens.access_token()
    calls = []

    def always_expired(token):
        calls.append(token)
        raise WeChatError(WeChatCode.TOKEN_EXPIRED, "expired", status=503)

    with pytest.raises(WeChatError) as caught:
        tokens.with_access_token(always_expired)
    assert caught.value.code == WeChatCode.TOKEN_EXPIRED
    assert len(calls) == 2 and calls[0] != calls[1]
    assert fake_wechat.token_fetches == 2


def test_not_configured(settings):
    settings.FENXIAO_WECHAT_PROVIDER = ""
    with pytest.raises(WeChatError) as caught:
        tokens.jsapi_ticket()
    assert caught.value.code == WeChatCode.NOT_CONFIGURED


@pytest.mark.django_db(transaction=True)
def test_callers_at_once_share_one_fetch(fake_wechat):
    fake_wechat.fetch_delay = 0.4
    results: list = [None] * 8
    barrier = threading.Barrier(len(results))

    def work(i):
        try:
            barrier.wait()
            results[i] = tokens.access_token()
        except Exception as exc:  # reported below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(value, str) for value in results), results
    assert len(set(results)) == 1
    assert fake_wechat.token_fetches == 1
