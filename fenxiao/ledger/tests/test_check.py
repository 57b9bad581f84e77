"""`manage.py ledger_check` passes a sound ledger and names every kind of damage."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from fenxiao.ledger import services
from fenxiao.ledger.models import Account, Entry, Transaction

from .conftest import CASH, CLAWBACK, PENDING, WALLET, fund

pytestmark = pytest.mark.django_db


def run_check():
    out, err = StringIO(), StringIO()
    try:
        call_command("ledger_check", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def ledger(accounts):
    fund(PENDING, 3000, "order:1:paid")
    fund(WALLET, 1000, "settled:1")
    services.post(idempotency_key="clawback:1", kind="clawback", entries=[(CLAWBACK, "debit", 40), (CASH, "credit", 40)])
    return accounts


def insert_raw(sql: str, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def raw_transaction(key: str) -> int:
    table = Transaction._meta.db_table
    insert_raw(
        f"INSERT INTO {table} (idempotency_key, kind, memo, reference, created_at) VALUES (%s, %s, %s, %s, %s)",
        [key, "raw", "", "", timezone.now()],
    )
    return Transaction.objects.get(idempotency_key=key).pk


def raw_entry(txn_id: int, code: str, side: str, amount: int) -> None:
    insert_raw(
        f"INSERT INTO {Entry._meta.db_table} (transaction_id, account_id, side, amount_fen, created_at) VALUES (%s, %s, %s, %s, %s)",
        [txn_id, Account.objects.get(code=code).pk, side, amount, timezone.now()],
    )


def test_sound_ledger_passes(ledger):
    code, out, err = run_check()
    assert code == 0, err
    assert err == ""
    assert "5" in out and "3" in out and "6" in out  # accounts, transactions, entries
    assert "40.40" in out  # debits 3000 + 1000 + 40 fen


def test_empty_ledger_passes(db):
    assert run_check()[0] == 0


def test_corrupted_cached_balance_is_reported(ledger):
    insert_raw(f"UPDATE {Account._meta.db_table} SET balance_fen = balance_fen + 1 WHERE code = %s", [PENDING])
    code, _out, err = run_check()
    assert code == 1
    assert err.count("[cached_balance_mismatch]") == 1
    assert PENDING in err and "3001" in err and "3000" in err


def test_unbalanced_transaction_is_reported(ledger):
    txn_id = raw_transaction("raw:unbalanced")
    raw_entry(txn_id, CASH, "debit", 70)
    raw_entry(txn_id, CLAWBACK, "credit", 50)
    code, _out, err = run_check()
    assert code == 1
    assert "[unbalanced_transaction]" in err and f"#{txn_id}" in err
    assert "[ledger_unbalanced]" in err
    # The raw rows also left both cached balances behind their entries.
    assert err.count("[cached_balance_mismatch]") == 2


def test_empty_transaction_is_reported(ledger):
    txn_id = raw_transaction("raw:empty")
    code, _out, err = run_check()
    assert code == 1 and "[empty_transaction]" in err and f"#{txn_id}" in err


def test_negative_balance_on_a_non_negative_account_is_reported(ledger):
    txn_id = raw_transaction("raw:overdraw")
    raw_entry(txn_id, WALLET, "debit", 1500)
    raw_entry(txn_id, CASH, "credit", 1500)
    code, _out, err = run_check()
    assert code == 1
    assert "[negative_balance]" in err and WALLET in err and "-500" in err
    # The debt-capable account below zero is not a violation.
    assert CLAWBACK not in err
