"""The sign convention lives in one table (`models.NORMAL_SIDE`): the Python function and the ORM
expression read from it agree for every account kind and side, and an account's balance summed in the
database is the one the ledger caches."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from fenxiao.ledger import services
from fenxiao.ledger.models import (
    DEBIT_NORMAL_KINDS,
    NORMAL_SIDE,
    Account,
    AccountKind,
    Entry,
    Side,
    balance_expression,
    signed_amount,
    signed_amount_expression,
)

pytestmark = pytest.mark.django_db


def test_every_kind_has_a_normal_side():
    assert set(NORMAL_SIDE) == set(AccountKind.values)
    assert DEBIT_NORMAL_KINDS == {AccountKind.ASSET, AccountKind.EXPENSE}
    for kind in AccountKind.values:
        grows = NORMAL_SIDE[kind]
        other = Side.CREDIT if grows == Side.DEBIT else Side.DEBIT
        assert signed_amount(kind, grows, 100) == 100 and signed_amount(kind, other, 100) == -100


def test_the_database_signs_each_entry_as_python_does():
    codes = {kind: f"test:{kind}" for kind in AccountKind.values}
    for kind, code in codes.items():
        services.get_or_create_account(code, kind=kind, name=code, allow_negative=True)
    # every kind on both sides: each posting balances against the next kind's account
    kinds = list(codes)
    for i, kind in enumerate(kinds):
        other = kinds[(i + 1) % len(kinds)]
        services.post(
            idempotency_key=f"test:signs:{i}",
            kind="test",
            entries=[(codes[kind], Side.DEBIT, 100 + i), (codes[other], Side.CREDIT, 100 + i)],
        )
    rows = Entry.objects.filter(account__code__in=codes.values()).annotate(change=signed_amount_expression())
    for entry in rows.select_related("account"):
        assert entry.change == signed_amount(entry.account.kind, entry.side, entry.amount_fen)
    summed = dict(Account.objects.filter(code__in=codes.values()).annotate(b=balance_expression()).values_list("code", "b"))
    cached = dict(Account.objects.filter(code__in=codes.values()).values_list("code", "balance_fen"))
    assert summed == cached
    per_entry = Entry.objects.filter(account__code=codes[AccountKind.ASSET]).aggregate(b=Sum(signed_amount_expression()))["b"]
    assert per_entry == cached[codes[AccountKind.ASSET]]
