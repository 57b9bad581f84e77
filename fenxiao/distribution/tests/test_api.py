"""The distributor and operator endpoints, including the two-level commission cap."""

import re

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import agreement_versions, issue_token
from fenxiao.distribution.models import Distributor, DistributorEvent, Level
from fenxiao.distribution.services import get_settings
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Distributor.Status
OP = "/api/v1/operator/distribution"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def agree() -> dict:
    """The body part of an application that accepts the current distributor agreement."""
    return {"agreement_version": agreement_versions()["distributor"]}


@pytest.fixture
def staff_headers(operator):
    return bearer(operator)


def staff_in(group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


# --- member side ----------------------------------------------------------------------------------


def test_apply_via_api_under_review(client, admission):
    admission("review")
    user = UserFactory()
    response = client.post(
        "/api/v1/distribution/apply", {"real_name": "张三", **agree()}, content_type="application/json", headers=bearer(user)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == S.PENDING
    assert body["share_url"] is None
    assert body["inviter_code"] is None
    assert Distributor.objects.get(user=user).real_name == "张三"
    again = client.post("/api/v1/distribution/apply", agree(), content_type="application/json", headers=bearer(user))
    assert_error(again, 409, "application_pending")


def test_apply_via_api_open_admission_with_inviter(client, admission, level):
    admission("open")
    inviter = DistributorFactory(level=level)
    user = UserFactory()
    headers = bearer(user)
    bound = client.post("/api/v1/distribution/bind", {"code": inviter.code}, content_type="application/json", headers=headers)
    assert bound.status_code == 200
    assert bound.json() == {"distributor_code": inviter.code, "outcome": "bound"}
    response = client.post("/api/v1/distribution/apply", agree(), content_type="application/json", headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == S.APPROVED
    assert body["inviter_code"] == inviter.code
    assert body["share_url"].endswith(f"/s/{body['code']}")
    me = client.get("/api/v1/distribution/me", headers=headers).json()
    assert me["code"] == body["code"]
    assert (me["direct_count"], me["indirect_count"]) == (0, 0)


def test_bind_own_code_is_409(client, level):
    d = DistributorFactory(level=level)
    response = client.post("/api/v1/distribution/bind", {"code": d.code}, content_type="application/json", headers=bearer(d.user))
    assert_error(response, 409, "binding_self")


def test_distributor_endpoints_need_login_and_profile(client, level):
    assert_error(client.get("/api/v1/distribution/me"), 401, "not_authenticated")
    body = assert_error(client.get("/api/v1/distribution/me", headers=bearer(UserFactory())), 403, "not_distributor")
    assert body["detail"] == {"status": None}


def test_downline_masks_phones(client, level):
    root = DistributorFactory(level=level)
    kids = [DistributorFactory(level=level, inviter=root) for _ in range(3)]
    grandkids = [DistributorFactory(level=level, inviter=kids[0]) for _ in range(2)]
    headers = bearer(root.user)
    for depth, members in ((1, kids), (2, grandkids)):
        response = client.get("/api/v1/distribution/me/downline", {"depth": depth}, headers=headers)
        assert response.status_code == 200
        text = response.content.decode()
        assert not re.search(r"\d{11}", text), text
        body = response.json()
        assert body["total"] == len(members)
        assert {item["id"] for item in body["items"]} == {m.pk for m in members}
        for item in body["items"]:
            member = next(m for m in members if m.pk == item["id"])
            assert item["masked_phone"] == f"{member.user.phone[:3]}****{member.user.phone[-4:]}"
            assert member.user.phone not in text
            assert item["nickname"] != member.user.nickname
    assert_error(client.get("/api/v1/distribution/me/downline", {"depth": 3}, headers=headers), 400, "invalid_depth")


def test_downline_paging(client, level):
    root = DistributorFactory(level=level)
    for _ in range(5):
        DistributorFactory(level=level, inviter=root)
    body = client.get("/api/v1/distribution/me/downline", {"page": 2, "page_size": 2}, headers=bearer(root.user)).json()
    assert (body["total"], body["page"], body["page_size"], len(body["items"])) == (5, 2, 2, 2)


def test_downline_of_pending_applicant_is_refused(client, admission):
    admission("review")
    user = UserFactory()
    client.post("/api/v1/distribution/apply", agree(), content_type="application/json", headers=bearer(user))
    assert_error(client.get("/api/v1/distribution/me/downline", headers=bearer(user)), 403, "not_distributor")


# --- operator: review -----------------------------------------------------------------------------


def test_operator_lists_and_approves(client, admission, staff_headers, operator):
    admission("review")
    applicant = UserFactory(phone="13812341234")
    d = client.post("/api/v1/distribution/apply", agree(), content_type="application/json", headers=bearer(applicant)).json()
    listed = client.get(f"{OP}/applications", headers=staff_headers)
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [d["id"]]
    assert listed.json()[0]["masked_phone"] == "138****1234"
    response = client.post(f"{OP}/distributors/{d['id']}/approve", {}, content_type="application/json", headers=staff_headers)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.APPROVED
    event = DistributorEvent.objects.filter(distributor_id=d["id"]).order_by("-id").first()
    assert (event.to_status, event.actor_id) == (S.APPROVED, operator.pk)
    again = client.post(f"{OP}/distributors/{d['id']}/approve", {}, content_type="application/json", headers=staff_headers)
    assert_error(again, 409, "invalid_transition")


def test_operator_rejects_with_reason(client, admission, staff_headers):
    admission("review")
    applicant = UserFactory()
    d = client.post("/api/v1/distribution/apply", agree(), content_type="application/json", headers=bearer(applicant)).json()
    url = f"{OP}/distributors/{d['id']}/reject"
    assert_error(
        client.post(url, {"reason": " "}, content_type="application/json", headers=staff_headers), 400, "reason_required"
    )
    response = client.post(url, {"reason": "资料不全"}, content_type="application/json", headers=staff_headers)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reject_reason"]) == (S.REJECTED, "资料不全")
    mine = client.get("/api/v1/distribution/me", headers=bearer(applicant)).json()
    assert mine["reject_reason"] == "资料不全"


def test_review_of_unknown_distributor_is_404(client, staff_headers):
    response = client.post(f"{OP}/distributors/999999/approve", {}, content_type="application/json", headers=staff_headers)
    assert_error(response, 404, "distributor_not_found")


def test_review_needs_staff(client, admission):
    admission("review")
    applicant = UserFactory()
    d = client.post("/api/v1/distribution/apply", agree(), content_type="application/json", headers=bearer(applicant)).json()
    member = UserFactory()
    url = f"{OP}/distributors/{d['id']}/approve"
    assert_error(client.post(url, {}, content_type="application/json", headers=bearer(member)), 403, "forbidden")
    assert_error(client.post(url, {}, content_type="application/json", headers=bearer(staff_in("财务"))), 403, "forbidden")
    assert_error(client.post(url, {}, content_type="application/json"), 401, "not_authenticated")
    assert Distributor.objects.get(pk=d["id"]).status == S.PENDING
    # operations staff may review
    ok = client.post(url, {}, content_type="application/json", headers=bearer(staff_in("运营")))
    assert ok.status_code == 200


# --- operator: the two-level cap --------------------------------------------------------------------


def test_patch_settings_third_level_refused(client, staff_headers):
    get_settings()
    response = client.patch(f"{OP}/settings", {"commission_levels": 3}, content_type="application/json", headers=staff_headers)
    body = assert_error(response, 400, "commission_depth_exceeded")
    assert body["detail"] == {"requested": 3, "max": 2}
    assert get_settings().commission_levels == 2


def test_patch_settings_valid_change(client, staff_headers, operator):
    response = client.patch(
        f"{OP}/settings",
        {"commission_levels": 1, "binding_policy": "expiring"},
        content_type="application/json",
        headers=staff_headers,
    )
    assert response.status_code == 200, response.content
    assert response.json()["commission_levels"] == 1
    conf = get_settings()
    assert (conf.commission_levels, conf.binding_policy, conf.updated_by_id) == (1, "expiring", operator.pk)
    assert client.get(f"{OP}/settings", headers=staff_headers).json()["commission_levels"] == 1


def test_patch_settings_zero_is_invalid_setting(client, staff_headers):
    response = client.patch(f"{OP}/settings", {"commission_levels": 0}, content_type="application/json", headers=staff_headers)
    assert_error(response, 400, "invalid_setting")


def test_settings_need_staff(client):
    get_settings()
    member = UserFactory()
    response = client.patch(f"{OP}/settings", {"commission_levels": 1}, content_type="application/json", headers=bearer(member))
    assert_error(response, 403, "forbidden")
    response = client.patch(f"{OP}/settings", {"commission_levels": 1}, content_type="application/json")
    assert_error(response, 401, "not_authenticated")
    finance = staff_in("财务")
    response = client.patch(f"{OP}/settings", {"commission_levels": 1}, content_type="application/json", headers=bearer(finance))
    assert_error(response, 403, "forbidden")
    assert client.get(f"{OP}/settings", headers=bearer(finance)).status_code == 200
    assert get_settings().commission_levels == 2


def test_create_level_with_third_rate_refused(client, staff_headers):
    payload = {"name": "合伙人", "rank": 3, "direct_rate_bp": 2000, "indirect_rate_bp": 500, "third_rate_bp": 100}
    response = client.post(f"{OP}/levels", payload, content_type="application/json", headers=staff_headers)
    body = assert_error(response, 400, "commission_depth_exceeded")
    assert "third_rate_bp" in body["detail"]["fields"]
    assert not Level.objects.filter(name="合伙人").exists()


def test_create_and_update_level(client, staff_headers):
    payload = {"name": "高级分销商", "rank": 2, "direct_rate_bp": 1500, "indirect_rate_bp": 500}
    response = client.post(f"{OP}/levels", payload, content_type="application/json", headers=staff_headers)
    assert response.status_code == 201, response.content
    level_id = response.json()["id"]
    payload["direct_rate_bp"] = 2000
    response = client.put(f"{OP}/levels/{level_id}", payload, content_type="application/json", headers=staff_headers)
    assert response.status_code == 200
    assert Level.objects.get(pk=level_id).direct_rate_bp == 2000
    payload["level3_rate_bp"] = 50
    response = client.put(f"{OP}/levels/{level_id}", payload, content_type="application/json", headers=staff_headers)
    assert_error(response, 400, "commission_depth_exceeded")
    listed = client.get(f"{OP}/levels", headers=staff_headers).json()
    assert [lv["id"] for lv in listed] == [level_id]


def test_create_level_rate_over_100_percent(client, staff_headers):
    payload = {"name": "超额", "rank": 5, "direct_rate_bp": 8000, "indirect_rate_bp": 3000}
    response = client.post(f"{OP}/levels", payload, content_type="application/json", headers=staff_headers)
    assert_error(response, 400, "invalid_rate")


def test_levels_need_staff(client):
    payload = {"name": "合伙人", "rank": 3, "direct_rate_bp": 2000, "indirect_rate_bp": 500}
    response = client.post(f"{OP}/levels", payload, content_type="application/json", headers=bearer(UserFactory()))
    assert_error(response, 403, "forbidden")
    response = client.post(f"{OP}/levels", payload, content_type="application/json")
    assert_error(response, 401, "not_authenticated")
    assert not Level.objects.exists()


DISTRIBUTOR_ONLY = [
    ("get", "/api/v1/distribution/me"),
    ("get", "/api/v1/distribution/me/downline"),
    ("get", "/api/v1/distribution/shop"),
    ("get", "/api/v1/earnings/summary"),
    ("get", "/api/v1/team"),
    ("get", "/api/v1/leaderboards"),
    ("get", "/api/v1/orders/shop"),
    ("get", "/api/v1/growth/level"),
    ("get", "/api/v1/growth/invitations"),
    ("get", "/api/v1/withdrawals/kyc"),
]


@pytest.mark.parametrize(("method", "path"), DISTRIBUTOR_ONLY)
def test_a_member_who_is_not_a_distributor_gets_403_everywhere(client, level, method, path):
    never_applied = bearer(UserFactory())
    pending = bearer(DistributorFactory(level=level, status=Distributor.Status.PENDING).user)
    assert assert_error(client.get(path, headers=never_applied), 403, "not_distributor")["detail"] == {"status": None}
    if path != "/api/v1/distribution/me":  # a profile in any status sees itself there
        assert assert_error(client.get(path, headers=pending), 403, "not_distributor")["detail"] == {"status": "pending"}
    responses = client.get("/api/openapi.json").json()["paths"][path][method]["responses"]
    assert "`not_distributor`" in responses["403"]["description"]
    assert "`not_distributor`" not in responses.get("404", {}).get("description", "")
