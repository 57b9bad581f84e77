"""Login and sign-up are limited per phone and per client address, with a lockout that ends by itself."""

import pytest
from django.urls import reverse

from fenxiao.accounts.models import User
from fenxiao.common import ratelimit
from fenxiao.sms.tests.helpers import sent_code
from tests.api_helpers import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ratelimit, "_now", clock)
    return clock


@pytest.fixture
def limits(settings):
    settings.FENXIAO_LOGIN_PHONE_LIMIT = (3, 900, 900)
    settings.FENXIAO_LOGIN_ADDRESS_LIMIT = (5, 900, 600)
    settings.FENXIAO_REGISTER_PHONE_LIMIT = (2, 3600, 3600)
    settings.FENXIAO_REGISTER_ADDRESS_LIMIT = (4, 3600, 3600)


def _login(client, phone, password, address="203.0.113.7"):
    return client.post(LOGIN, {"phone": phone, "password": password}, content_type="application/json", REMOTE_ADDR=address)


def test_login_locks_a_phone_after_failures_then_unlocks_by_itself(client, limits, clock):
    user = UserFactory(phone="13800138000")
    for _ in range(3):
        assert_error(_login(client, "13800138000", "wrong-pass"), 401, "invalid_credentials")
    response = _login(client, "+86 138 0013 8000", "pass-1234")  # the right password, typed differently: still locked
    body = assert_error(response, 429, "throttled")
    assert body["detail"] == {"retry_after": 900}
    assert response["Retry-After"] == "900"
    assert "15 分钟" in body["message"]
    # another phone from the same address is not locked
    other = UserFactory(phone="13800138001")
    assert _login(client, "13800138001", "pass-1234").json()["user_id"] == other.pk
    clock.now += 900
    assert _login(client, "13800138000", "pass-1234").json()["user_id"] == user.pk


def test_an_unknown_phone_is_locked_the_same_way(client, limits, clock):
    for _ in range(3):
        assert_error(_login(client, "13900000001", "wrong-pass"), 401, "invalid_credentials")
    assert_error(_login(client, "13900000001", "wrong-pass"), 429, "throttled")


def test_a_successful_login_clears_the_phone_count(client, limits, clock):
    user = UserFactory(phone="13800138000")
    for _ in range(2):
        _login(client, "13800138000", "wrong-pass")
    assert _login(client, "13800138000", "pass-1234").status_code == 200
    for _ in range(2):
        assert_error(_login(client, "13800138000", "wrong-pass"), 401, "invalid_credentials")
    assert _login(client, "13800138000", "pass-1234").json()["user_id"] == user.pk


def test_login_locks_an_address_trying_many_phones(client, limits, clock):
    user = UserFactory(phone="13800138000")
    for n in range(5):
        assert_error(_login(client, f"1390000000{n}", "wrong-pass"), 401, "invalid_credentials")
    response = _login(client, "13800138000", "pass-1234")
    assert_error(response, 429, "throttled")
    assert response["Retry-After"] == "600"
    assert _login(client, "13800138000", "pass-1234", address="198.51.100.1").json()["user_id"] == user.pk
    clock.now += 600
    assert _login(client, "13800138000", "pass-1234").status_code == 200


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(client, limits, clock, settings):
    settings.FENXIAO_TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        client.post(
            LOGIN,
            {"phone": f"1390000000{n}", "password": "wrong-pass"},
            content_type="application/json",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.7",  # a forged first hop changes nothing
        )
    user = UserFactory(phone="13800138000")
    locked = client.post(
        LOGIN,
        {"phone": user.phone, "password": "pass-1234"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert_error(locked, 429, "throttled")
    other = client.post(
        LOGIN,
        {"phone": user.phone, "password": "pass-1234"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert other.status_code == 200


def test_registration_is_limited_per_phone_and_per_address(client, limits, clock):
    def register(phone, address="203.0.113.7", code=None):
        clock.now += 60  # one code a minute per phone
        body = {"phone": phone, "password": "s3cret-pass", "code": code or sent_code(phone, "register"), "agree_terms": True}
        return client.post(REGISTER, body, content_type="application/json", REMOTE_ADDR=address)

    assert register("13800138000").status_code == 202
    assert_error(register("13800138000", code="000000"), 400, "invalid_code")  # the second try of the phone
    assert_error(register("13800138000", address="198.51.100.1"), 429, "throttled")  # per phone
    assert register("13800138001").status_code == 202
    assert register("13800138002").status_code == 202  # the fourth attempt from the address: the limit
    response = register("13800138003")
    body = assert_error(response, 429, "throttled")
    assert body["detail"]["retry_after"] <= 3600 - 60
    assert response["Retry-After"] == str(body["detail"]["retry_after"])
    assert not User.objects.filter(phone="13800138003").exists()
    clock.now += 3600
    assert register("13800138003").status_code == 202
    assert User.objects.filter(phone="13800138003").exists()


def test_pages_say_when_to_try_again(client, limits, clock):
    UserFactory(phone="13800138000")
    for _ in range(3):
        response = client.post(reverse("web:login"), {"phone": "13800138000", "password": "wrong-pass"})
        assert "手机号或密码错误" in response.content.decode()
    response = client.post(reverse("web:login"), {"phone": "13800138000", "password": "pass-1234"})
    assert response.status_code == 200
    assert "尝试次数过多，请 15 分钟后再试" in response.content.decode()
    assert "_auth_user_id" not in client.session
    for phone in ("13811110000", "13811110001", "13811110002", "13811110009"):  # the limit of 4 per address
        data = {"phone": phone, "password": "s3cret-pass", "agree": "1", "code": sent_code(phone, "register")}
        client.post(reverse("web:register"), data)
        client.post(reverse("web:logout"))
    data = {"phone": "13811110003", "password": "s3cret-pass", "agree": "1", "code": sent_code("13811110003", "register")}
    response = client.post(reverse("web:register"), data)
    assert "尝试次数过多，请 60 分钟后再试" in response.content.decode()
    assert not User.objects.filter(phone="13811110003").exists()
