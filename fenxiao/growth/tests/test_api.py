"""The growth API: my level and progress; the operator's rules, evaluation run and change list.
Bad input and missing rights leave as {code, message, detail} with a 4xx status."""

from __future__ import annotations

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.growth.models import LevelChange
from tests.api_helpers import assert_error
from tests.factories import StaffFactory, UserFactory

from .conftest import K, member, rule

pytestmark = pytest.mark.django_db

OP = "/api/v1/operator/growth"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


@pytest.fixture
def staff(db):
    return bearer(StaffFactory())


def test_my_level_with_progress(regular, senior, partner, client):
    d = member(regular)
    for _ in range(3):
        member(regular, inviter=d)
    rule(senior, [(K.DIRECT_INVITES, 10), (K.PERSONAL_SALES_MONTH, 500_000)])
    body = client.get("/api/v1/growth/level", headers=bearer(d.user)).json()
    assert body["level"]["name"] == "普通分销商"
    assert body["next_level"]["name"] == "高级分销商"
    assert body["combine"] == "all"
    first = body["conditions"][0]
    assert (first["kind"], first["value"], first["threshold"], first["met"], first["percent"]) == (
        K.DIRECT_INVITES,
        3,
        10,
        False,
        30,
    )
    assert first["text"] == "3 / 10 直推（已审核）"
    assert body["conditions"][1]["text"] == "¥0 / ¥5,000 本月个人销售"
    assert body["history"] == []


def test_my_level_refused(client, levels):
    assert_error(client.get("/api/v1/growth/level"), 401, "not_authenticated")
    assert_error(client.get("/api/v1/growth/level", headers=bearer(UserFactory())), 403, "not_distributor")


def test_rules_put_and_get(client, staff, senior):
    payload = {"combine": "any", "conditions": [{"kind": K.TEAM_SIZE, "threshold": 50}], "downgrade_enabled": True}
    response = client.put(f"{OP}/rules/{senior.pk}", payload, content_type="application/json", headers=staff)
    assert response.status_code == 200, response.content
    assert response.json()["conditions"] == [{"kind": K.TEAM_SIZE, "threshold": 50}]
    rules = client.get(f"{OP}/rules", headers=staff).json()
    assert [(r["level"]["name"], r["combine"], r["downgrade_enabled"]) for r in rules] == [("高级分销商", "any", True)]


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({"conditions": [{"kind": "team_size", "threshold": -5}]}, 400, "invalid_rule"),
        ({"conditions": [{"kind": "third_level_sales", "threshold": 5}]}, 400, "invalid_rule"),
        ({"conditions": []}, 400, "invalid_rule"),
        ({"conditions": [{"kind": "team_size", "threshold": "many"}]}, 422, "invalid_input"),
    ],
)
def test_rules_refused(client, staff, senior, payload, status, code):
    response = client.put(f"{OP}/rules/{senior.pk}", payload, content_type="application/json", headers=staff)
    assert_error(response, status, code)


def test_rule_for_unknown_level(client, staff, levels):
    response = client.put(f"{OP}/rules/99999", {"conditions": []}, content_type="application/json", headers=staff)
    assert_error(response, 404, "level_not_found")


def test_operator_endpoints_need_staff(client, senior):
    headers = bearer(UserFactory())
    assert_error(client.get(f"{OP}/rules", headers=headers), 403, "forbidden")
    assert_error(client.post(f"{OP}/evaluations", {}, content_type="application/json", headers=headers), 403, "forbidden")
    assert_error(client.get(f"{OP}/changes", headers=headers), 403, "forbidden")


def test_run_evaluation_and_list_changes(client, staff, regular, senior):
    rule(senior, [(K.DIRECT_INVITES, 1)])
    d = member(regular)
    member(regular, inviter=d)
    response = client.post(f"{OP}/evaluations", {"month": "2026-02"}, content_type="application/json", headers=staff)
    assert response.status_code == 200, response.content
    assert (response.json()["upgraded"], response.json()["period"]) == (1, "2026-02")
    page = client.get(f"{OP}/changes", {"period": "2026-02", "reason": "monthly"}, headers=staff).json()
    assert page["count"] == 1 and page["items"][0]["distributor_id"] == d.pk
    assert page["items"][0]["to_level"] == "高级分销商"
    assert client.get(f"{OP}/changes", {"reason": "instant"}, headers=staff).json()["count"] == 0
    assert LevelChange.objects.count() == 1


def test_evaluation_and_changes_refused(client, staff, levels):
    post = client.post(f"{OP}/evaluations", {"month": "2026/02"}, content_type="application/json", headers=staff)
    assert_error(post, 400, "invalid_month")
    assert_error(client.get(f"{OP}/changes", {"reason": "whim"}, headers=staff), 400, "invalid_filter")
    assert_error(client.get(f"{OP}/changes", {"limit": 0}, headers=staff), 400, "invalid_filter")


def test_invitations_api(client, regular):
    from fenxiao.accounts.services import issue_token
    from fenxiao.growth import services as growth
    from tests.factories import StaffFactory, UserFactory

    from .conftest import member, sale

    inviter = member(regular)
    invitee = member(regular, inviter=inviter)
    sale(member(regular), 5000, buyer=invitee.user)
    rung, _ = growth.save_rung(invites=1, basis="valid", reward="points", points=100)
    headers = {"Authorization": f"Bearer {issue_token(user=inviter.user)}"}
    data = client.get("/api/v1/growth/invitations", headers=headers).json()
    assert (data["valid_invites"], data["rungs"][0]["claimable"], data["rungs"][0]["awaiting_approval"]) == (1, True, False)
    claimed = client.post(f"/api/v1/growth/invitations/{rung.pk}/claim", headers=headers).json()
    assert claimed["rungs"][0]["claimed_at"] is not None
    # a reached cash rung is not claimable while finance has not approved its amount
    growth.save_rung(invites=1 + rung.invites, basis="heads", reward="cash", cash_fen=800)
    member(regular, inviter=inviter)
    cash = client.get("/api/v1/growth/invitations", headers=headers).json()["rungs"][1]
    assert (cash["reached"], cash["claimable"], cash["awaiting_approval"]) == (True, False, True)
    missing = client.post("/api/v1/growth/invitations/999999/claim", headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "rung_not_found")
    outsider = {"Authorization": f"Bearer {issue_token(user=UserFactory())}"}
    assert client.get("/api/v1/growth/invitations", headers=outsider).status_code == 403
    staff = {"Authorization": f"Bearer {issue_token(user=StaffFactory())}"}
    body = {"invites": 5, "basis": "heads", "reward": "cash", "cash_fen": 1000}
    saved = client.post("/api/v1/operator/growth/invitation-rungs", body, content_type="application/json", headers=staff)
    assert saved.status_code == 200 and "人头" in saved.json()["warning"]
    bad = client.post(
        "/api/v1/operator/growth/invitation-rungs", {**body, "invites": 0}, content_type="application/json", headers=staff
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_rung")
