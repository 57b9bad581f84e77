"""Posting, refusing, replaying and reversing ledger transactions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.ledger import selectors, services
from fenxiao.ledger.errors import LedgerError
from fenxiao.ledger.models import Account, AccountKind, Entry, Transaction
from tests.factories import StaffFactory

from .conftest import CASH, CLAWBACK, FEES, PENDING, WALLET, fund

pytestmark = pytest.mark.django_db


def assert_nothing_posted():
    assert not Transaction.objects.exists()
    assert not Entry.objects.exists()
    assert set(Account.objects.values_list("balance_fen", flat=True)) == {0}


def test_balanced_posting_moves_both_sides(accounts):
    txn = services.post(
        idempotency_key="order:1:paid",
        kind="commission_pending",
        entries=[(CASH, "debit", 3000), (PENDING, "credit", 3000)],
        memo="订单 1 佣金",
        reference="order:1",
    )
    assert txn.pk and txn.kind == "commission_pending" and txn.reference == "order:1"
    assert sorted(txn.entries.values_list("account__code", "side", "amount_fen")) == [
        (PENDING, "credit", 3000),
        (CASH, "debit", 3000),
    ]
    # Sign convention: an asset grows with debits, a liability with credits.
    assert selectors.balance(CASH) == selectors.cached_balance(CASH) == 3000
    assert selectors.balance(PENDING) == selectors.cached_balance(PENDING) == 3000


def test_several_legs_and_account_objects(accounts):
    fund(PENDING, 10_000, "fund")
    services.post(
        idempotency_key="settle:1",
        kind="commission_settle",
        entries=[(accounts[PENDING], "debit", 10_000), (WALLET, "credit", 9_900), (FEES, "credit", 100)],
    )
    assert selectors.balance(PENDING) == 0
    assert selectors.balance(WALLET) == 9_900
    assert selectors.balance(FEES) == 100
    assert selectors.cached_balance(FEES) == 100


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "empty_transaction"),
        ([(CASH, "debit", 100), (PENDING, "credit", 99)], "unbalanced"),
        ([(CASH, "debit", 100)], "unbalanced"),
        ([(CASH, "debit", 0), (PENDING, "credit", 0)], "invalid_amount"),
        ([(CASH, "debit", -5), (PENDING, "credit", -5)], "invalid_amount"),
        ([(CASH, "debit", 10.0), (PENDING, "credit", 10.0)], "invalid_amount"),
        ([(CASH, "debit", "10"), (PENDING, "credit", "10")], "invalid_amount"),
        ([(CASH, "debit", True), (PENDING, "credit", True)], "invalid_amount"),
        ([(CASH, "left", 10), (PENDING, "credit", 10)], "invalid_side"),
        ([(CASH, "debit", 10), ("nobody:1", "credit", 10)], "unknown_account"),
        ([(CASH, "debit", 10), ("", "credit", 10)], "invalid_account_code"),
        ([(CASH, "debit")], "invalid_entry"),
        ("debit", "invalid_entry"),
    ],
)
def test_refusals_post_nothing(accounts, entries, code):
    with pytest.raises(LedgerError) as exc:
        services.post(idempotency_key="bad", kind="test", entries=entries)
    assert exc.value.code == code
    assert_nothing_posted()


@pytest.mark.parametrize(
    ("key", "kind", "code"),
    [("", "test", "invalid_idempotency_key"), ("k" * 129, "test", "invalid_idempotency_key"), ("k", " ", "invalid_kind")],
)
def test_key_and_kind_are_required(accounts, key, kind, code):
    with pytest.raises(LedgerError) as exc:
        services.post(idempotency_key=key, kind=kind, entries=[(CASH, "debit", 1), (PENDING, "credit", 1)])
    assert exc.value.code == code
    assert_nothing_posted()


def test_same_key_returns_the_existing_transaction(accounts):
    first = fund(PENDING, 500, "order:7:paid")
    again = services.post(
        idempotency_key="order:7:paid", kind="test_fund", entries=[(PENDING, "credit", 500), (accounts[CASH], "debit", 500)]
    )
    assert again.pk == first.pk
    assert Transaction.objects.count() == 1 and Entry.objects.count() == 2
    assert selectors.cached_balance(PENDING) == selectors.balance(PENDING) == 500


@pytest.mark.parametrize(
    ("kind", "entries"),
    [
        ("test_fund", [(CASH, "debit", 501), (PENDING, "credit", 501)]),
        ("test_fund", [(CASH, "debit", 500), (WALLET, "credit", 500)]),
        ("other_kind", [(CASH, "debit", 500), (PENDING, "credit", 500)]),
    ],
)
def test_same_key_with_other_entries_is_refused(accounts, kind, entries):
    fund(PENDING, 500, "order:7:paid")
    with pytest.raises(LedgerError) as exc:
        services.post(idempotency_key="order:7:paid", kind=kind, entries=entries)
    assert exc.value.code == "idempotency_mismatch"
    assert Transaction.objects.count() == 1
    assert selectors.balance(PENDING) == 500 and selectors.balance(WALLET) == 0


def test_reverse_posts_the_mirror_image(accounts):
    original = fund(PENDING, 800, "order:9:paid")
    reversal = services.reverse(transaction_id=original.pk, idempotency_key="order:9:refund", memo="退款")
    assert reversal.pk != original.pk
    assert reversal.kind == services.REVERSAL_KIND and reversal.reverses_id == original.pk
    assert reversal.memo == "退款"
    assert sorted(reversal.entries.values_list("account__code", "side", "amount_fen")) == [
        (PENDING, "debit", 800),
        (CASH, "credit", 800),
    ]
    assert selectors.balance(PENDING) == selectors.cached_balance(PENDING) == 0
    assert selectors.balance(CASH) == selectors.cached_balance(CASH) == 0
    # The original is untouched: a correction is a new transaction.
    assert sorted(original.entries.values_list("side", flat=True)) == ["credit", "debit"]

    assert services.reverse(transaction_id=original.pk, idempotency_key="order:9:refund").pk == reversal.pk
    with pytest.raises(LedgerError) as exc:
        services.reverse(transaction_id=original.pk, idempotency_key="order:9:refund-again")
    assert exc.value.code == "already_reversed"
    with pytest.raises(LedgerError) as exc:
        services.reverse(transaction_id=999_999, idempotency_key="x")
    assert exc.value.code == "transaction_not_found"
    assert Transaction.objects.count() == 2


def test_insufficient_balance_posts_nothing(accounts):
    fund(WALLET, 500, "fund")
    with pytest.raises(LedgerError) as exc:
        services.post(
            idempotency_key="withdraw:1",
            kind="withdrawal",
            entries=[(WALLET, "debit", 600), (CASH, "credit", 600)],
        )
    assert exc.value.code == "insufficient_balance"
    assert exc.value.detail == {"code": WALLET, "balance_fen": 500, "change_fen": -600}
    assert Transaction.objects.count() == 1 and Entry.objects.count() == 2
    assert selectors.cached_balance(WALLET) == selectors.balance(WALLET) == 500
    assert selectors.cached_balance(CASH) == 500
    # Exactly the balance is fine.
    services.post(idempotency_key="withdraw:2", kind="withdrawal", entries=[(WALLET, "debit", 500), (CASH, "credit", 500)])
    assert selectors.balance(WALLET) == 0


def test_debt_capable_account_may_go_below_zero(accounts):
    fund(CLAWBACK, 100, "fund")
    services.post(idempotency_key="clawback:1", kind="clawback", entries=[(CLAWBACK, "debit", 300), (FEES, "credit", 300)])
    assert selectors.balance(CLAWBACK) == selectors.cached_balance(CLAWBACK) == -200
    fund(CLAWBACK, 250, "later-earnings")
    assert selectors.balance(CLAWBACK) == 50


def test_actor_is_recorded(accounts):
    user = StaffFactory()
    txn = services.post(idempotency_key="adj:1", kind="adjustment", entries=[(CASH, "debit", 1), (FEES, "credit", 1)], actor=user)
    assert Transaction.objects.get(pk=txn.pk).created_by == user


def test_transactions_and_entries_are_append_only(accounts):
    txn = fund(PENDING, 100, "fund")
    entry = txn.entries.first()
    txn.memo = "改过的摘要"
    for attempt in (txn.save, txn.delete, entry.save, entry.delete):
        with pytest.raises(LedgerError) as exc:
            attempt()
        assert exc.value.code == "append_only"
    for attempt in (
        lambda: Entry.objects.filter(pk=entry.pk).update(amount_fen=1),
        lambda: Entry.objects.all().delete(),
        lambda: Transaction.objects.update(memo="x"),
        lambda: Transaction.objects.all().delete(),
        lambda: Entry.objects.bulk_update([entry], ["amount_fen"]),
    ):
        with pytest.raises(LedgerError) as exc:
            attempt()
        assert exc.value.code == "append_only"
    assert Transaction.objects.get().memo == ""
    assert list(Entry.objects.values_list("amount_fen", flat=True)) == [100, 100]


def test_get_or_create_account(accounts):
    again = services.get_or_create_account(WALLET, kind=AccountKind.LIABILITY, name="另一个名字")
    assert again.pk == accounts[WALLET].pk and again.name == "可提现"
    with pytest.raises(LedgerError) as exc:
        services.get_or_create_account(WALLET, kind=AccountKind.ASSET)
    assert exc.value.code == "account_kind_mismatch"
    with pytest.raises(LedgerError) as exc:
        services.get_or_create_account("x:1", kind="cash")
    assert exc.value.code == "invalid_account_kind"
    with pytest.raises(LedgerError) as exc:
        services.get_or_create_account("  ", kind=AccountKind.ASSET)
    assert exc.value.code == "invalid_account_code"
    assert accounts[PENDING].owner_type == "distributor" and accounts[PENDING].owner_id == 42
    assert accounts[CASH].normal_side == "debit" and accounts[PENDING].normal_side == "credit"


def test_balance_of_unknown_account_is_refused(db):
    with pytest.raises(LedgerError) as exc:
        selectors.balance("nobody")
    assert exc.value.code == "unknown_account"


def test_statement_has_running_balance(accounts):
    fund(WALLET, 1000, "a")
    services.post(idempotency_key="b", kind="withdrawal", entries=[(WALLET, "debit", 300), (CASH, "credit", 300)])
    fund(WALLET, 50, "c")
    full = selectors.statement(WALLET)
    assert full.opening_balance_fen == 0
    assert [(r.kind, r.change_fen, r.balance_fen) for r in full] == [
        ("test_fund", 1000, 1000),
        ("withdrawal", -300, 700),
        ("test_fund", 50, 750),
    ]
    assert full.closing_balance_fen == 750 == selectors.balance(WALLET)

    # A window starting at the last posting: what came before is the opening balance.
    cut = Entry.objects.order_by("id").last().created_at
    window = selectors.statement(WALLET, since=cut)
    assert window.opening_balance_fen == 700 and [r.balance_fen for r in window] == [750]
    before = selectors.statement(WALLET, until=cut)
    assert len(before) == 2 and before.closing_balance_fen == 700
    later = selectors.statement(WALLET, since=timezone.now() + timedelta(days=1))
    assert len(later) == 0 and later.opening_balance_fen == later.closing_balance_fen == 750
