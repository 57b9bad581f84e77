"""Password hashing is slow by design: it never runs inside a write transaction, and it runs the same
for a known and an unknown phone."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test import RequestFactory

from fenxiao.accounts.errors import AccountError
from fenxiao.accounts.services import login_member, register_member
from fenxiao.sms.tests.helpers import sent_code
from tests.factories import UserFactory

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def signup(phone):
    return {"phone": phone, "password": "s3cret-pass", "code": sent_code(phone, "register"), "agree_terms": True}


class RecordingHasher(MD5PasswordHasher):
    """Records, for each hash computed, whether a transaction was open."""

    algorithm = "recording_md5"
    calls: list[bool] = []

    def encode(self, password, salt):
        RecordingHasher.calls.append(connection.in_atomic_block)
        return super().encode(password, salt)


@pytest.fixture
def hashing(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.RecordingHasher"]
    RecordingHasher.calls = []
    return RecordingHasher.calls


@pytest.mark.django_db(transaction=True)
def test_registration_hashes_outside_the_transaction(hashing):
    user = register_member(phone="13800138000", password="s3cret-pass")
    assert hashing == [False]
    user.refresh_from_db()
    assert user.check_password("s3cret-pass")


@pytest.mark.django_db(transaction=True)
def test_api_registration_and_password_change_hash_outside_any_transaction(client, hashing):
    assert client.post(REGISTER, signup("13800138000"), content_type="application/json").status_code == 202
    token = client.post(LOGIN, {"phone": "13800138000", "password": "s3cret-pass"}, content_type="application/json").json()[
        "token"
    ]
    response = client.post(
        "/api/v1/auth/password",
        {"old_password": "s3cret-pass", "new_password": "n3w-secret"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert hashing and not any(hashing)


@pytest.mark.django_db
def test_registering_a_known_phone_costs_the_same_hashing(client, hashing):
    UserFactory(phone="13800138000")
    hashing.clear()
    client.post(REGISTER, signup("13800138001"), content_type="application/json")
    new_phone = len(hashing)
    hashing.clear()
    client.post(REGISTER, signup("13800138000"), content_type="application/json")
    assert len(hashing) == new_phone == 1
    with pytest.raises(AccountError):
        register_member(phone="13800138000", password="s3cret-pass")
    assert len(hashing) == 2


@pytest.mark.django_db
def test_login_hashes_once_for_a_known_and_an_unknown_login(hashing):
    UserFactory(phone="13800138000")
    request = RequestFactory().post(LOGIN)
    for phone in ("13800138000", "13900000099", "no-such-operator"):
        hashing.clear()
        with pytest.raises(AccountError):
            login_member(request=request, phone=phone, password="wrong-pass")
        assert len(hashing) == 1, phone


def test_requests_are_not_wrapped_in_a_transaction(settings):
    assert not any(database.get("ATOMIC_REQUESTS") for database in settings.DATABASES.values())


@pytest.mark.django_db(transaction=True)
def test_the_console_hashes_a_new_users_password_outside_its_transaction(client, hashing):
    from django.urls import reverse

    from fenxiao.accounts.models import User
    from tests.factories import StaffFactory

    client.force_login(StaffFactory())
    hashing.clear()
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "clerk",
            "phone": "13800138009",
            "nickname": "",
            "password1": "c0nsole-pass",
            "password2": "c0nsole-pass",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert hashing == [False]  # the one hash of the new password, before the transaction
    assert User.objects.get(username="clerk").check_password("c0nsole-pass")
