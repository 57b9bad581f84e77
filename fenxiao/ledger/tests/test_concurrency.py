"""Twenty threads, each with its own connection and transaction, posting to the same accounts at once:
no posting lost, none doubled, no deadlock, no account below zero; on SQLite and PostgreSQL alike."""

from collections import Counter

import pytest

from fenxiao.ledger import selectors, services
from fenxiao.ledger.errors import LedgerError
from fenxiao.ledger.models import Transaction

from .conftest import CASH, FEES, PENDING, WALLET, fund, run_in_threads

pytestmark = pytest.mark.usefixtures("transactional_db")

THREADS = 20


def outcome(result) -> str:
    if isinstance(result, LedgerError):
        return result.code
    if isinstance(result, Exception):
        return f"{type(result).__name__}: {result}"
    return "ok"


def test_concurrent_postings_add_up_exactly(accounts):
    def work(i):
        # Each thread posts three transactions touching the same accounts in different orders.
        for n in range(3):
            legs = [(CASH, "debit", 100 + i), (PENDING, "credit", 90 + i), (FEES, "credit", 10)]
            services.post(idempotency_key=f"t{i}:{n}", kind="concurrent", entries=legs if n % 2 else legs[::-1])
        return "ok"

    results = run_in_threads(THREADS, work)
    assert Counter(map(outcome, results)) == {"ok": THREADS}
    assert Transaction.objects.count() == 3 * THREADS
    expected_pending = 3 * sum(90 + i for i in range(THREADS))
    assert selectors.balance(PENDING) == selectors.cached_balance(PENDING) == expected_pending
    assert selectors.balance(FEES) == selectors.cached_balance(FEES) == 3 * 10 * THREADS
    assert selectors.balance(CASH) == selectors.cached_balance(CASH) == expected_pending + 3 * 10 * THREADS
    assert list(selectors.violations()) == []


def test_concurrent_withdrawals_never_overdraw(accounts):
    fund(WALLET, 1000, "fund")

    def work(i):
        return services.post(
            idempotency_key=f"withdraw:{i}", kind="withdrawal", entries=[(WALLET, "debit", 100), (CASH, "credit", 100)]
        )

    results = run_in_threads(THREADS, work)
    assert Counter(map(outcome, results)) == {"ok": 10, "insufficient_balance": 10}
    assert selectors.balance(WALLET) == selectors.cached_balance(WALLET) == 0
    assert Transaction.objects.filter(kind="withdrawal").count() == 10
    assert list(selectors.violations()) == []


def test_the_same_key_from_many_threads_posts_once(accounts):
    def work(i):
        return services.post(
            idempotency_key="order:1:paid", kind="commission_pending", entries=[(CASH, "debit", 500), (PENDING, "credit", 500)]
        ).pk

    results = run_in_threads(THREADS, work)
    assert all(isinstance(r, int) for r in results), [outcome(r) for r in results]
    assert len(set(results)) == 1
    assert Transaction.objects.count() == 1
    assert selectors.balance(PENDING) == selectors.cached_balance(PENDING) == 500
