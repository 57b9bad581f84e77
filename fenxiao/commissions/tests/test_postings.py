"""The posting registry says what each kind is: the statement's month totals count the kinds that the
app paying distributors out registered in the payout group, whatever their names."""

from __future__ import annotations

import pytest

from fenxiao.commissions import postings, selectors
from fenxiao.commissions.postings import PostingGroup
from fenxiao.commissions.services import available_account, ensure_distributor_accounts, withdrawing_account
from fenxiao.ledger import services as ledger

pytestmark = pytest.mark.django_db


def test_the_withdrawal_kinds_are_registered_as_payouts():
    assert postings.kinds_in(PostingGroup.PAYOUT) == {"withdrawal_request", "withdrawal_return", "withdrawal_paid"}
    assert {"commission_accrue", "team_bonus"} <= postings.kinds_in(PostingGroup.EARNING)


def test_month_totals_read_the_group_not_the_name(distributor, monkeypatch):
    monkeypatch.setitem(postings._KINDS, "cash_out", postings.PostingKind("cash_out", "提现", group=PostingGroup.PAYOUT))
    d = distributor.pk
    ensure_distributor_accounts([d])
    ledger.post(
        idempotency_key="t:fund",
        kind="team_bonus",
        entries=[
            ("platform:team_bonus_expense", "debit", 5000),
            (available_account(d), "credit", 5000),
        ],
    )
    for key, kind in (("t:1", "cash_out"), ("t:2", "withdrawal_unregistered")):
        ledger.post(
            idempotency_key=key,
            kind=kind,
            entries=[
                (available_account(d), "debit", 1000),
                (withdrawing_account(d), "credit", 1000),
            ],
        )
    totals = selectors.monthly_statement(distributor, selectors.current_month()).totals
    assert (totals.team_bonus_fen, totals.withdrawn_fen, totals.returned_fen) == (5000, 1000, 0)


def test_registering_a_kind_twice_with_another_group_is_refused():
    with pytest.raises(ValueError):
        postings.register("withdrawal_request", postings.label("withdrawal_request"))
