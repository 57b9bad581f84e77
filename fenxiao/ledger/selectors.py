"""Read-only queries over the ledger. Balances follow the sign convention in `models`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext

from .errors import LedgerCode, LedgerError
from .models import Account, Entry, Side, Transaction, balance_expression, signed_amount


def _account(account_code: str) -> Account:
    account = Account.objects.filter(code=account_code).first()
    if account is None:
        raise LedgerError(LedgerCode.UNKNOWN_ACCOUNT, gettext("账户不存在：%(codes)s") % {"codes": account_code}, status=404)
    return account


def _derived(account: Account, entries: QuerySet[Entry]) -> int:
    totals = entries.aggregate(
        debits=Sum("amount_fen", filter=Q(side=Side.DEBIT), default=0),
        credits=Sum("amount_fen", filter=Q(side=Side.CREDIT), default=0),
    )
    return signed_amount(account.kind, Side.DEBIT, totals["debits"]) + signed_amount(account.kind, Side.CREDIT, totals["credits"])


def balance(account_code: str) -> int:
    """The balance in fen, summed from the account's entries (the source of truth)."""
    account = _account(account_code)
    return _derived(account, Entry.objects.filter(account=account))


def cached_balance(account_code: str) -> int:
    """The balance in fen kept on the account row (equal to `balance` unless the ledger is damaged)."""
    return _account(account_code).balance_fen


@dataclass(frozen=True)
class StatementRow:
    entry_id: int
    transaction_id: int
    created_at: datetime
    kind: str
    memo: str
    reference: str
    side: str
    amount_fen: int
    change_fen: int  # signed: what this entry did to the balance
    balance_fen: int  # the running balance after this entry


@dataclass
class Statement:
    account_code: str
    opening_balance_fen: int
    closing_balance_fen: int
    rows: list[StatementRow] = field(default_factory=list)

    def __iter__(self) -> Iterator[StatementRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def statement(account_code: str, since: datetime | None = None, until: datetime | None = None) -> Statement:
    """The account's entries with `since <= created_at < until` in posting order, each with the running
    balance after it; the opening balance is everything posted before `since`."""
    account = _account(account_code)
    entries = Entry.objects.filter(account=account)
    opening = _derived(account, entries.filter(created_at__lt=since)) if since is not None else 0
    window = entries
    if since is not None:
        window = window.filter(created_at__gte=since)
    if until is not None:
        window = window.filter(created_at__lt=until)
    running = opening
    rows: list[StatementRow] = []
    for entry in window.select_related("transaction").order_by("created_at", "id").iterator(chunk_size=2000):
        change = signed_amount(account.kind, entry.side, entry.amount_fen)
        running += change
        txn = entry.transaction
        rows.append(
            StatementRow(
                entry_id=entry.pk,
                transaction_id=txn.pk,
                created_at=entry.created_at,
                kind=txn.kind,
                memo=txn.memo,
                reference=txn.reference,
                side=entry.side,
                amount_fen=entry.amount_fen,
                change_fen=change,
                balance_fen=running,
            )
        )
    return Statement(account_code=account.code, opening_balance_fen=opening, closing_balance_fen=running, rows=rows)


# --- integrity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    code: str  # unbalanced_transaction, empty_transaction, invalid_entry, cached_balance_mismatch, negative_balance
    message: str
    detail: dict[str, Any]


def violations() -> Iterator[Violation]:
    """Every broken invariant of the ledger, found with a few aggregate queries (each one pass over
    the entries, grouped in the database): transactions whose debits and credits differ, transactions
    without entries, entries with an amount or side the rules forbid, accounts whose cached balance
    differs from the sum of their entries, and accounts below zero that may not be."""
    unbalanced = (
        Entry.objects.order_by()
        .values("transaction_id")
        .annotate(
            debits=Sum("amount_fen", filter=Q(side=Side.DEBIT), default=0),
            credits=Sum("amount_fen", filter=Q(side=Side.CREDIT), default=0),
        )
        .exclude(debits=F("credits"))
        .order_by("transaction_id")
    )
    for row in unbalanced.iterator(chunk_size=2000):
        yield Violation(
            "unbalanced_transaction",
            gettext("交易 #%(id)s 借贷不平衡：借方 %(debits)d 分，贷方 %(credits)d 分")
            % {"id": row["transaction_id"], "debits": row["debits"], "credits": row["credits"]},
            dict(row),
        )

    empty = Transaction.objects.order_by("id").filter(~Exists(Entry.objects.filter(transaction=OuterRef("pk"))))
    for txn_id in empty.values_list("id", flat=True).iterator(chunk_size=2000):
        yield Violation("empty_transaction", gettext("交易 #%(id)s 没有分录") % {"id": txn_id}, {"transaction_id": txn_id})

    bad_entries = Entry.objects.order_by("id").filter(Q(amount_fen__lte=0) | ~Q(side__in=Side.values))
    for entry_id, txn_id, side, amount in bad_entries.values_list("id", "transaction_id", "side", "amount_fen").iterator(
        chunk_size=2000
    ):
        yield Violation(
            "invalid_entry",
            gettext("分录 #%(id)s（交易 #%(txn)s）方向或金额无效：%(side)s %(amount)d")
            % {"id": entry_id, "txn": txn_id, "side": side, "amount": amount},
            {"entry_id": entry_id, "transaction_id": txn_id, "side": side, "amount_fen": amount},
        )

    accounts = (
        Account.objects.order_by("code")
        .annotate(derived=balance_expression())
        .filter(
            ~Q(balance_fen=F("derived")) | Q(allow_negative=False, derived__lt=0) | Q(allow_negative=False, balance_fen__lt=0)
        )
        .values("code", "balance_fen", "derived", "allow_negative")
    )
    for row in accounts.iterator(chunk_size=2000):
        if row["balance_fen"] != row["derived"]:
            yield Violation(
                "cached_balance_mismatch",
                gettext("账户 %(code)s 缓存余额 %(cached)d 分，分录合计 %(derived)d 分")
                % {"code": row["code"], "cached": row["balance_fen"], "derived": row["derived"]},
                dict(row),
            )
        if not row["allow_negative"] and min(row["balance_fen"], row["derived"]) < 0:
            yield Violation(
                "negative_balance",
                gettext("账户 %(code)s 不允许负余额，但余额为 %(balance)d 分")
                % {"code": row["code"], "balance": min(row["balance_fen"], row["derived"])},
                dict(row),
            )


def totals() -> dict[str, int]:
    """Counts and the sums of all debits and all credits (equal in a sound ledger)."""
    sums = Entry.objects.aggregate(
        debits=Sum("amount_fen", filter=Q(side=Side.DEBIT), default=0),
        credits=Sum("amount_fen", filter=Q(side=Side.CREDIT), default=0),
    )
    return {
        "accounts": Account.objects.count(),
        "transactions": Transaction.objects.count(),
        "entries": Entry.objects.count(),
        "debits_fen": sums["debits"],
        "credits_fen": sums["credits"],
    }
