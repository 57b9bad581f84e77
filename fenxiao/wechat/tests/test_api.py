"""POST /api/v1/auth/wechat/miniprogram: a mini-program's code for an API token."""

import pytest

from fenxiao.wechat.models import WeChatIdentity

from .conftest import new_person

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/wechat/miniprogram"


def login(client, code, **extra):
    return client.post(URL, {"code": code}, content_type="application/json", **extra)


def test_a_code_logs_in_and_the_token_works(client, fake_wechat):
    person = new_person(unionid=True)
    first = login(client, fake_wechat.issue_code(person, appid=fake_wechat.mp_appid))
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["created"] is True and body["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["id"] == body["user_id"]
    assert me.json()["phone"] is None

    again = login(client, fake_wechat.issue_code(person, appid=fake_wechat.mp_appid)).json()
    assert again["created"] is False and again["user_id"] == body["user_id"] and again["token"] != body["token"]
    assert WeChatIdentity.objects.filter(kind="mp", openid=person.openid).count() == 1


def test_the_token_remembers_the_mini_program_that_issued_it(client, fake_wechat):
    """Where a request comes from is read from its token (a withdrawal asked in the mini-program is
    paid to the mini-program identity), never from a header the caller writes."""
    from fenxiao.accounts.models import ApiToken
    from fenxiao.accounts.services import hash_token

    body = login(client, fake_wechat.issue_code(new_person(), appid=fake_wechat.mp_appid)).json()
    assert ApiToken.objects.get(key_hash=hash_token(body["token"])).app_id == fake_wechat.mp_appid


def test_an_invalid_or_used_code_is_refused(client, fake_wechat):
    bad = login(client, "0" * 32)
    assert bad.status_code == 400
    assert bad.json()["code"] == "wechat_invalid_code" and bad.json()["message"]

    code = fake_wechat.issue_code(new_person(), appid=fake_wechat.mp_appid)
    assert login(client, code).status_code == 200
    used = login(client, code)
    assert (used.status_code, used.json()["code"]) == (400, "wechat_code_used")

    expired = fake_wechat.issue_code(new_person(), appid=fake_wechat.mp_appid)
    fake_wechat.expire_code(expired)
    assert login(client, expired).json()["code"] == "wechat_invalid_code"


def test_input_errors(client, fake_wechat):
    assert client.post(URL, {}, content_type="application/json").status_code == 422
    assert login(client, "x" * 129).status_code == 422


def test_not_configured_is_404(client, settings):
    settings.FENXIAO_WECHAT_PROVIDER = ""
    response = login(client, "0" * 32)
    assert (response.status_code, response.json()["code"]) == (404, "wechat_not_configured")


def test_attempts_are_limited_per_client_address(client, fake_wechat, settings):
    settings.FENXIAO_WECHAT_MP_LOGIN_LIMIT = (3, 600, 600)
    for _ in range(3):
        assert login(client, "0" * 32, REMOTE_ADDR="203.0.113.9").status_code == 400
    locked = login(client, fake_wechat.issue_code(new_person(), appid=fake_wechat.mp_appid), REMOTE_ADDR="203.0.113.9")
    assert locked.status_code == 429 and locked.json()["code"] == "throttled" and locked["Retry-After"]
    other = login(client, fake_wechat.issue_code(new_person(), appid=fake_wechat.mp_appid), REMOTE_ADDR="203.0.113.10")
    assert other.status_code == 200


def test_the_operation_declares_its_errors(client):
    schema = client.get("/api/openapi.json").json()
    responses = schema["paths"][URL]["post"]["responses"]
    assert {"400", "404", "422", "424", "429"} <= set(map(str, responses))
    assert "wechat_code_used" in responses["400"]["description"]
    assert "provider_unavailable" in responses["424"]["description"]
