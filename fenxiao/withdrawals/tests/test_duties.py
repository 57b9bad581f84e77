"""Separation of duties for withdrawals: staff never review or pay their own withdrawal, and a real-name
conflict is answered neutrally while finance is alerted."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from fenxiao.accounts.services import issue_token
from fenxiao.common.errors import DomainError
from fenxiao.withdrawals import services
from fenxiao.withdrawals.models import IdentityConflict, Withdrawal
from fenxiao.withdrawals.services import payouts
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory

from .conftest import OTHER_ID, approve_batch, fund, staff_in

pytestmark = pytest.mark.usefixtures("ledger_sound")
OP = "/api/v1/operator/withdrawals"
W = Withdrawal.Status


@pytest.fixture
def own(db):
    """A finance user that is also a distributor (allowed by the operator), with a pending withdrawal."""
    finance = staff_in("财务")
    distributor = DistributorFactory(user=finance)
    services.submit_kyc(distributor=distributor, real_name="赵财务", id_number=OTHER_ID, mobile=finance.phone)
    fund(distributor, 20000)
    withdrawal = services.request_withdrawal(distributor=distributor, amount_fen=5000, channel="wechat")
    return finance, withdrawal


def _post(client, user, url, data):
    headers = {"Authorization": f"Bearer {issue_token(user=user)}"}
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def test_finance_cannot_approve_or_reject_its_own_withdrawal_through_the_api(client, own):
    finance, withdrawal = own
    assert_error(_post(client, finance, f"{OP}/{withdrawal.pk}/approve", {"note": ""}), 403, "own_object")
    assert_error(_post(client, finance, f"{OP}/{withdrawal.pk}/reject", {"reason": "不要了"}), 403, "own_object")
    withdrawal.refresh_from_db()
    assert withdrawal.status == W.REQUESTED
    # A colleague may.
    colleague = staff_in("财务")
    assert _post(client, colleague, f"{OP}/{withdrawal.pk}/approve", {"note": ""}).status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == W.APPROVED


def test_finance_cannot_approve_its_own_withdrawal_in_the_console(client, own):
    finance, withdrawal = own
    client.force_login(finance)
    url = reverse("admin:withdrawals_withdrawal_changelist")
    response = client.post(url, {"action": "approve", "_selected_action": [withdrawal.pk], "reason": ""}, follow=True)
    assert response.status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == W.REQUESTED
    assert "不能审批" in response.content.decode()


def test_finance_cannot_mark_its_own_withdrawal_paid_or_failed(own):
    finance, withdrawal = own
    colleague = staff_in("财务")
    services.approve_withdrawal(withdrawal_id=withdrawal.pk, actor=colleague)
    for call in (
        lambda: services.mark_paid(withdrawal_id=withdrawal.pk, actor=finance),
        lambda: services.mark_failed(withdrawal_id=withdrawal.pk, actor=finance, reason="x"),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert (caught.value.code, caught.value.status) == ("own_object", 403)
    withdrawal.refresh_from_db()
    assert withdrawal.status == W.APPROVED
    batch = approve_batch(payouts.create_batch(actor=colleague))
    payouts.export_batch(batch_id=batch.pk, actor=colleague, fmt="csv")
    summary = payouts.import_results(
        batch_id=batch.pk, actor=finance, filename="r.csv", content=f"提现单号,结果\n{withdrawal.number},成功\n".encode()
    )
    assert summary.counts()["applied"] == 0
    withdrawal.refresh_from_db()
    assert withdrawal.status == W.APPROVED


def test_an_id_number_held_by_another_distributor_is_refused_neutrally_and_recorded(db, caplog):
    holder = DistributorFactory()
    services.submit_kyc(distributor=holder, real_name="李四", id_number=OTHER_ID, mobile=holder.user.phone)
    other = DistributorFactory()
    with pytest.raises(DomainError) as caught:
        services.submit_kyc(distributor=other, real_name="王五", id_number=OTHER_ID, mobile=other.user.phone)
    assert (caught.value.code, caught.value.status, caught.value.detail) == ("identity_unverifiable", 400, {})
    conflict = IdentityConflict.objects.get()
    assert (conflict.distributor_id, conflict.holder_id, conflict.real_name, conflict.resolved) == (
        other.pk,
        holder.pk,
        "王五",
        False,
    )
    assert OTHER_ID not in conflict.id_number_masked
    assert any("identity conflict" in r.getMessage() and OTHER_ID not in r.getMessage() for r in caplog.records)


def test_finance_sees_identity_conflicts_in_the_console(client, db):
    holder, other = DistributorFactory(), DistributorFactory()
    services.submit_kyc(distributor=holder, real_name="李四", id_number=OTHER_ID, mobile=holder.user.phone)
    with pytest.raises(DomainError):
        services.submit_kyc(distributor=other, real_name="王五", id_number=OTHER_ID, mobile=other.user.phone)
    client.force_login(staff_in("财务"))
    response = client.get(reverse("admin:withdrawals_identityconflict_changelist"))
    assert response.status_code == 200
    assert "王五" in response.content.decode()


def test_a_payout_batch_is_exported_only_after_another_finance_member_approves_it(db):
    from fenxiao.approvals import services as approvals
    from fenxiao.approvals.models import ApprovalRequest

    holder = DistributorFactory()
    services.submit_kyc(distributor=holder, real_name="李四", id_number=OTHER_ID, mobile=holder.user.phone)
    fund(holder, 20000)
    maker, checker = staff_in("财务"), staff_in("财务")
    withdrawal = services.request_withdrawal(distributor=holder, amount_fen=5000, channel="wechat")
    services.approve_withdrawal(withdrawal_id=withdrawal.pk, actor=checker)
    batch = payouts.create_batch(actor=maker)
    with pytest.raises(DomainError) as caught:
        payouts.export_batch(batch_id=batch.pk, actor=maker, fmt="csv")
    assert (caught.value.code, caught.value.status) == ("batch_not_approved", 409)
    request = ApprovalRequest.objects.get(kind="payout_batch")
    assert (request.amount_fen, request.proposed_by, request.beneficiaries) == (batch.net_fen, maker, [holder.user_id])
    with pytest.raises(DomainError) as caught:
        approvals.approve(request_id=request.pk, actor=maker)  # the maker never checks its own batch
    assert caught.value.code == "own_proposal"
    approvals.approve(request_id=request.pk, actor=checker)
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", checker)
    assert payouts.export_batch(batch_id=batch.pk, actor=maker, fmt="csv").content


def test_a_rejected_payout_batch_lets_its_withdrawals_go(db):
    from fenxiao.approvals import services as approvals
    from fenxiao.approvals.models import ApprovalRequest

    holder = DistributorFactory()
    services.submit_kyc(distributor=holder, real_name="李四", id_number=OTHER_ID, mobile=holder.user.phone)
    fund(holder, 20000)
    maker, checker = staff_in("财务"), staff_in("财务")
    withdrawal = services.request_withdrawal(distributor=holder, amount_fen=5000, channel="wechat")
    services.approve_withdrawal(withdrawal_id=withdrawal.pk, actor=checker)
    batch = payouts.create_batch(actor=maker)
    approvals.reject(request_id=ApprovalRequest.objects.get().pk, actor=checker, reason="金额待核对")
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.batch_id) == (W.APPROVED, None)
    with pytest.raises(DomainError):
        payouts.export_batch(batch_id=batch.pk, actor=maker, fmt="csv")
    assert payouts.create_batch(actor=maker).line_count == 1  # can be batched again
