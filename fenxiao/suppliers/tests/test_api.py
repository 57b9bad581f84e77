"""The application API of a user and the operator's review API."""

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.suppliers.models import Supplier
from tests.factories import StaffFactory, UserFactory

from .conftest import application

pytestmark = pytest.mark.django_db
OP = "/api/v1/operator/suppliers"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def post(client, path, body, user):
    return client.post(path, body, content_type="application/json", headers=bearer(user))


def test_apply_read_mine_and_reapply_after_rejection(client, applicant, supply_staff):
    assert client.get("/api/v1/supplier-applications/mine", headers=bearer(applicant)).status_code == 404
    response = post(client, "/api/v1/supplier-applications", application(), applicant)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "applied" and body["bank_account_masked"] == "**** 3456"
    assert "1202021209000123456" not in response.content.decode()
    supplier_id = body["id"]

    again = post(client, "/api/v1/supplier-applications", application(), applicant)
    assert (again.status_code, again.json()["code"]) == (409, "application_pending")

    rejected = post(client, f"{OP}/{supplier_id}/reject", {"reason": "资质照片不清晰"}, supply_staff)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    mine = client.get("/api/v1/supplier-applications/mine", headers=bearer(applicant)).json()
    assert (mine["status"], mine["status_reason"]) == ("rejected", "资质照片不清晰")
    assert post(client, "/api/v1/supplier-applications", application(), applicant).status_code == 201


def test_bad_input_answers_4xx_with_a_code(client, applicant):
    bad = post(client, "/api/v1/supplier-applications", application(credit_code="91330100000000001X"), applicant)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_credit_code")
    bad = post(client, "/api/v1/supplier-applications", application(contact_phone="110"), applicant)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_phone")
    bad = post(client, "/api/v1/supplier-applications", {**application(), "status": "approved"}, applicant)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    staff = post(client, "/api/v1/supplier-applications", application(), StaffFactory())
    assert (staff.status_code, staff.json()["code"]) == (403, "staff_not_allowed")


def test_the_operator_lists_reviews_evaluates_suspends_and_reinstates(client, applied, supply_staff):
    listed = client.get(OP, {"status": "applied"}, headers=bearer(supply_staff)).json()
    assert [item["id"] for item in listed["items"]] == [applied.pk] and listed["count"] == 1
    assert post(client, f"{OP}/{applied.pk}/approve", {"note": ""}, supply_staff).json()["status"] == "approved"
    evaluated = post(
        client, f"{OP}/{applied.pk}/evaluate", {"score": 55, "conclusion": "退货率偏高", "suspend": True}, supply_staff
    )
    assert evaluated.status_code == 200
    assert (evaluated.json()["status"], evaluated.json()["status_reason"]) == ("suspended", "评估 55 分：退货率偏高")
    again = post(client, f"{OP}/{applied.pk}/suspend", {"reason": "x"}, supply_staff)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    back = post(client, f"{OP}/{applied.pk}/reinstate", {"note": "整改完成"}, supply_staff)
    assert back.json()["status"] == "approved"
    detail = client.get(f"{OP}/{applied.pk}", headers=bearer(supply_staff)).json()
    assert [e["to_status"] for e in detail["events"]] == ["applied", "approved", "suspended", "approved"]
    assert detail["events"][1]["actor"] == supply_staff.display_name
    assert detail["bank_account_name"] == applied.bank_account_name
    bad = post(client, f"{OP}/{applied.pk}/evaluate", {"score": 101, "conclusion": "x"}, supply_staff)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_evaluation")
    missing = post(client, f"{OP}/{applied.pk}/reject", {"reason": ""}, supply_staff)
    assert missing.status_code == 400


def test_only_supply_chain_reviews(client, applied):
    operations = UserFactory(is_staff=True)
    from django.contrib.auth.models import Group

    operations.groups.add(Group.objects.get(name="运营"))
    assert client.get(OP, headers=bearer(operations)).status_code == 200  # 运营 sees suppliers
    refused = post(client, f"{OP}/{applied.pk}/approve", {"note": ""}, operations)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert Supplier.objects.get(pk=applied.pk).status == "applied"
    consumer = client.get(OP, headers=bearer(UserFactory()))
    assert consumer.status_code == 403
