"""Cash rewards are in the books: an approved invitation reward and leaderboard prize are counted by
the commission reconciliation (expense = payable + paid out + fees), labelled on the distributor's
statement and summed in its month totals — the reconciliation was off by exactly what they paid."""

from __future__ import annotations

import pytest

from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.commissions import postings
from fenxiao.commissions.selectors import kind_label, monthly_statement, reconciliation
from fenxiao.common import periods
from fenxiao.growth import services
from fenxiao.growth.services import prizes

from .conftest import IN_FEB, MARCH, member, sale
from .test_cash_approval import member_of
from .test_invitations import invite

pytestmark = pytest.mark.django_db


def test_approved_rewards_and_prizes_reconcile_and_read_right_on_the_statement(regular):
    finance = member_of("财务")
    inviter = member(regular)
    rung, _ = services.save_rung(invites=1, basis="valid", reward="cash", cash_fen=50_000)
    approvals.approve(request_id=ApprovalRequest.objects.get(kind="invitation_rung_cash").pk, actor=finance)
    invite(inviter, regular, bought="completed")
    services.claim_invitation_reward(distributor=inviter, rung_id=rung.pk)

    sale(inviter, 9000, completed_at=IN_FEB)
    prizes.save_prize(board="sales", period_kind="month", rank_from=1, rank_to=1, reward="cash", cash_fen=90_000)
    prizes.close_period("sales", "month", actor=member_of("运营"), now=MARCH)
    approvals.approve(request_id=ApprovalRequest.objects.get(kind="leaderboard_cash").pk, actor=finance)

    books = reconciliation()
    assert books.derived.reward_expense_fen == books.cached.reward_expense_fen == 140_000
    assert books.derived.expense_fen == books.derived.accounted_fen
    assert books.ok, books
    assert sum(m.rewards_fen for m in books.months) == 140_000

    labels = {postings.label("invitation_reward"), postings.label("leaderboard_prize")}
    assert labels == {"邀请奖励", "排行榜奖金"}
    statement = monthly_statement(inviter, month=periods.month_label(periods.local_today()))
    assert statement.totals.rewards_fen == 140_000
    shown = {kind_label(row.kind) for row in statement.account("available").rows}
    assert {"邀请奖励", "排行榜奖金"} <= shown and "其他" not in shown


def test_a_posting_kind_means_one_thing():
    postings.register(
        "invitation_reward", postings.label("invitation_reward"), expense_account="platform:invitation_reward_expense"
    )  # the same again is harmless
    with pytest.raises(ValueError):
        postings.register("invitation_reward", "别的", expense_account="platform:other_expense")
