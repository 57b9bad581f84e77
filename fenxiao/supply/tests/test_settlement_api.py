"""Supplier statements over the API: the supplier's own (list, detail, confirm), finance's list and payout
batches (create, approval, export, results), and who may call what."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from fenxiao.accounts.services import ensure_staff_groups, issue_token
from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.supply.models import SupplierStatement
from fenxiao.supply.settlement import payouts, services
from tests.factories import DistributorFactory, UserFactory

from .test_settlement import at, completed_line, finance_member, make_supplier, result_csv

OP = "/api/v1/operator/supplier-statements"
MINE = "/api/v1/supplier/statements"


def auth(user) -> dict:
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def staff_of(group: str):
    ensure_staff_groups()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def issued(db):
    supplier = make_supplier()
    line = completed_line(supplier, completed_at=at(2026, 11, 10), cost=3000, quantity=2)
    other = make_supplier()
    completed_line(other, completed_at=at(2026, 11, 11), cost=1000, quantity=1)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    return supplier, other, line


@pytest.mark.django_db
def test_a_supplier_lists_reads_and_confirms_only_its_own_statements(client, issued):
    supplier, other, line = issued
    mine = SupplierStatement.objects.get(supplier=supplier)
    theirs = SupplierStatement.objects.get(supplier=other)

    listed = client.get(MINE, headers=auth(supplier.user))
    assert listed.status_code == 200
    assert [s["number"] for s in listed.json()] == [mine.number]
    assert listed.json()[0]["payable_fen"] == 6000

    detail = client.get(f"{MINE}/{mine.pk}", headers=auth(supplier.user)).json()
    assert detail["lines"] == [
        {
            "order_number": line.order.number,
            "sku_code": line.sku.code,
            "product_name": line.product_name,
            "quantity": 2,
            "unit_cost_fen": 3000,
            "owed_fen": 6000,
            "amount_fen": 6000,
        }
    ]
    assert "supplier_id" not in detail  # the supplier's view carries nothing of the operator's

    for path in (f"{MINE}/{theirs.pk}", f"{MINE}/987654"):
        answer = client.get(path, headers=auth(supplier.user))
        assert (answer.status_code, answer.json()["code"]) == (404, "statement_not_found")
    answer = client.post(f"{MINE}/{theirs.pk}/confirm", headers=auth(supplier.user))
    assert (answer.status_code, answer.json()["code"]) == (404, "statement_not_found")

    confirmed = client.post(f"{MINE}/{mine.pk}/confirm", headers=auth(supplier.user))
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    again = client.post(f"{MINE}/{mine.pk}/confirm", headers=auth(supplier.user))
    assert (again.status_code, again.json()["code"]) == (409, "statement_already_confirmed")


@pytest.mark.django_db
def test_non_suppliers_are_refused_with_not_supplier(client, issued):
    for user in (UserFactory(), DistributorFactory().user, staff_of("财务")):
        answer = client.get(MINE, headers=auth(user))
        assert (answer.status_code, answer.json()["code"]) == (403, "not_supplier")
    assert client.get(MINE).status_code == 401


@pytest.mark.django_db
def test_finance_pays_a_batch_through_the_api_with_a_second_person(client, issued):
    supplier, other, _line = issued
    for statement in SupplierStatement.objects.select_related("supplier"):
        services.confirm_statement(statement.pk, statement.supplier, statement.supplier.user)
    maker, checker = finance_member(), finance_member()

    listed = client.get(f"{OP}?status=confirmed", headers=auth(maker)).json()
    assert {s["supplier_id"] for s in listed} == {supplier.pk, other.pk}
    one = SupplierStatement.objects.get(supplier=supplier)
    detail = client.get(f"{OP}/{one.pk}", headers=auth(maker)).json()
    assert detail["supplier_name"] == supplier.name and len(detail["lines"]) == 1

    created = client.post(f"{OP}/batches", json.dumps({}), content_type="application/json", headers=auth(maker))
    assert created.status_code == 201, created.content
    batch = created.json()
    assert (batch["statement_count"], batch["amount_fen"], batch["approved"]) == (2, 7000, False)
    early = client.get(f"{OP}/batches/{batch['id']}/export.xlsx", headers=auth(maker))
    assert (early.status_code, early.json()["code"]) == (409, "batch_not_approved")
    approvals.approve(request_id=ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL).pk, actor=checker)

    exported = client.get(f"{OP}/batches/{batch['id']}/export.xlsx", headers=auth(checker))
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(exported.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3

    numbers = [s["number"] for s in batch["statements"]]
    upload = SimpleUploadedFile("r.csv", result_csv([(n, "成功", "") for n in numbers]), content_type="text/csv")
    imported = client.post(f"{OP}/batches/{batch['id']}/results", {"file": upload}, headers=auth(checker))
    assert imported.status_code == 200, imported.content
    body = imported.json()
    assert (body["applied"], body["errors"], body["batch"]["status"]) == (2, 0, "closed")
    upload = SimpleUploadedFile("r.csv", result_csv([(n, "成功", "") for n in numbers]), content_type="text/csv")
    again = client.post(f"{OP}/batches/{batch['id']}/results", {"file": upload}, headers=auth(checker)).json()
    assert (again["applied"], again["already_applied"]) == (0, 2)

    unknown = SimpleUploadedFile("r.csv", result_csv([("ST000", "成功", "")]), content_type="text/csv")
    refused = client.post(f"{OP}/batches/{batch['id']}/results", {"file": unknown}, headers=auth(checker))
    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_statement")

    batches = client.get(f"{OP}/batches", headers=auth(maker)).json()
    assert [b["number"] for b in batches] == [batch["number"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("group", "method", "path", "allowed"),
    [
        ("财务", "get", OP, True),
        ("运营", "get", OP, False),
        ("供应链", "get", OP, False),
        ("客服", "get", f"{OP}/batches", False),
        ("财务", "post", f"{OP}/batches", True),
        ("运营", "post", f"{OP}/batches", False),
        ("供应链", "post", f"{OP}/batches", False),
        ("财务", "get", f"{OP}/batches/987654/export.xlsx", True),
        ("供应链", "get", f"{OP}/batches/987654/export.xlsx", False),
    ],
)
def test_operator_routes_need_finance(client, group, method, path, allowed):
    user = staff_of(group)
    if method == "post":
        answer = client.post(path, "{}", content_type="application/json", headers=auth(user))
    else:
        answer = client.get(path, headers=auth(user))
    if allowed:
        assert answer.status_code in (200, 404, 409), answer.content
    else:
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")


@pytest.mark.django_db
def test_bad_input_is_a_4xx(client, issued):
    finance = finance_member()
    assert client.get(f"{OP}?status=nope", headers=auth(finance)).status_code == 422
    assert client.get(f"{OP}?page=0", headers=auth(finance)).status_code == 422
    answer = client.post(
        f"{OP}/batches", json.dumps({"statement_ids": [1], "x": 1}), content_type="application/json", headers=auth(finance)
    )
    assert answer.status_code == 422
    answer = client.post(
        f"{OP}/batches", json.dumps({"statement_ids": [987654]}), content_type="application/json", headers=auth(finance)
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "nothing_to_pay")
