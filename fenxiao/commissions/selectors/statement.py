"""A distributor's monthly statement: the month's entries on its three accounts with running
balances, and the month's totals by what the postings were (read from the posting registry); the
months a distributor may pick (from the month it joined to the current one) and one page of the
month's entries, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models.functions import TruncMonth
from django.utils import timezone

from fenxiao.common import periods
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Account, Entry

from .. import postings
from ..postings import PostingGroup
from ..services import KIND_ACCRUE, KIND_CANCEL, KIND_CLAWBACK, KIND_SETTLE
from ..services.team_bonus import KIND_TEAM_BONUS
from .accounts import ROLE_LABELS, ROLES, account_codes
from .months import local_month_label, parse_month

STATEMENT_PAGE_SIZE = 20


def kind_label(kind: str) -> str:
    """What a posting reads like on a statement: the label its kind was registered with."""
    return postings.label(kind)


@dataclass(frozen=True)
class AccountStatement:
    role: str  # pending / available / withdrawing
    label: str
    account_code: str
    opening_fen: int
    closing_fen: int
    rows: tuple[ledger_selectors.StatementRow, ...]


@dataclass(frozen=True)
class MonthTotals:
    accrued_fen: int = 0  # 预估收益 recorded at payment
    cancelled_fen: int = 0  # refunds before settlement
    settled_fen: int = 0  # pending → available
    clawed_back_fen: int = 0  # refunds after settlement
    team_bonus_fen: int = 0
    rewards_fen: int = 0  # invitation rewards, leaderboard prizes and other registered rewards
    withdrawn_fen: int = 0  # requested: available → withdrawing (and any fee taken with it)
    returned_fen: int = 0  # rejected requests given back to available
    paid_fen: int = 0  # paid out of withdrawing


@dataclass(frozen=True)
class MonthlyStatement:
    month: str
    since: datetime
    until: datetime
    accounts: tuple[AccountStatement, ...]
    totals: MonthTotals
    months: tuple[str, ...]  # months with any activity, newest first

    def account(self, role: str) -> AccountStatement:
        return next(a for a in self.accounts if a.role == role)


def _month_totals(accounts: dict[str, AccountStatement]) -> MonthTotals:
    payout = postings.kinds_in(PostingGroup.PAYOUT)  # registered by the app that pays distributors out

    def total(role, kinds=None, sign=1, skip_txns=frozenset()):
        amount = 0
        for row in accounts[role].rows:
            if kinds is not None and row.kind not in kinds:
                continue
            if row.transaction_id in skip_txns or row.change_fen * sign <= 0:
                continue
            amount += row.change_fen * sign
        return amount

    returned_txns = frozenset(
        row.transaction_id for row in accounts["available"].rows if row.kind in payout and row.change_fen > 0
    )
    return MonthTotals(
        accrued_fen=total("pending", {KIND_ACCRUE}),
        cancelled_fen=total("pending", {KIND_CANCEL}, sign=-1),
        settled_fen=total("available", {KIND_SETTLE}),
        clawed_back_fen=total("available", {KIND_CLAWBACK}, sign=-1),
        team_bonus_fen=total("available", {KIND_TEAM_BONUS}),
        rewards_fen=total("available", postings.kinds_in(PostingGroup.REWARD)),
        withdrawn_fen=total("available", payout, sign=-1),
        returned_fen=total("available", payout),
        paid_fen=total("withdrawing", sign=-1, skip_txns=returned_txns),
    )


def activity_months(distributor) -> list[str]:
    """The local months (YYYY-MM) in which anything was posted to the distributor's accounts, newest
    first. One query."""
    months = (
        Entry.objects.filter(account__code__in=list(account_codes(distributor.pk).values()))
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
        .order_by("-month")
        .values_list("month", flat=True)
        .distinct()
    )
    return [local_month_label(m) for m in months]


def monthly_statement(distributor, month: str) -> MonthlyStatement:
    """The month's entries on the distributor's pending, available and withdrawing accounts, each
    with its running balance (from the ledger's statement), the opening and closing balance of each
    account, the month's totals by kind and the months with activity. `month` is YYYY-MM in local
    time; a bad one raises `invalid_month`. At most eleven queries."""
    label, since, until = parse_month(month)
    codes = account_codes(distributor.pk)
    existing = set(Account.objects.filter(code__in=list(codes.values())).values_list("code", flat=True))
    accounts: dict[str, AccountStatement] = {}
    for role, code in codes.items():
        if code in existing:
            found = ledger_selectors.statement(code, since=since, until=until)
            opening, closing, rows = found.opening_balance_fen, found.closing_balance_fen, tuple(found.rows)
        else:
            opening, closing, rows = 0, 0, ()
        accounts[role] = AccountStatement(
            role=role, label=str(ROLE_LABELS[role]), account_code=code, opening_fen=opening, closing_fen=closing, rows=rows
        )
    return MonthlyStatement(
        month=label,
        since=since,
        until=until,
        accounts=tuple(accounts[role] for role in ROLES),
        totals=_month_totals(accounts),
        months=tuple(activity_months(distributor)),
    )


def statement_months(distributor, *, activity: tuple[str, ...] | list[str] = (), now: datetime | None = None) -> list[str]:
    """The months (YYYY-MM, newest first) the distributor may look at: from the local month it joined
    (its application; or its first posting, should that be earlier) to the current month. `activity`
    is `MonthlyStatement.months`, so no query is made here."""
    current = periods.local_today(now).replace(day=1)
    joined = periods.parse_month(local_month_label(distributor.applied_at)) if distributor.applied_at else None
    earliest_activity = periods.parse_month(activity[-1]) if activity else None
    first = min([month for month in (joined, earliest_activity, current) if month is not None])
    top, bottom = periods.month_index(current), periods.month_index(first)
    return [periods.month_label(periods.month_start(index)) for index in range(top, bottom - 1, -1)]


@dataclass(frozen=True)
class StatementEntry:
    role: str  # the account it was posted to: pending / available / withdrawing
    account_label: str
    label: str  # what the posting reads like
    row: ledger_selectors.StatementRow


def statement_entries(statement: MonthlyStatement) -> list[StatementEntry]:
    """Every entry of the month on the three accounts in one list, newest first (each keeps the
    running balance of its own account)."""
    entries = [
        StatementEntry(role=account.role, account_label=account.label, label=kind_label(row.kind), row=row)
        for account in statement.accounts
        for row in account.rows
    ]
    entries.sort(key=lambda entry: (entry.row.created_at, entry.row.entry_id), reverse=True)
    return entries


def statement_page(statement: MonthlyStatement, page, page_size: int = STATEMENT_PAGE_SIZE) -> Page:
    """One page of `statement_entries`; a page number out of range or malformed gives the nearest
    page. The statement is read whole (its totals need every entry), so no page costs a query more."""
    return Paginator(statement_entries(statement), max(1, min(int(page_size), 100))).get_page(page)
