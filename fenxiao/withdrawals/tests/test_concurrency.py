"""Many requests at once, each thread with its own connection and transaction: the available account is
locked before its balance is read, so requests of one distributor queue and can never overdraw it or
pass the daily cap together; one idempotency key makes one withdrawal; a result applied by several
imports at once is applied once. On SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections import Counter

import pytest

from fenxiao.commissions.services import available_account, withdrawing_account
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Transaction
from fenxiao.withdrawals import services
from fenxiao.withdrawals.errors import WithdrawalError
from fenxiao.withdrawals.models import IdentityConflict, KycRecord, PayoutResult, Withdrawal
from fenxiao.withdrawals.services import payouts
from tests.factories import DistributorFactory

from .conftest import VALID_ID, approve_batch, balance, fund, run_in_threads

pytestmark = pytest.mark.usefixtures("transactional_db")

THREADS = 20


def outcome(result) -> str:
    if isinstance(result, WithdrawalError):
        return result.code
    if isinstance(result, Exception):
        return f"{type(result).__name__}: {result}"
    return "ok"


@pytest.fixture
def rich():
    distributor = DistributorFactory()
    services.submit_kyc(distributor=distributor, real_name="王小明", id_number=VALID_ID, mobile=distributor.user.phone)
    services.get_settings()
    return distributor


def ask(distributor, amount_fen, **kwargs):
    return services.request_withdrawal(
        distributor=distributor, amount_fen=amount_fen, channel="wechat", actor=distributor.user, **kwargs
    )


def test_concurrent_requests_never_overdraw(rich):
    fund(rich, 10000)  # room for exactly ten requests of ¥10

    results = run_in_threads(THREADS, lambda i: ask(rich, 1000))
    assert Counter(map(outcome, results)) == {"ok": 10, "insufficient_balance": 10}
    assert balance(available_account(rich.pk)) == ledger_selectors.cached_balance(available_account(rich.pk)) == 0
    assert balance(withdrawing_account(rich.pk)) == 10000
    assert Withdrawal.objects.count() == 10
    assert list(ledger_selectors.violations()) == []


def test_concurrent_requests_never_pass_the_daily_cap_together(rich):
    services.update_settings(daily_cap_fen=5000)
    fund(rich, 100000)

    results = run_in_threads(THREADS, lambda i: ask(rich, 1000))
    assert Counter(map(outcome, results)) == {"ok": 5, "daily_cap_exceeded": 15}
    assert balance(withdrawing_account(rich.pk)) == 5000
    assert list(ledger_selectors.violations()) == []


def test_one_key_from_many_threads_makes_one_withdrawal(rich):
    fund(rich, 100000)

    results = run_in_threads(10, lambda i: ask(rich, 5000, idempotency_key="double-tap").pk)
    assert all(isinstance(r, int) for r in results), [outcome(r) for r in results]
    assert len(set(results)) == 1
    assert Withdrawal.objects.count() == 1
    assert Transaction.objects.filter(kind="withdrawal_request").count() == 1
    assert balance(available_account(rich.pk)) == 95000


def test_one_result_imported_by_many_at_once_is_applied_once(rich):
    fund(rich, 100000)
    finance = DistributorFactory().user
    w = ask(rich, 5000)
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    batch = approve_batch(payouts.create_batch(actor=finance))
    payouts.export_batch(batch_id=batch.pk, actor=finance, fmt="csv")
    content = f"提现单号,结果,打款流水号\n{w.number},成功,B-1\n".encode()

    results = run_in_threads(
        8, lambda i: payouts.import_results(batch_id=batch.pk, actor=finance, filename="r.csv", content=content)
    )
    summaries = [r.counts() for r in results if not isinstance(r, Exception)]
    assert len(summaries) == 8, [outcome(r) for r in results]
    assert sum(s["applied"] for s in summaries) == 1
    assert sum(s["already_applied"] for s in summaries) == 7
    assert PayoutResult.objects.count() == 1
    assert Transaction.objects.filter(kind="withdrawal_paid").count() == 1
    assert list(ledger_selectors.violations()) == []


def test_one_id_number_submitted_by_many_distributors_at_once_backs_one():
    people = [DistributorFactory() for _ in range(8)]

    def work(i):
        d = people[i]
        return services.submit_kyc(distributor=d, real_name="王小明", id_number=VALID_ID, mobile=d.user.phone).pk

    results = run_in_threads(len(people), work)
    assert Counter(map(outcome, results)) == {"ok": 1, "identity_unverifiable": 7}
    assert KycRecord.objects.count() == 1
    assert IdentityConflict.objects.count() == 7
