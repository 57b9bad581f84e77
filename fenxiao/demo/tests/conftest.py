from __future__ import annotations

import itertools

import pytest

from fenxiao.commissions.services import EXPENSE_ACCOUNT, available_account, ensure_distributor_accounts
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger import services as ledger

_keys = itertools.count(1)


def fund(distributor, amount_fen: int) -> None:
    """Settled commission: platform expense → the distributor's available account."""
    ensure_distributor_accounts([distributor.pk])
    ledger.post(
        idempotency_key=f"test:demo-fund:{next(_keys)}",
        kind="test_fund",
        entries=[(EXPENSE_ACCOUNT, "debit", amount_fen), (available_account(distributor.pk), "credit", amount_fen)],
    )


@pytest.fixture
def ledger_sound(db):
    """The ledger's invariants hold after the test, whatever it did."""
    yield
    assert list(ledger_selectors.violations()) == []
