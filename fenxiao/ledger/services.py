"""The only code that writes the ledger.

`post` writes one balanced transaction: it locks the accounts it touches in code order
(`SELECT … FOR UPDATE ORDER BY code`, so two postings can never wait on each other in a cycle),
refuses to take an account that does not allow a negative balance below zero, inserts the
transaction and its entries and moves each account's cached balance with an `F()` expression, all in
one database transaction: either everything is posted or nothing is.

Every transaction carries an idempotency key, unique in the database. Posting the same key again
returns the transaction already written (and refuses if the entries asked for differ); two
concurrent postings of one key end with one transaction, the loser of the race reading the winner's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from .errors import LedgerCode, LedgerError
from .models import Account, AccountKind, Entry, Side, Transaction, signed_amount

MAX_CODE = cast(int, Account._meta.get_field("code").max_length)
MAX_KEY = cast(int, Transaction._meta.get_field("idempotency_key").max_length)
MAX_KIND = cast(int, Transaction._meta.get_field("kind").max_length)
MAX_MEMO = cast(int, Transaction._meta.get_field("memo").max_length)
MAX_REFERENCE = cast(int, Transaction._meta.get_field("reference").max_length)
MAX_ACCOUNT_NAME = cast(int, Account._meta.get_field("name").max_length)
MAX_OWNER_TYPE = cast(int, Account._meta.get_field("owner_type").max_length)
# The largest amount one entry may carry: far above any real payment, far below BIGINT overflow
# even when many entries are summed.
MAX_AMOUNT_FEN = 10**15

REVERSAL_KIND = "reversal"
# Codes per lock query: well inside every database's limit on bound parameters.
LOCK_CHUNK = 5000
# Above this many accounts, balances move with one set-based statement instead of one UPDATE each.
SET_BASED_FROM = 2


# --- accounts -----------------------------------------------------------------------------------


def get_or_create_account(
    code: str,
    *,
    kind: str,
    name: str = "",
    allow_negative: bool = False,
    owner_type: str = "",
    owner_id: int | None = None,
) -> Account:
    """The account with this code, created with these settings if it does not exist yet. An existing
    account keeps its settings, but asking for one under another kind is refused."""
    code = _clean_code(code)
    if kind not in AccountKind.values:
        raise LedgerError(LedgerCode.INVALID_ACCOUNT_KIND, gettext("账户类别无效：%(kind)s") % {"kind": kind})
    if owner_id is not None and (isinstance(owner_id, bool) or not isinstance(owner_id, int)):
        raise LedgerError(LedgerCode.INVALID_ACCOUNT_CODE, gettext("所属对象编号必须是整数"))
    account, _created = Account.objects.get_or_create(
        code=code,
        defaults={
            "kind": kind,
            "name": (name or "")[:MAX_ACCOUNT_NAME],
            "allow_negative": bool(allow_negative),
            "owner_type": (owner_type or "")[:MAX_OWNER_TYPE],
            "owner_id": owner_id,
        },
    )
    if account.kind != kind:
        raise LedgerError(
            LedgerCode.ACCOUNT_KIND_MISMATCH,
            gettext("账户 %(code)s 已存在，类别为 %(kind)s") % {"code": code, "kind": account.kind},
            {"code": code, "kind": account.kind},
        )
    return account


def open_accounts(specs: dict[str, dict[str, Any]]) -> int:
    """Open every account in `specs` (code → the keyword arguments of `get_or_create_account`) that
    does not exist yet, with one query to look and one insert; existing ones are left as they are.
    Returns how many were opened. Safe when another transaction opens the same codes at once."""
    if not specs:
        return 0
    codes = {_clean_code(code): spec for code, spec in specs.items()}
    existing: set[str] = set()
    ordered = sorted(codes)
    for start in range(0, len(ordered), LOCK_CHUNK):
        existing.update(Account.objects.filter(code__in=ordered[start : start + LOCK_CHUNK]).values_list("code", flat=True))
    missing = []
    for code in ordered:
        if code in existing:
            continue
        spec = codes[code]
        if spec.get("kind") not in AccountKind.values:
            raise LedgerError(LedgerCode.INVALID_ACCOUNT_KIND, gettext("账户类别无效：%(kind)s") % {"kind": spec.get("kind")})
        missing.append(
            (
                code,
                str(spec["kind"]),
                str(spec.get("name") or "")[:MAX_ACCOUNT_NAME],
                bool(spec.get("allow_negative", False)),
                str(spec.get("owner_type") or "")[:MAX_OWNER_TYPE],
                spec.get("owner_id"),
            )
        )
    if missing:
        _insert_accounts(missing, timezone.now())
    return len(missing)


def _insert_accounts(rows: list[tuple[str, str, str, bool, str, int | None]], now: datetime) -> None:
    """Insert new accounts with one statement, skipping codes another transaction opened meanwhile:
    from arrays on PostgreSQL, one prepared statement run per account elsewhere (the first accrual of
    thousands of new earners opens thousands of accounts)."""
    table = connection.ops.quote_name(Account._meta.db_table)
    columns = "code, kind, name, allow_negative, owner_type, owner_id, balance_fen, created_at"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "
                "SELECT u.*, 0, %s FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::boolean[], %s::varchar[], "
                "%s::bigint[]) AS u ON CONFLICT (code) DO NOTHING",
                [now, *(list(column) for column in zip(*rows, strict=True))],
            )
        else:
            stamp = connection.ops.adapt_datetimefield_value(now)
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, 0, %s) ON CONFLICT (code) DO NOTHING",
                [(*row, stamp) for row in rows],
            )


# --- posting ------------------------------------------------------------------------------------


def post(
    *,
    idempotency_key: str,
    kind: str,
    entries: Iterable[tuple[str | Account, str, int]],
    memo: str = "",
    reference: str = "",
    actor: Any = None,
) -> Transaction:
    """Post one balanced transaction; `entries` are (account code or Account, "debit"/"credit",
    amount in fen). Returns the transaction, or the one already posted under this key."""
    return _post(idempotency_key=idempotency_key, kind=kind, entries=entries, memo=memo, reference=reference, actor=actor)


def reverse(*, transaction_id: int, idempotency_key: str, memo: str = "", actor: Any = None) -> Transaction:
    """Post the mirror image of a transaction (every debit becomes a credit and the other way round).
    The original stays as it was; a transaction can be reversed once."""
    original = Transaction.objects.filter(pk=transaction_id).first()
    if original is None:
        raise LedgerError(LedgerCode.TRANSACTION_NOT_FOUND, gettext("记账交易不存在"), status=404)
    earlier = Transaction.objects.filter(reverses=original).first()
    if earlier is not None and earlier.idempotency_key != idempotency_key:
        raise LedgerError(LedgerCode.ALREADY_REVERSED, gettext("该交易已冲正"), {"reversal_id": earlier.pk}, status=409)
    mirrored = [
        (code, Side.CREDIT if side == Side.DEBIT else Side.DEBIT, amount)
        for code, side, amount in original.entries.order_by("id").values_list("account__code", "side", "amount_fen")
    ]
    memo = memo or gettext("冲正交易 #%(id)s") % {"id": original.pk}
    return _post(
        idempotency_key=idempotency_key,
        kind=REVERSAL_KIND,
        entries=mirrored,
        memo=memo,
        reference=original.reference,
        actor=actor,
        reverses=original,
    )


def _post(
    *,
    idempotency_key: object,
    kind: object,
    entries: Any,
    memo: object,
    reference: object,
    actor: Any,
    reverses: Transaction | None = None,
) -> Transaction:
    key = _clean_text(idempotency_key, MAX_KEY, LedgerCode.INVALID_IDEMPOTENCY_KEY, required=True)
    kind = _clean_text(kind, MAX_KIND, LedgerCode.INVALID_KIND, required=True)
    memo = _clean_text(memo, MAX_MEMO, LedgerCode.INVALID_MEMO)
    reference = _clean_text(reference, MAX_REFERENCE, LedgerCode.INVALID_REFERENCE)
    rows = _clean_entries(entries)

    existing = Transaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _replayed(existing, kind, rows, reverses)
    try:
        with transaction.atomic():
            return _post_locked(key, kind, rows, memo, reference, actor, reverses)
    except IntegrityError:
        # Another posting of this key (or another reversal of this transaction) committed between
        # our check and our insert: the unique constraint refused ours.
        existing = Transaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replayed(existing, kind, rows, reverses)
        if reverses is not None and Transaction.objects.filter(reverses=reverses).exists():
            raise LedgerError(LedgerCode.ALREADY_REVERSED, gettext("该交易已冲正"), status=409) from None
        raise


@dataclass(frozen=True)
class LockedAccount:
    """What a posting needs of an account it holds locked: read as plain values, so that locking a
    hundred thousand accounts for one settlement batch builds no model instances."""

    pk: int
    code: str
    kind: str
    allow_negative: bool
    balance_fen: int


def lock_accounts(codes: Iterable[str]) -> dict[str, LockedAccount]:
    """Lock these accounts (those that exist) in code order and return them by code. Must run inside a
    transaction. Every writer locks accounts in this one order, so no two can wait on each other in a
    cycle; a caller that also locks rows of its own locks those first and the accounts last."""
    ordered = sorted(set(codes))
    accounts: dict[str, LockedAccount] = {}
    for start in range(0, len(ordered), LOCK_CHUNK):
        chunk = ordered[start : start + LOCK_CHUNK]
        rows = (
            Account.objects.select_for_update()
            .filter(code__in=chunk)
            .order_by("code")
            .values_list("pk", "code", "kind", "allow_negative", "balance_fen")
        )
        for row in rows:
            accounts[row[1]] = LockedAccount(*row)
    return accounts


def _post_locked(
    key: str,
    kind: str,
    rows: list[tuple[str, str, int]],
    memo: str,
    reference: str,
    actor: Any,
    reverses: Transaction | None,
) -> Transaction:
    codes = sorted({code for code, _side, _amount in rows})
    accounts = lock_accounts(codes)
    missing = [code for code in codes if code not in accounts]
    if missing:
        raise LedgerError(
            LedgerCode.UNKNOWN_ACCOUNT, gettext("账户不存在：%(codes)s") % {"codes": ", ".join(missing)}, {"codes": missing}
        )
    # Re-read under the locks: a posting of the same key that held them before us has committed.
    existing = Transaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _replayed(existing, kind, rows, reverses)

    deltas: dict[str, int] = defaultdict(int)
    for code, side, amount in rows:
        deltas[code] += signed_amount(accounts[code].kind, side, amount)
    for code in codes:
        account = accounts[code]
        if not account.allow_negative and account.balance_fen + deltas[code] < 0:
            raise LedgerError(
                LedgerCode.INSUFFICIENT_BALANCE,
                gettext("账户 %(code)s 余额不足") % {"code": code},
                {"code": code, "balance_fen": account.balance_fen, "change_fen": deltas[code]},
                status=409,
            )

    now = timezone.now()
    txn = Transaction(
        idempotency_key=key,
        kind=kind,
        memo=memo,
        reference=reference,
        reverses=reverses,
        created_at=now,
        created_by=actor if getattr(actor, "pk", None) is not None else None,
    )
    txn.save()
    _insert_entries(txn.pk, [(accounts[code].pk, side, amount) for code, side, amount in rows], now)
    moved = {accounts[code].pk: delta for code, delta in deltas.items() if delta}
    if len(moved) < SET_BASED_FROM:
        for account_id, delta in moved.items():
            Account.objects.filter(pk=account_id).update(balance_fen=F("balance_fen") + delta)
    else:
        _move_balances(moved)
    return txn


def _insert_entries(transaction_id: int, rows: list[tuple[int, str, int]], now: datetime) -> None:
    """Insert a transaction's entries with one statement: on PostgreSQL from arrays, elsewhere as one
    prepared statement run per entry. A settlement batch posts a hundred thousand entries at once."""
    table = connection.ops.quote_name(Entry._meta.db_table)
    columns = "transaction_id, account_id, side, amount_fen, created_at"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "
                "SELECT %s, unnest(%s::bigint[]), unnest(%s::varchar[]), unnest(%s::bigint[]), %s",
                [transaction_id, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], now],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)",
                [(transaction_id, account_id, side, amount, now) for account_id, side, amount in rows],
            )


def _move_balances(moved: dict[int, int]) -> None:
    """Add each delta to its account's cached balance in one statement (PostgreSQL) or one prepared
    statement run for every account (SQLite): a batch of a hundred thousand accounts stays fast."""
    table = connection.ops.quote_name(Account._meta.db_table)
    ids = list(moved)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS a SET balance_fen = a.balance_fen + v.delta "
                "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::bigint[]) AS delta) AS v WHERE a.id = v.id",
                [ids, [moved[i] for i in ids]],
            )
        else:
            cursor.executemany(f"UPDATE {table} SET balance_fen = balance_fen + %s WHERE id = %s", [(moved[i], i) for i in ids])


def _replayed(existing: Transaction, kind: str, rows: list[tuple[str, str, int]], reverses: Transaction | None) -> Transaction:
    """The transaction already posted under a key, if it is the one asked for again."""
    posted = Counter(existing.entries.values_list("account__code", "side", "amount_fen"))
    same_reversal = reverses is None or existing.reverses_id == reverses.pk
    if existing.kind != kind or posted != Counter(rows) or not same_reversal:
        raise LedgerError(
            LedgerCode.IDEMPOTENCY_MISMATCH,
            gettext("幂等键 %(key)s 已用于另一笔不同的记账") % {"key": existing.idempotency_key},
            {"transaction_id": existing.pk},
            status=409,
        )
    return existing


# --- validation ---------------------------------------------------------------------------------


def _clean_code(code: object) -> str:
    if not isinstance(code, str) or not code.strip() or len(code.strip()) > MAX_CODE:
        raise LedgerError(LedgerCode.INVALID_ACCOUNT_CODE, gettext("账户代码必须是 1 到 %(max)d 个字符") % {"max": MAX_CODE})
    return code.strip()


def _clean_text(value: object, max_length: int, code: LedgerCode, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise LedgerError(code, gettext("必须是文本"))
    value = value.strip()
    if required and not value:
        raise LedgerError(code, gettext("不能为空"))
    if len(value) > max_length:
        raise LedgerError(code, gettext("不能超过 %(max)d 个字符") % {"max": max_length})
    return value


def _clean_entries(entries: Any) -> list[tuple[str, str, int]]:
    if entries is None or isinstance(entries, str | bytes):
        raise LedgerError(LedgerCode.INVALID_ENTRY, gettext("分录格式无效"))
    rows: list[tuple[str, str, int]] = []
    for entry in entries:
        if not isinstance(entry, tuple | list) or len(entry) != 3:
            raise LedgerError(LedgerCode.INVALID_ENTRY, gettext("每条分录应为（账户，方向，金额）"))
        account, side, amount = entry
        code = _clean_code(account.code if isinstance(account, Account) else account)
        if side not in Side.values:
            raise LedgerError(LedgerCode.INVALID_SIDE, gettext("分录方向必须是 debit 或 credit"))
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError(LedgerCode.INVALID_AMOUNT, gettext("金额必须是整数（分）"))
        if amount <= 0 or amount > MAX_AMOUNT_FEN:
            raise LedgerError(LedgerCode.INVALID_AMOUNT, gettext("每条分录的金额必须大于 0 且不超过上限"))
        rows.append((code, str(side), int(amount)))
    if not rows:
        raise LedgerError(LedgerCode.EMPTY_TRANSACTION, gettext("记账交易至少需要一条借方和一条贷方分录"))
    debits = sum(amount for _code, side, amount in rows if side == Side.DEBIT)
    credits = sum(amount for _code, side, amount in rows if side == Side.CREDIT)
    if debits != credits:
        raise LedgerError(
            LedgerCode.UNBALANCED,
            gettext("借贷不平衡：借方 %(debits)d 分，贷方 %(credits)d 分") % {"debits": debits, "credits": credits},
            {"debits_fen": debits, "credits_fen": credits},
        )
    return rows
