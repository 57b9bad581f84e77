"""The auth endpoints and the error shape every endpoint shares."""

import pytest

from fenxiao.accounts.models import ApiToken, User
from fenxiao.sms.tests.helpers import sent_code
from tests.api_helpers import assert_error
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def signup(phone, password="s3cret-pass", **extra):
    """A registration body with the code just sent to `phone` and the agreements accepted."""
    return {"phone": phone, "password": password, "code": sent_code(phone, "register"), "agree_terms": True, **extra}


def test_register_then_login_then_me(client):
    response = client.post(REGISTER, signup("+86 138 0013 8000", nickname="小王"), content_type="application/json")
    assert response.status_code == 202, response.content
    assert response.json() == {"status": "accepted", "next": "login"}
    user = User.objects.get(phone="13800138000")
    assert not ApiToken.objects.exists()  # no token until the member logs in
    login = client.post(LOGIN, {"phone": "13800138000", "password": "s3cret-pass"}, content_type="application/json")
    assert login.status_code == 200
    body = login.json()
    assert body["user_id"] == user.pk
    me = client.get(ME, headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json() == {
        "id": user.pk,
        "phone": "13800138000",
        "masked_phone": "138****8000",
        "nickname": "小王",
        "is_staff": False,
        "is_distributor": False,
        "distributor_status": None,
    }


def test_register_answers_the_same_for_a_known_phone(client):
    known = UserFactory(phone="13800138000", nickname="老用户")
    password_before = known.password
    new = client.post(REGISTER, signup("13800138001"), content_type="application/json")
    taken = client.post(REGISTER, signup("13800138000"), content_type="application/json")
    assert (taken.status_code, taken.json()) == (new.status_code, new.json()) == (202, {"status": "accepted", "next": "login"})
    assert taken.headers.keys() == new.headers.keys()
    known.refresh_from_db()
    assert (known.password, known.nickname) == (password_before, "老用户")  # nothing changed
    assert User.objects.filter(phone="13800138000").count() == 1
    assert User.objects.filter(phone="13800138001").count() == 1
    assert not ApiToken.objects.exists()


def test_register_input_errors_are_the_same_for_a_known_phone(client):
    UserFactory(phone="13800138000")
    for phone in ("13800138000", "13800138002"):
        body = assert_error(
            client.post(REGISTER, {**signup(phone), "password": "12345678"}, content_type="application/json"),
            400,
            "weak_password",
        )
        assert "phone" not in body["detail"]


def test_register_invalid_phone_and_weak_password_400(client):
    response = client.post(
        REGISTER,
        {"phone": "12800138000", "password": "s3cret-pass", "code": "123456", "agree_terms": True},
        content_type="application/json",
    )
    assert_error(response, 400, "invalid_phone")
    response = client.post(REGISTER, {**signup("13800138000"), "password": "12345678"}, content_type="application/json")
    body = assert_error(response, 400, "weak_password")
    assert body["detail"]["rules"]
    assert not User.objects.filter(phone="13800138000").exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"phone": "13800138000"},
        {"phone": ["13800138000"], "password": "s3cret-pass", "code": "123456", "agree_terms": True},
        {"phone": "13800138000", "password": "s3cret-pass", "agree_terms": True},  # no code
        {"phone": "13800138000", "password": "s3cret-pass", "code": "123456"},  # no consent
    ],
)
def test_bad_body_is_422_invalid_input(client, payload):
    response = client.post(REGISTER, payload, content_type="application/json")
    body = assert_error(response, 422, "invalid_input")
    assert isinstance(body["detail"]["errors"], list) and body["detail"]["errors"]
    assert not User.objects.exists()


def test_login_returns_a_token_and_opens_no_session(client):
    user = UserFactory(phone="13800138000")
    response = client.post(LOGIN, {"phone": "13800138000", "password": "pass-1234"}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == user.pk
    assert client.get(ME, headers=bearer(body["token"])).json()["id"] == user.pk
    assert "sessionid" not in response.cookies
    assert_error(client.get(ME), 401, "not_authenticated")  # no browser session came with the token


def test_login_by_operator_username(client):
    staff = StaffFactory(username="ops")
    response = client.post(LOGIN, {"phone": "ops", "password": "pass-1234"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["user_id"] == staff.pk


def test_login_wrong_password_401(client):
    UserFactory(phone="13800138000")
    response = client.post(LOGIN, {"phone": "13800138000", "password": "wrong-pass"}, content_type="application/json")
    body = assert_error(response, 401, "invalid_credentials")
    assert "token" not in body
    assert not ApiToken.objects.exists()


def test_me_without_credentials_401(client):
    assert_error(client.get(ME), 401, "not_authenticated")
    assert_error(client.get(ME, headers=bearer("made-up-token")), 401, "not_authenticated")


def test_logout_revokes_the_token(client):
    user = UserFactory()
    token = client.post(LOGIN, {"phone": user.phone, "password": "pass-1234"}, content_type="application/json").json()["token"]
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert_error(client.get(ME, headers=bearer(token)), 401, "not_authenticated")


def test_patch_me_nickname(client):
    user = UserFactory()
    token = client.post(LOGIN, {"phone": user.phone, "password": "pass-1234"}, content_type="application/json").json()["token"]
    response = client.patch(ME, {"nickname": "新名字"}, content_type="application/json", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["nickname"] == "新名字"
    response = client.patch(ME, {"nickname": "x" * 40}, content_type="application/json", headers=bearer(token))
    assert_error(response, 400, "invalid_nickname")


def test_patch_me_refuses_a_misspelt_field(client):
    user = UserFactory(nickname="旧名字")
    token = client.post(LOGIN, {"phone": user.phone, "password": "pass-1234"}, content_type="application/json").json()["token"]
    response = client.patch(ME, {"nick_name": "新名字"}, content_type="application/json", headers=bearer(token))
    body = assert_error(response, 422, "invalid_input")
    assert [(e["type"], e["loc"][-1]) for e in body["detail"]["errors"]] == [("extra_forbidden", "nick_name")]
    user.refresh_from_db()
    assert user.nickname == "旧名字"


def test_every_input_body_refuses_unknown_fields(client):
    # registration, login, the SMS code: the same refusal as the profile, before any rule runs
    response = client.post(LOGIN, {"phone": "13800138000", "password": "x", "remember": True}, content_type="application/json")
    body = assert_error(response, 422, "invalid_input")
    assert [e["loc"][-1] for e in body["detail"]["errors"]] == ["remember"]
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert schema["ProfileIn"]["additionalProperties"] is False
    assert schema["LoginIn"]["additionalProperties"] is False


def test_api_docs_and_schema(client):
    assert client.get("/api/docs").status_code == 200
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/auth/register" in paths
    assert "/api/v1/operator/distribution/settings" in paths
