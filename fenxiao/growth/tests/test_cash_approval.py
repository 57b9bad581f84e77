"""Cash rewards need finance: a cash invitation rung can be claimed only once finance approved its
amount, and a leaderboard close pays its cash prizes only when finance approves them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import issue_token
from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.commissions.selectors import earnings_summary
from fenxiao.common.errors import DomainError
from fenxiao.growth import services
from fenxiao.growth.services import prizes
from fenxiao.ledger.models import Transaction
from tests.factories import UserFactory

from .conftest import MARCH, member, sale
from .test_invitations import invite

pytestmark = pytest.mark.django_db


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def _post(client, user, url, body):
    return client.post(
        url, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {issue_token(user=user)}"}
    )


def test_a_ten_million_cash_rung_pays_nothing_until_finance_approves(client, regular):
    ops = member_of("运营")
    response = _post(
        client, ops, "/api/v1/operator/growth/invitation-rungs", {"invites": 1, "reward": "cash", "cash_fen": 1_000_000_000}
    )
    assert response.status_code == 200, response.content
    rung_id = response.json()["id"]
    request = ApprovalRequest.objects.get(kind="invitation_rung_cash")
    assert (request.amount_fen, request.proposed_by, request.status) == (1_000_000_000, ops, "pending")

    inviter = member(regular)
    invite(inviter, regular, bought="completed")
    with pytest.raises(DomainError) as caught:
        services.claim_invitation_reward(distributor=inviter, rung_id=rung_id)
    assert (caught.value.code, caught.value.status) == ("reward_awaiting_approval", 409)
    assert not Transaction.objects.filter(kind="invitation_reward").exists()
    with pytest.raises(DomainError):
        approvals.approve(request_id=request.pk, actor=ops)  # operations proposes, never approves

    approvals.approve(request_id=request.pk, actor=member_of("财务"))
    reward = services.claim_invitation_reward(distributor=inviter, rung_id=rung_id)
    assert reward.cash_fen == 1_000_000_000
    assert earnings_summary(inviter).available_fen == 1_000_000_000


def test_changing_an_approved_cash_amount_needs_a_new_approval(regular):
    rung, _ = services.save_rung(invites=1, basis="valid", reward="cash", cash_fen=1000)
    approvals.approve(request_id=ApprovalRequest.objects.get().pk, actor=member_of("财务"))
    rung.refresh_from_db()
    assert not rung.cash_awaiting_approval
    rung, _ = services.save_rung(invites=1, basis="valid", reward="cash", cash_fen=900000, rung_id=rung.pk)
    assert rung.cash_awaiting_approval
    assert ApprovalRequest.objects.filter(status="pending", amount_fen=900000).count() == 1
    inviter = member(regular)
    invite(inviter, regular, bought="completed")
    with pytest.raises(DomainError) as caught:
        services.claim_invitation_reward(distributor=inviter, rung_id=rung.pk)
    assert caught.value.code == "reward_awaiting_approval"


def test_a_gift_rung_needs_no_approval(regular):
    services.save_rung(invites=1, basis="valid", reward="gift", gift_name="杯子")
    assert not ApprovalRequest.objects.exists()


def test_operations_closes_a_board_and_finance_pays_the_cash(client, regular):
    winner = member(regular)
    from .conftest import IN_FEB

    sale(winner, 9000, completed_at=IN_FEB)
    prizes.save_prize(board="sales", period_kind="month", rank_from=1, rank_to=1, reward="cash", cash_fen=1_000_000_000)
    ops = member_of("运营")
    closing = prizes.close_period("sales", "month", actor=ops, now=MARCH)
    assert closing.close.cash_fen == 1_000_000_000 and closing.close.ledger_transaction_id is None
    assert earnings_summary(winner).available_fen == 0
    request = ApprovalRequest.objects.get(kind="leaderboard_cash")
    assert (request.proposed_by, request.beneficiaries, request.amount_fen) == (ops, [winner.user_id], 1_000_000_000)
    with pytest.raises(DomainError):
        approvals.approve(request_id=request.pk, actor=ops)
    approvals.approve(request_id=request.pk, actor=member_of("财务"))
    closing.close.refresh_from_db()
    assert closing.close.ledger_transaction_id is not None
    assert earnings_summary(winner).available_fen == 1_000_000_000
