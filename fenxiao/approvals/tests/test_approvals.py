"""Maker–checker: one proposes, another of finance approves, both recorded; the proposer and the payee
never approve; a decided request never changes; the console's 待审批 list and the API do the same."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fenxiao.accounts.services import issue_token
from fenxiao.approvals import registry, services
from fenxiao.approvals.models import ApprovalEvent, ApprovalRequest
from fenxiao.common.errors import CommonCode, DomainError
from tests.api_helpers import assert_error
from tests.factories import UserFactory

OP = "/api/v1/operator/approvals"
KIND = "test_payout"
paid: list[int] = []


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture(autouse=True)
def test_kind():
    paid.clear()
    registry.register_kind(
        KIND, label="测试发放", on_approve=lambda request, actor: paid.append(request.amount_fen) or {"paid": True}
    )
    yield
    registry.unregister_kind(KIND)


@pytest.fixture
def ops(db):
    return member_of("运营")


@pytest.fixture
def proposed(ops):
    return services.propose(kind=KIND, reference="obj:1", amount_fen=1_000_000_000, summary="一千万现金奖励", proposer=ops)


def test_proposing_twice_while_pending_is_one_request(ops, proposed):
    again = services.propose(kind=KIND, reference="obj:1", amount_fen=1_000_000_000, summary="x", proposer=ops)
    assert again.pk == proposed.pk and ApprovalRequest.objects.count() == 1
    with pytest.raises(DomainError) as caught:
        services.propose(kind="nobody_registered", reference="obj:1", amount_fen=1, summary="x")
    assert caught.value.code == "unknown_kind"


def test_finance_approves_and_the_handler_runs_once_with_who_and_when(proposed):
    checker = member_of("财务")
    request = services.approve(request_id=proposed.pk, actor=checker, note="核对无误")
    assert paid == [1_000_000_000]
    assert (request.status, request.decided_by, request.decision_note, request.result) == (
        "approved",
        checker,
        "核对无误",
        {"paid": True},
    )
    assert request.decided_at is not None and request.proposed_by is not None
    assert list(ApprovalEvent.objects.filter(request=request).values_list("from_status", "to_status")) == [
        ("", "pending"),
        ("pending", "approved"),
    ]
    with pytest.raises(DomainError) as caught:
        services.approve(request_id=proposed.pk, actor=member_of("财务"))
    assert (caught.value.code, caught.value.status) == ("invalid_transition", 409)
    assert paid == [1_000_000_000]


def test_the_proposer_never_approves_its_own_proposal_even_in_finance(db):
    maker = member_of("财务")
    request = services.propose(kind=KIND, reference="obj:2", amount_fen=100, summary="x", proposer=maker)
    with pytest.raises(DomainError) as caught:
        services.approve(request_id=request.pk, actor=maker)
    assert (caught.value.code, caught.value.status) == ("own_proposal", 403)
    assert paid == []


def test_a_payee_never_approves_its_own_money(db):
    payee = member_of("财务")
    request = services.propose(kind=KIND, reference="obj:3", amount_fen=100, summary="x", beneficiaries=[payee.pk])
    with pytest.raises(DomainError) as caught:
        services.approve(request_id=request.pk, actor=payee)
    assert caught.value.code == "own_object"


def test_only_finance_decides(proposed):
    for name in ("运营", "客服", "供应链"):
        with pytest.raises(DomainError) as caught:
            services.approve(request_id=proposed.pk, actor=member_of(name))
        assert (caught.value.code, caught.value.status) == ("forbidden", 403)
    assert paid == []


def test_a_failing_handler_leaves_the_request_pending(db):
    def boom(request, actor):
        raise DomainError(CommonCode.INVALID_INPUT, "变了", status=409)

    registry.register_kind("test_boom", label="x", on_approve=boom)
    try:
        request = services.propose(kind="test_boom", reference="obj:4", amount_fen=1, summary="x")
        with pytest.raises(DomainError):
            services.approve(request_id=request.pk, actor=member_of("财务"))
        request.refresh_from_db()
        assert request.status == "pending" and request.decided_by is None
    finally:
        registry.unregister_kind("test_boom")


def test_reject_needs_a_reason(proposed):
    checker = member_of("财务")
    with pytest.raises(DomainError) as caught:
        services.reject(request_id=proposed.pk, actor=checker, reason=" ")
    assert caught.value.code == "reason_required"
    request = services.reject(request_id=proposed.pk, actor=checker, reason="金额过大")
    assert (request.status, request.decided_by, request.decision_note) == ("rejected", checker, "金额过大")
    assert paid == []


def _post(client, user, url, body):
    return client.post(
        url, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {issue_token(user=user)}"}
    )


def test_the_api_lists_approves_and_rejects(client, ops, proposed):
    checker = member_of("财务")
    listed = client.get(OP, {"status": "pending"}, headers={"Authorization": f"Bearer {issue_token(user=checker)}"})
    assert listed.status_code == 200
    assert [(r["id"], r["amount_fen"], r["kind_label"]) for r in listed.json()] == [(proposed.pk, 1_000_000_000, "测试发放")]
    assert_error(_post(client, ops, f"{OP}/{proposed.pk}/approve", {}), 403, "forbidden")
    assert_error(_post(client, checker, f"{OP}/{MISSING}/approve", {}), 404, "approval_not_found")
    body = _post(client, checker, f"{OP}/{proposed.pk}/approve", {"note": "好"}).json()
    assert (body["status"], body["decided_by_id"], body["result"]) == ("approved", checker.pk, {"paid": True})
    assert_error(_post(client, checker, f"{OP}/{proposed.pk}/reject", {"reason": "x"}), 409, "invalid_transition")
    own = services.propose(kind=KIND, reference="obj:5", amount_fen=5, summary="x", proposer=checker)
    assert_error(_post(client, checker, f"{OP}/{own.pk}/approve", {}), 403, "own_proposal")


MISSING = 999999


def test_the_console_lists_pending_first_and_finance_approves_there(client, proposed):
    checker = member_of("财务")
    client.force_login(checker)
    url = reverse("admin:approvals_approvalrequest_changelist")
    page = client.get(url)
    assert page.status_code == 200 and "一千万现金奖励" in page.content.decode()
    response = client.post(url, {"action": "approve", "_selected_action": [proposed.pk], "reason": ""}, follow=True)
    assert response.status_code == 200
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decided_by) == ("approved", checker)
    assert "一千万现金奖励" not in client.get(url).content.decode()  # no longer pending
    assert "一千万现金奖励" in client.get(url, {"status": "all"}).content.decode()


def test_operations_sees_the_list_but_has_no_decision_actions(client, ops, proposed):
    client.force_login(ops)
    page = client.get(reverse("admin:approvals_approvalrequest_changelist"))
    assert page.status_code == 200
    assert 'value="approve"' not in page.content.decode()
