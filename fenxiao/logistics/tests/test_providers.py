"""The tracking providers: Kuaidi100's query against a local fake of its API (signature checked by the
fake), and the development provider's made-up journey."""

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from fenxiao.logistics.errors import LogisticsError
from fenxiao.logistics.providers import (
    DevProvider,
    Kuaidi100Provider,
    ProviderCallInTransaction,
    get_provider,
)
from fenxiao.logistics.providers.kuaidi100 import parse_answer, sign, state_of

ROWS = [
    {
        "time": "2026-12-03 15:37:00",
        "context": "【上海市】已签收，签收人：本人",
        "statusCode": "301",
        "status": "签收",
        "areaName": "上海,上海市",
    },
    {"time": "2026-12-03 09:10:00", "context": "【上海市】快递员正在派送", "statusCode": "5", "areaName": "上海,上海市"},
    {"time": "2026-12-02 20:00:00", "context": "快件已到达上海转运中心", "statusCode": "0"},
    {"time": "2026-12-01 18:05:00", "context": "【杭州市】快件已揽收", "statusCode": "1", "areaName": "浙江,杭州市"},
]


def provider(fake, **kwargs):
    return Kuaidi100Provider(customer=fake.customer, key=fake.key, url=fake.url, **kwargs)


def test_signature_is_upper_md5_of_param_key_customer():
    assert sign("{}", "k", "C") == hashlib.md5(b"{}kC").hexdigest().upper()


def test_query_is_signed_and_parsed(fake_kuaidi100):
    fake_kuaidi100.add("zhongtong", "78912345678901", ROWS, state="3")
    events = provider(fake_kuaidi100).query("zhongtong", "78912345678901", "5678")
    request = fake_kuaidi100.accepted()[0]
    assert request["form"]["customer"] == fake_kuaidi100.customer
    assert request["param"] == {
        "com": "zhongtong",
        "num": "78912345678901",
        "phone": "5678",
        "resultv2": "1",
        "show": "0",
        "order": "desc",
    }
    assert [(e.state, e.location) for e in events] == [
        ("delivered", "上海,上海市"),
        ("delivering", "上海,上海市"),
        ("in_transit", ""),
        ("picked_up", "浙江,杭州市"),
    ]
    # China time, aware
    assert events[0].occurred_at == datetime(2026, 12, 3, 7, 37, tzinfo=UTC)
    assert events[-1].description == "【杭州市】快件已揽收"


def test_a_wrong_key_is_refused_by_the_provider(fake_kuaidi100):
    fake_kuaidi100.add("zhongtong", "78912345678901", ROWS, state="3")
    wrong = Kuaidi100Provider(customer=fake_kuaidi100.customer, key="not-the-key", url=fake_kuaidi100.url)
    with pytest.raises(LogisticsError) as caught:
        wrong.query("zhongtong", "78912345678901")
    assert (caught.value.code, caught.value.status, caught.value.detail) == (
        "tracking_unavailable",
        424,
        {"provider_code": "503"},
    )
    assert fake_kuaidi100.accepted() == []


def test_nothing_yet_is_an_empty_journey(fake_kuaidi100):
    assert provider(fake_kuaidi100).query("zhongtong", "78912345678901") == []


@pytest.mark.parametrize(
    ("setup", "provider_code"),
    [
        (lambda fake: setattr(fake, "refuse_with", ("501", "服务器错误")), "501"),
        (lambda fake: setattr(fake, "http_status", 502), "http_502"),
        (lambda fake: setattr(fake, "raw_answer", b"<html>busy</html>"), "not_json"),
        (lambda fake: setattr(fake, "raw_answer", b"[1, 2]"), "not_json"),
        (lambda fake: setattr(fake, "raw_answer", json.dumps({"message": "ok", "data": "x"}).encode()), "bad_data"),
    ],
)
def test_provider_errors_are_tracking_unavailable(fake_kuaidi100, setup, provider_code):
    fake_kuaidi100.add("zhongtong", "78912345678901", ROWS, state="3")
    setup(fake_kuaidi100)
    with pytest.raises(LogisticsError) as caught:
        provider(fake_kuaidi100).query("zhongtong", "78912345678901")
    assert (caught.value.code, caught.value.status, caught.value.detail) == (
        "tracking_unavailable",
        424,
        {"provider_code": provider_code},
    )


def test_shunfeng_needs_the_phone_tail(fake_kuaidi100):
    fake_kuaidi100.add("shunfeng", "SF1234567890123", ROWS[1:], state="5")
    with pytest.raises(LogisticsError) as caught:
        provider(fake_kuaidi100).query("shunfeng", "SF1234567890123")
    assert caught.value.detail == {"provider_code": "408"}
    assert len(provider(fake_kuaidi100).query("shunfeng", "SF1234567890123", "1234")) == 3


def test_timeout_is_tracking_unavailable(fake_kuaidi100):
    fake_kuaidi100.add("zhongtong", "78912345678901", ROWS, state="3")
    fake_kuaidi100.hold = threading.Event()  # the fake answers only once told to
    try:
        with pytest.raises(LogisticsError) as caught:
            provider(fake_kuaidi100, timeout=0.2).query("zhongtong", "78912345678901")
    finally:
        fake_kuaidi100.hold.set()
    assert caught.value.detail == {"provider_code": "unreachable"}


def test_unreachable_is_tracking_unavailable():
    dead = Kuaidi100Provider(customer="C", key="k", url="http://127.0.0.1:9/poll/query.do", timeout=0.5)
    with pytest.raises(LogisticsError) as caught:
        dead.query("zhongtong", "78912345678901")
    assert caught.value.code == "tracking_unavailable"


@pytest.mark.django_db(transaction=True)
def test_never_asked_inside_a_transaction(fake_kuaidi100):
    with pytest.raises(ProviderCallInTransaction), transaction.atomic():
        provider(fake_kuaidi100).query("zhongtong", "78912345678901")
    assert fake_kuaidi100.requests == []


def test_state_codes_and_words():
    assert [state_of(code) for code in ("0", "1", "2", "3", "4", "5", "6", "14", "101", "301", "501", "1001")] == [
        "in_transit",
        "picked_up",
        "exception",
        "delivered",
        "returned",
        "delivering",
        "returned",
        "exception",
        "picked_up",
        "delivered",
        "delivering",
        "in_transit",
    ]
    assert state_of("", "签收") == "delivered"
    assert state_of("x", "退回") == "returned"
    assert state_of(None, "") is None


def test_the_overall_delivered_state_marks_the_newest_step_when_steps_carry_none():
    answer = {
        "state": "3",
        "data": [
            {"ftime": "2026-12-03 15:37:00", "context": "已签收"},
            {"ftime": "2026-12-02 10:00:00", "context": "运输中"},
            {"ftime": "yesterday", "context": "unreadable time, left out"},
        ],
    }
    events = parse_answer(answer)
    assert [(e.state, e.description) for e in events] == [("delivered", "已签收"), ("in_transit", "运输中")]


def test_dev_journey_is_deterministic_and_grows_with_time():
    shipped = datetime(2026, 12, 1, 2, 0, 0, 123456, tzinfo=UTC)
    dev = DevProvider()
    full = dev.query("zhongtong", "78912345678901", shipped_at=shipped, now=shipped + timedelta(days=5))
    assert full == dev.query("zhongtong", "78912345678901", shipped_at=shipped, now=shipped + timedelta(days=9))
    assert [e.state for e in full] == ["picked_up", "in_transit", "in_transit", "delivering", "delivered"]
    assert all(e.occurred_at.microsecond == 0 for e in full)
    assert timedelta(hours=44) <= full[-1].occurred_at - shipped <= timedelta(hours=50)
    assert [e.occurred_at for e in full] == sorted(e.occurred_at for e in full)
    assert dev.query("zhongtong", "78912345678901", shipped_at=shipped, now=shipped) == []
    partly = dev.query("zhongtong", "78912345678901", shipped_at=shipped, now=shipped + timedelta(hours=20))
    assert [e.state for e in partly] == ["picked_up", "in_transit"]
    other = dev.query("zhongtong", "78912345678999", shipped_at=shipped, now=shipped + timedelta(days=5))
    assert [e.occurred_at for e in other] != [e.occurred_at for e in full] or other[0].description != full[0].description


def test_the_provider_is_chosen_by_settings(settings):
    settings.FENXIAO_TRACKING_PROVIDER = ""
    assert get_provider() is None
    settings.FENXIAO_TRACKING_PROVIDER = "dev"
    assert isinstance(get_provider(), DevProvider)
    settings.FENXIAO_TRACKING_PROVIDER = "kuaidi100"
    settings.FENXIAO_KUAIDI100_CUSTOMER = ""
    with pytest.raises(ImproperlyConfigured, match="FENXIAO_KUAIDI100_CUSTOMER"):
        get_provider()
    settings.FENXIAO_KUAIDI100_CUSTOMER, settings.FENXIAO_KUAIDI100_KEY = "C", "k"
    assert isinstance(get_provider(), Kuaidi100Provider)
    settings.FENXIAO_TRACKING_PROVIDER = "nosuch"
    with pytest.raises(ImproperlyConfigured):
        get_provider()
