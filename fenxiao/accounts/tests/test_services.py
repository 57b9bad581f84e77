"""Sign-up, login by phone or username, API tokens."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from fenxiao.accounts.errors import AccountError
from fenxiao.accounts.models import ApiToken, User, hash_token
from fenxiao.accounts.services import (
    issue_token,
    login_member,
    register_member,
    revoke_token,
    update_profile,
    user_for_token,
)
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rf_request():
    request = RequestFactory().post("/api/v1/auth/login")
    return request


def test_register_creates_member_with_phone_login():
    user = register_member(phone="+86 138-0013-8000", password="s3cret-pass", nickname=" 小王 ")
    user.refresh_from_db()
    assert user.phone == "13800138000"
    assert user.username == "m13800138000"
    assert user.nickname == "小王"
    assert user.check_password("s3cret-pass")
    assert not user.is_staff


def test_register_default_nickname_uses_last_four_digits():
    user = register_member(phone="13800138000", password="s3cret-pass")
    assert user.nickname == "用户8000"


def test_register_duplicate_phone_is_phone_taken_409():
    register_member(phone="13800138000", password="s3cret-pass")
    with pytest.raises(AccountError) as exc:
        register_member(phone="+8613800138000", password="another-pass")
    assert exc.value.code == "phone_taken"
    assert exc.value.status == 409
    assert User.objects.filter(phone="13800138000").count() == 1


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "abc", "", "13８００１３８０００"])
def test_register_invalid_phone(phone):
    with pytest.raises(AccountError) as exc:
        register_member(phone=phone, password="s3cret-pass")
    assert exc.value.code == "invalid_phone"
    assert exc.value.status == 400
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["12345678", "abc", ""])
def test_register_weak_password(password):
    with pytest.raises(AccountError) as exc:
        register_member(phone="13800138000", password=password)
    assert exc.value.code == "weak_password"
    assert exc.value.detail["rules"]
    assert not User.objects.filter(phone="13800138000").exists()


def test_register_refuses_control_characters_in_nickname():
    with pytest.raises(AccountError) as exc:
        register_member(phone="13800138000", password="s3cret-pass", nickname="a\x00b")
    assert exc.value.code == "invalid_nickname"


def test_login_by_phone(rf_request):
    user = UserFactory(phone="13800138000")
    assert login_member(request=rf_request, phone="13800138000", password="pass-1234") == user
    assert login_member(request=rf_request, phone="+86 138 0013 8000", password="pass-1234") == user


def test_login_by_username(rf_request):
    staff = StaffFactory(username="operator-lead")
    assert login_member(request=rf_request, phone="operator-lead", password="pass-1234") == staff


def test_login_wrong_password_is_invalid_credentials_401(rf_request):
    UserFactory(phone="13800138000")
    with pytest.raises(AccountError) as exc:
        login_member(request=rf_request, phone="13800138000", password="wrong-pass")
    assert exc.value.code == "invalid_credentials"
    assert exc.value.status == 401


def test_login_unknown_account(rf_request):
    with pytest.raises(AccountError) as exc:
        login_member(request=rf_request, phone="13900000099", password="pass-1234")
    assert exc.value.code == "invalid_credentials"


def test_login_inactive_user_refused(rf_request):
    UserFactory(phone="13800138000", is_active=False)
    with pytest.raises(AccountError) as exc:
        login_member(request=rf_request, phone="13800138000", password="pass-1234")
    assert exc.value.code == "invalid_credentials"


def test_token_issue_and_lookup_stores_only_the_hash():
    user = UserFactory()
    raw = issue_token(user=user)
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == hash_token(raw)
    assert raw not in (token.key_hash, token.prefix)
    assert token.prefix == raw[:8]
    assert user_for_token(raw) == user
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_revoke():
    user = UserFactory()
    raw = issue_token(user=user)
    other = issue_token(user=user)
    assert revoke_token(raw_key=raw) is True
    assert user_for_token(raw) is None
    assert revoke_token(raw_key=raw) is False  # already revoked
    assert user_for_token(other) == user


def test_unknown_token_and_inactive_user():
    assert user_for_token("not-a-token") is None
    user = UserFactory()
    raw = issue_token(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert user_for_token(raw) is None


def test_token_last_used_written_at_most_every_five_minutes(django_assert_num_queries):
    user = UserFactory()
    raw = issue_token(user=user)
    recent = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(user=user).update(last_used_at=recent)
    with django_assert_num_queries(1):  # lookup only, no write
        assert user_for_token(raw) == user
    assert ApiToken.objects.get(user=user).last_used_at == recent


def test_update_profile_nickname():
    user = UserFactory()
    update_profile(user=user, nickname="  新昵称 ")
    user.refresh_from_db()
    assert user.nickname == "新昵称"
    with pytest.raises(AccountError) as exc:
        update_profile(user=user, nickname="x" * 33)
    assert exc.value.code == "invalid_nickname"


def test_masked_phone_and_display_name():
    user = UserFactory(phone="13812341234", nickname="")
    assert user.masked_phone == "138****1234"
    assert user.display_name == "138****1234"
