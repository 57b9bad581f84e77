"""Accounts through SMS codes: login by code, registration with a verified phone and recorded consent,
password reset that revokes every token."""

import pytest
from django.utils import timezone

from fenxiao.accounts.models import ApiToken, Consent, User
from fenxiao.accounts.services import issue_token
from fenxiao.sms.models import VerificationCode
from fenxiao.sms.tests.helpers import dev_code, sent_code
from tests.api_helpers import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEND = "/api/v1/auth/sms/send"
REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
LOGIN_SMS = "/api/v1/auth/login/sms"
RESET = "/api/v1/auth/password/reset"
ME = "/api/v1/auth/me"


def post(client, path, body, **extra):
    return client.post(path, body, content_type="application/json", **extra)


def other(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_login_by_code_returns_a_token(client):
    user = UserFactory(phone="13800138000")
    assert post(client, SEND, {"phone": "13800138000", "purpose": "login"}).status_code == 202
    code = dev_code("13800138000", "login")
    assert_error(post(client, LOGIN_SMS, {"phone": "13800138000", "code": other(code)}), 400, "invalid_code")
    response = post(client, LOGIN_SMS, {"phone": "138 0013 8000", "code": code})
    assert response.status_code == 200
    token = response.json()["token"]
    assert client.get(ME, headers={"Authorization": f"Bearer {token}"}).json()["id"] == user.pk
    # the code was used up
    assert_error(post(client, LOGIN_SMS, {"phone": "13800138000", "code": code}), 400, "invalid_code")


def test_a_phone_without_account_gets_the_answer_of_a_wrong_code(client):
    UserFactory(phone="13800138000")
    no_account = post(client, LOGIN_SMS, {"phone": "13800138001", "code": sent_code("13800138001", "login")})
    wrong = post(client, LOGIN_SMS, {"phone": "13800138000", "code": other(sent_code("13800138000", "login"))})
    assert no_account.status_code == wrong.status_code == 400
    assert no_account.json() == wrong.json()
    assert not ApiToken.objects.exists()


def test_guessing_login_codes_is_stopped(client):
    UserFactory(phone="13800138000")
    code = sent_code("13800138000", "login")
    for _ in range(5):
        assert_error(post(client, LOGIN_SMS, {"phone": "13800138000", "code": other(code)}), 400, "invalid_code")
    # the fifth wrong try voided the code, and the phone is now locked like after failed passwords
    assert VerificationCode.objects.get(phone="13800138000").voided_at is not None
    response = post(client, LOGIN_SMS, {"phone": "13800138000", "code": code})
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert not ApiToken.objects.exists()


def test_registration_needs_a_code_of_that_phone(client):
    body = {"phone": "13800138000", "password": "s3cret-pass", "agree_terms": True}
    assert_error(post(client, REGISTER, {**body, "code": "123456"}), 400, "invalid_code")
    code_of_another = sent_code("13800138001", "register")
    assert_error(post(client, REGISTER, {**body, "code": code_of_another}), 400, "invalid_code")
    login_code = sent_code("13800138000", "login")
    assert_error(post(client, REGISTER, {**body, "code": login_code}), 400, "invalid_code")  # another purpose
    assert not User.objects.exists()


def test_registration_needs_consent_and_records_it(client, settings):
    code = sent_code("13800138000", "register")
    body = {"phone": "13800138000", "password": "s3cret-pass", "code": code}
    assert_error(post(client, REGISTER, {**body, "agree_terms": False}), 400, "consent_required")
    assert not User.objects.exists()
    before = timezone.now()
    response = post(client, REGISTER, {**body, "agree_terms": True}, REMOTE_ADDR="203.0.113.5")  # the code still works
    assert response.status_code == 202
    user = User.objects.get(phone="13800138000")
    consents = list(user.consents.order_by("document"))
    assert [(c.document, c.version, c.client_address) for c in consents] == [
        (Consent.Document.PRIVACY, settings.FENXIAO_AGREEMENT_VERSIONS["privacy"], "203.0.113.5"),
        (Consent.Document.USER, settings.FENXIAO_AGREEMENT_VERSIONS["user"], "203.0.113.5"),
    ]
    assert all(c.accepted_at >= before for c in consents)
    assert post(client, LOGIN, {"phone": "13800138000", "password": "s3cret-pass"}).status_code == 200


def test_password_reset_revokes_every_token(client):
    user = UserFactory(phone="13800138000")
    tokens = [issue_token(user=user), issue_token(user=user)]
    assert post(client, SEND, {"phone": "13800138000", "purpose": "reset_password"}).status_code == 202
    code = dev_code("13800138000", "reset_password")
    assert_error(post(client, RESET, {"phone": "13800138000", "code": code, "new_password": "123"}), 400, "weak_password")
    response = post(client, RESET, {"phone": "13800138000", "code": code, "new_password": "n3w-secret-9"})
    assert response.status_code == 200 and response.json() == {"status": "reset", "next": "login"}
    for token in tokens:
        assert client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert_error(post(client, LOGIN, {"phone": "13800138000", "password": "pass-1234"}), 401, "invalid_credentials")
    assert post(client, LOGIN, {"phone": "13800138000", "password": "n3w-secret-9"}).status_code == 200
    # a reset code works once
    assert_error(post(client, RESET, {"phone": "13800138000", "code": code, "new_password": "an0ther-pass"}), 400, "invalid_code")


def test_reset_for_a_phone_without_account_answers_like_a_wrong_code(client):
    code = sent_code("13800138009", "reset_password")
    body = assert_error(
        post(client, RESET, {"phone": "13800138009", "code": code, "new_password": "n3w-secret-9"}), 400, "invalid_code"
    )
    assert "phone" not in body["detail"]
