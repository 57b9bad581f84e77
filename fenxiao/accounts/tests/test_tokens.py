"""Bearer tokens: sliding expiry with an absolute maximum, revocation on password change, logout and
on request; a refused or missing token is 401, never a CSRF 403."""

from datetime import timedelta

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fenxiao.accounts.models import ApiToken
from fenxiao.accounts.services import issue_token, user_for_token
from tests.api_helpers import assert_error
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me"
PASSWORD = "/api/v1/auth/password"
REVOKE_ALL = "/api/v1/auth/tokens/revoke-all"
DAY = timedelta(days=1)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def lifetimes(settings):
    settings.FENXIAO_TOKEN_IDLE_SECONDS = 7 * 24 * 3600
    settings.FENXIAO_TOKEN_MAX_AGE_SECONDS = 30 * 24 * 3600


def _age(raw, *, issued_ago, used_ago=None):
    token = ApiToken.objects.get(key_hash__isnull=False, prefix=raw[:8])
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - issued_ago, last_used_at=None if used_ago is None else now - used_ago
    )


def test_a_token_lapses_after_the_idle_period(lifetimes):
    user = UserFactory()
    raw = issue_token(user=user)
    _age(raw, issued_ago=8 * DAY)  # never used since issue
    assert user_for_token(raw) is None
    fresh = issue_token(user=user)
    _age(fresh, issued_ago=6 * DAY)
    assert user_for_token(fresh) == user


def test_each_use_extends_the_token_up_to_the_absolute_maximum(lifetimes):
    user = UserFactory()
    raw = issue_token(user=user)
    _age(raw, issued_ago=20 * DAY, used_ago=6 * DAY)  # used within the idle period: still valid
    assert user_for_token(raw) == user
    token = ApiToken.objects.get(prefix=raw[:8])
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)  # the use slid the expiry
    _age(raw, issued_ago=30 * DAY + timedelta(seconds=5), used_ago=timedelta(hours=1))  # in use, but too old
    assert user_for_token(raw) is None


def test_an_expired_token_is_401_on_the_api(client, lifetimes):
    user = UserFactory()
    raw = issue_token(user=user)
    _age(raw, issued_ago=8 * DAY)
    assert_error(client.get(ME, headers=bearer(raw)), 401, "not_authenticated")


def test_short_idle_period_still_slides(settings):
    settings.FENXIAO_TOKEN_IDLE_SECONDS = 600
    user = UserFactory()
    raw = issue_token(user=user)
    _age(raw, issued_ago=timedelta(minutes=30), used_ago=timedelta(minutes=2))
    assert user_for_token(raw) == user
    token = ApiToken.objects.get(prefix=raw[:8])
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)  # written although < 5 minutes ago


def test_own_password_change_revokes_every_token_and_returns_a_new_one(client):
    user = UserFactory()
    first, second = issue_token(user=user), issue_token(user=user)
    response = client.post(
        PASSWORD,
        {"old_password": "pass-1234", "new_password": "n3w-secret"},
        content_type="application/json",
        headers=bearer(first),
    )
    assert response.status_code == 200, response.content
    new = response.json()["token"]
    assert response.json()["user_id"] == user.pk
    assert_error(client.get(ME, headers=bearer(first)), 401, "not_authenticated")
    assert_error(client.get(ME, headers=bearer(second)), 401, "not_authenticated")
    assert client.get(ME, headers=bearer(new)).json()["id"] == user.pk
    user.refresh_from_db()
    assert user.check_password("n3w-secret")
    assert "sessionid" not in response.cookies


def test_password_change_refuses_a_wrong_old_password_and_a_weak_new_one(client):
    user = UserFactory()
    raw = issue_token(user=user)
    wrong = client.post(
        PASSWORD,
        {"old_password": "nope-1234", "new_password": "n3w-secret"},
        content_type="application/json",
        headers=bearer(raw),
    )
    assert_error(wrong, 400, "wrong_password")
    weak = client.post(
        PASSWORD, {"old_password": "pass-1234", "new_password": "123"}, content_type="application/json", headers=bearer(raw)
    )
    assert_error(weak, 400, "weak_password")
    assert client.get(ME, headers=bearer(raw)).status_code == 200  # nothing changed
    assert_error(
        client.post(PASSWORD, {"old_password": "a", "new_password": "b"}, content_type="application/json"),
        401,
        "not_authenticated",
    )


def test_a_browser_session_stays_signed_in_after_its_own_password_change(client):
    user = UserFactory()
    raw = issue_token(user=user)
    client.force_login(user)
    response = client.post(PASSWORD, {"old_password": "pass-1234", "new_password": "n3w-secret"}, content_type="application/json")
    assert response.status_code == 200
    assert client.get(ME).json()["id"] == user.pk
    assert_error(Client().get(ME, headers=bearer(raw)), 401, "not_authenticated")


def test_set_password_anywhere_revokes_tokens():
    user = UserFactory()
    raw = issue_token(user=user)
    other = issue_token(user=UserFactory())
    user.nickname = "改名"
    user.save()  # an ordinary save leaves tokens alone
    assert user_for_token(raw) == user
    form = SetPasswordForm(user, {"new_password1": "r3set-pass", "new_password2": "r3set-pass"})  # a password reset
    assert form.is_valid(), form.errors
    form.save()
    assert user_for_token(raw) is None
    assert user_for_token(other) is not None
    raw = issue_token(user=user)
    user.set_password("an0ther-pass")
    user.save(update_fields=["password"])
    assert user_for_token(raw) is None


def test_the_consoles_password_change_revokes_tokens(client):
    admin = StaffFactory()
    user = UserFactory()
    raw = issue_token(user=user)
    client.force_login(admin)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = client.post(url, {"password1": "c0nsole-pass", "password2": "c0nsole-pass", "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert user_for_token(raw) is None


def test_the_changepassword_command_revokes_tokens(monkeypatch):
    user = UserFactory()
    raw = issue_token(user=user)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "cmd-pass-987")
    call_command("changepassword", user.username, stdout=open("/dev/null", "w"))
    assert user_for_token(raw) is None


def test_logout_revokes_only_the_current_token(client):
    user = UserFactory()
    current, other = issue_token(user=user), issue_token(user=user)
    assert client.post("/api/v1/auth/logout", headers=bearer(current)).status_code == 204
    assert_error(client.get(ME, headers=bearer(current)), 401, "not_authenticated")
    assert client.get(ME, headers=bearer(other)).status_code == 200


def test_revoke_all_my_tokens(client):
    user, someone = UserFactory(), UserFactory()
    tokens = [issue_token(user=user) for _ in range(3)]
    theirs = issue_token(user=someone)
    response = client.post(REVOKE_ALL, headers=bearer(tokens[0]))
    assert response.status_code == 200
    assert response.json() == {"revoked": 3}
    for raw in tokens:
        assert_error(client.get(ME, headers=bearer(raw)), 401, "not_authenticated")
    assert client.get(ME, headers=bearer(theirs)).status_code == 200
    assert_error(client.post(REVOKE_ALL), 401, "not_authenticated")


# --- 401, not a CSRF 403 --------------------------------------------------------------------------


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("url", [REVOKE_ALL, "/api/v1/auth/logout", "/api/v1/cart/items"])
def test_anonymous_unsafe_request_is_401_not_csrf_403(csrf_client, url):
    assert_error(csrf_client.post(url, {}, content_type="application/json"), 401, "not_authenticated")


def test_revoked_token_is_401_not_csrf_403(csrf_client):
    user = UserFactory()
    raw = issue_token(user=user)
    csrf_client.post("/api/v1/auth/logout", headers=bearer(raw))
    response = csrf_client.patch(ME, {"nickname": "x"}, content_type="application/json", headers=bearer(raw))
    assert_error(response, 401, "not_authenticated")


def test_a_valid_token_needs_no_csrf(csrf_client):
    raw = issue_token(user=UserFactory())
    response = csrf_client.patch(ME, {"nickname": "新名字"}, content_type="application/json", headers=bearer(raw))
    assert response.status_code == 200


def test_a_signed_in_browser_still_needs_csrf_for_unsafe_methods(csrf_client):
    user = UserFactory()
    csrf_client.force_login(user)
    assert csrf_client.get(ME).json()["id"] == user.pk  # reading needs no token
    refused = csrf_client.patch(ME, {"nickname": "x"}, content_type="application/json")
    assert refused.status_code == 403
    csrf_client.get(reverse("web:login"))  # the page sets the CSRF cookie
    token = csrf_client.cookies["csrftoken"].value
    allowed = csrf_client.patch(ME, {"nickname": "新名字"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200
    assert allowed.json()["nickname"] == "新名字"
