"""Codes: hashed at rest, five minutes, five wrong tries, once only, the newest only; sending limits
per phone and per address with Retry-After; the same answer whatever the phone."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from fenxiao.common.ratelimit import Throttled
from fenxiao.sms import selectors, services
from fenxiao.sms.errors import SmsError
from fenxiao.sms.models import VerificationCode
from tests.api_helpers import assert_error
from tests.factories import UserFactory

from .helpers import sent_code

pytestmark = pytest.mark.django_db

SEND = "/api/v1/auth/sms/send"
PHONE = "13800138000"


def send(client, phone=PHONE, purpose="login", address="203.0.113.7"):
    return client.post(SEND, {"phone": phone, "purpose": purpose}, content_type="application/json", REMOTE_ADDR=address)


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_code_is_stored_only_as_a_keyed_hash(settings):
    code = sent_code(PHONE, "login")
    row = VerificationCode.objects.get()
    stored = [str(getattr(row, f.attname)) for f in VerificationCode._meta.fields]
    assert not any(code in value for value in stored if value != PHONE)
    assert row.code_hash == services.code_digest(PHONE, "login", code) and len(row.code_hash) == 64
    # keyed from SECRET_KEY: another key gives another digest
    settings.SECRET_KEY = settings.SECRET_KEY + "-other"
    assert services.code_digest(PHONE, "login", code) != row.code_hash
    # and bound to the phone and purpose
    assert services.code_digest(PHONE, "register", code) != row.code_hash


def test_codes_are_six_digits_and_vary():
    codes = {services.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


def test_a_right_code_works_once():
    code = sent_code(PHONE, "login")
    services.verify_code(phone=PHONE, purpose="login", code=code)
    with pytest.raises(SmsError) as exc:
        services.verify_code(phone=PHONE, purpose="login", code=code)
    assert exc.value.code == "invalid_code"


def test_a_code_is_good_only_for_its_purpose_and_phone():
    code = sent_code(PHONE, "login")
    for phone, purpose in ((PHONE, "register"), ("13800138001", "login")):
        with pytest.raises(SmsError):
            services.verify_code(phone=phone, purpose=purpose, code=code)
    services.verify_code(phone=PHONE, purpose="login", code=code)


def test_a_code_expires_after_five_minutes(clock):
    code = sent_code(PHONE, "login")
    clock.advance(5 * 60 - 2)
    second = sent_code("13800138001", "login")
    services.verify_code(phone="13800138001", purpose="login", code=second)  # still valid just before
    clock.advance(3)
    with pytest.raises(SmsError) as exc:
        services.verify_code(phone=PHONE, purpose="login", code=code)
    assert exc.value.code == "invalid_code"


def test_five_wrong_tries_void_the_code(clock):
    code = sent_code(PHONE, "login")
    for attempt in range(1, 5):
        with pytest.raises(SmsError):
            services.verify_code(phone=PHONE, purpose="login", code=wrong(code))
        assert VerificationCode.objects.get().attempts == attempt
    services.verify_code(phone=PHONE, purpose="login", code=code)  # four wrong tries leave it usable
    clock.advance(61)  # one code a minute per phone, whatever the purpose
    code = sent_code(PHONE, "reset_password")
    for _ in range(5):
        with pytest.raises(SmsError):
            services.verify_code(phone=PHONE, purpose="reset_password", code=wrong(code))
    row = VerificationCode.objects.get(purpose="reset_password")
    assert row.voided_at is not None and row.attempts == 5
    with pytest.raises(SmsError):
        services.verify_code(phone=PHONE, purpose="reset_password", code=code)


def test_a_new_code_voids_the_previous_one(clock):
    first = sent_code(PHONE, "login")
    clock.advance(61)
    second = sent_code(PHONE, "login")
    if first != second:
        with pytest.raises(SmsError):
            services.verify_code(phone=PHONE, purpose="login", code=first)
    assert VerificationCode.objects.filter(voided_at__isnull=False).count() == 1
    services.verify_code(phone=PHONE, purpose="login", code=second)


def test_one_code_a_minute_per_phone_with_retry_after(client, clock):
    assert send(client).status_code == 202
    clock.advance(20)
    response = send(client, address="198.51.100.1")  # another address does not help
    body = assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 40 and body["detail"]["retry_after"] == int(response["Retry-After"])
    assert send(client, phone="13800138001").status_code == 202  # another phone is not held up
    clock.advance(41)
    assert send(client).status_code == 202


def test_ten_codes_a_day_per_phone(client, clock):
    for i in range(10):
        assert send(client, address=f"198.51.100.{i}").status_code == 202
        clock.advance(61)
    response = send(client, address="198.51.100.99")
    assert_error(response, 429, "throttled")
    assert 23 * 3600 < int(response["Retry-After"]) <= 24 * 3600
    assert VerificationCode.objects.count() == 10
    clock.advance(24 * 3600)
    assert send(client).status_code == 202


def test_codes_per_client_address(client, clock, settings):
    settings.FENXIAO_SMS_ADDRESS_MINUTE_LIMIT = (3, 60, 60)
    for i in range(3):
        assert send(client, phone=f"1380013810{i}").status_code == 202
    response = send(client, phone="13800138109")
    assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert send(client, phone="13800138109", address="198.51.100.1").status_code == 202  # another address
    assert not VerificationCode.objects.filter(phone="13800138109", client_address="203.0.113.7").exists()


def test_the_daily_address_limit(clock, settings):
    settings.FENXIAO_SMS_ADDRESS_DAY_LIMIT = (2, 24 * 3600, 24 * 3600)
    services.send_code(phone="13800138000", purpose="login", address="203.0.113.7")
    services.send_code(phone="13800138001", purpose="login", address="203.0.113.7")
    clock.advance(3600)
    with pytest.raises(Throttled) as exc:
        services.send_code(phone="13800138002", purpose="login", address="203.0.113.7")
    assert exc.value.retry_after > 20 * 3600


def test_sending_answers_alike_for_a_phone_with_and_without_account(client, clock):
    UserFactory(phone="13800138000")
    for purpose in ("login", "register", "reset_password"):
        clock.advance(61)
        known = send(client, phone="13800138000", purpose=purpose)
        unknown = send(client, phone="13800138001", purpose=purpose, address="198.51.100.7")
        assert known.status_code == unknown.status_code == 202
        assert known.json() == unknown.json() == {"status": "sent", "expires_in": 300, "resend_after": 60}
        assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())


def test_bad_input(client):
    assert_error(send(client, phone="12345"), 400, "invalid_phone")
    assert_error(send(client, purpose="spam"), 422, "invalid_input")
    with pytest.raises(SmsError) as exc:
        services.send_code(phone=PHONE, purpose="spam")
    assert exc.value.code == "invalid_purpose"
    assert not VerificationCode.objects.exists()


def test_no_provider_means_no_codes(client, settings):
    settings.FENXIAO_SMS_PROVIDER = ""
    assert_error(send(client), 424, "sms_unavailable")
    assert not VerificationCode.objects.exists()
    settings.FENXIAO_SMS_PROVIDER = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        services.send_code(phone=PHONE, purpose="login")


def test_the_dev_code_is_logged_and_shown_only_with_the_dev_provider(caplog, settings):
    with caplog.at_level("INFO", logger="fenxiao.sms"):
        code = sent_code(PHONE, "login")
    assert any(code in record.getMessage() and "138****8000" in record.getMessage() for record in caplog.records)
    assert selectors.dev_code(PHONE, "login") == code
    settings.FENXIAO_SMS_PROVIDER = "tencent"
    assert selectors.dev_code(PHONE, "login") is None
