"""Read-only views of commissions and the money they move: what a distributor sees of its earnings
(summary, commission orders, monthly statement) and finance's reconciliation of the commission books.
Balances come from the ledger entries; the cached balances are only compared against them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BigIntegerField, Case, Count, F, Max, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common import periods
from fenxiao.common.phone import mask_name, mask_phone
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import distributor_for_user
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import DEBIT_NORMAL_KINDS, Account, Entry, Side

from . import postings
from .errors import CommissionError
from .models import Commission, TeamBonus
from .services import (
    CASH_ACCOUNT,
    EXPENSE_ACCOUNT,
    KIND_ACCRUE,
    KIND_CANCEL,
    KIND_CLAWBACK,
    KIND_SETTLE,
    TEAM_BONUS_EXPENSE_ACCOUNT,
    WITHDRAWAL_FEE_ACCOUNT,
    available_account,
    pending_account,
    withdrawing_account,
)


@dataclass(frozen=True)
class OrderCommission:
    order_id: int
    order_number: str
    amount_fen: int
    cancelled_fen: int
    clawed_back_fen: int
    net_fen: int
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class EarningsSummary:
    pending_fen: int  # 预估收益: paid orders not yet settled
    available_fen: int  # may be below zero: then it is a debt that later earnings repay
    debt_fen: int  # what the distributor owes, 0 when the available balance is not negative
    settled_fen: int  # everything ever settled to available (before clawbacks)
    clawed_back_fen: int  # taken back by refunds after settlement
    orders: list[OrderCommission] = field(default_factory=list)


def _balance(code: str) -> int:
    if not Account.objects.filter(code=code).exists():
        return 0
    return ledger_selectors.balance(code)


def commissions_of(distributor) -> list[Commission]:
    return list(
        Commission.objects.filter(distributor_id=distributor.pk)
        .select_related("order", "order_line")
        .order_by("-order_id", "order_line_id", "depth")
    )


def order_commissions(distributor) -> list[OrderCommission]:
    """The distributor's commission on each order, newest order first."""
    by_order: dict[int, dict] = {}
    for row in commissions_of(distributor):
        item = by_order.setdefault(
            row.order_id,
            {"number": row.order.number, "amount": 0, "cancelled": 0, "clawed": 0, "statuses": []},
        )
        item["amount"] += row.amount_fen
        item["cancelled"] += row.cancelled_fen
        item["clawed"] += row.clawed_back_fen
        if row.status not in item["statuses"]:
            item["statuses"].append(row.status)
    return [
        OrderCommission(
            order_id=order_id,
            order_number=item["number"],
            amount_fen=item["amount"],
            cancelled_fen=item["cancelled"],
            clawed_back_fen=item["clawed"],
            net_fen=item["amount"] - item["cancelled"] - item["clawed"],
            statuses=tuple(item["statuses"]),
        )
        for order_id, item in by_order.items()
    ]


def earnings_summary(distributor) -> EarningsSummary:
    available = _balance(available_account(distributor.pk))
    settled = Commission.objects.filter(distributor_id=distributor.pk, status=Commission.Status.SETTLED).aggregate(
        settled=Sum(F("amount_fen") - F("cancelled_fen"), default=0),
        clawed=Sum("clawed_back_fen", default=0),
    )
    return EarningsSummary(
        pending_fen=_balance(pending_account(distributor.pk)),
        available_fen=available,
        debt_fen=max(-available, 0),
        settled_fen=settled["settled"],
        clawed_back_fen=settled["clawed"],
        orders=order_commissions(distributor),
    )


# --- what a distributor sees of its money -------------------------------------------------------
#
# Every function below runs a fixed number of queries, however many orders, commissions or ledger
# entries it returns: totals are summed in the database and the rows of a page are read in one go.

KIND_TEAM_BONUS = "team_bonus"  # posted by services.team_bonus: team-bonus expense → available
WITHDRAWAL_KIND_PREFIX = "withdrawal_"  # every posting of the withdrawals app
DISTRIBUTOR_PREFIX = "distributor:"
ROLE_SUFFIXES = {"pending": ":pending", "available": ":available", "withdrawing": ":withdrawing"}
ROLES = tuple(ROLE_SUFFIXES)
ROLE_LABELS = {"pending": _("预估收益"), "available": _("可提现"), "withdrawing": _("提现中")}
DEPTH_LABELS = {1: _("直推"), 2: _("间推")}
# The status of a commission order, for the tabs: pending while any of its commissions is; settled
# when none is pending and at least one settled; cancelled when every one was cancelled.
ORDER_STATUSES = (Commission.Status.PENDING, Commission.Status.SETTLED, Commission.Status.CANCELLED)
MAX_PAGE_SIZE = 50


def kind_label(kind: str) -> str:
    """What a posting reads like on a statement: the label its kind was registered with."""
    return postings.label(kind)


def _reward_kinds() -> set[str]:
    """Kinds that pay a distributor from an expense other than commission and team bonus."""
    rewards = set(postings.reward_expense_accounts())
    return {entry.kind for entry in postings.registered() if entry.expense_account in rewards}


def earner_for_user(user):
    """The user's distributor profile if it may see its earnings (approved, or suspended: suspension
    stops new earnings, not the view of old ones), else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    distributor = distributor_for_user(user)
    if distributor is None or distributor.status not in (Distributor.Status.APPROVED, Distributor.Status.SUSPENDED):
        return None
    return distributor


def account_codes(distributor_id: int) -> dict[str, str]:
    """The distributor's three ledger accounts by role: pending, available, withdrawing."""
    return {
        "pending": pending_account(distributor_id),
        "available": available_account(distributor_id),
        "withdrawing": withdrawing_account(distributor_id),
    }


def _credit_positive(prefix: str = ""):
    """An entry's amount signed as it moves a credit-normal account (liability, income): credits add."""
    return Case(
        When(**{f"{prefix}side": Side.CREDIT}, then=F(f"{prefix}amount_fen")),
        default=-F(f"{prefix}amount_fen"),
        output_field=BigIntegerField(),
    )


def _debit_positive(prefix: str = ""):
    """The same for a debit-normal account (asset, expense): debits add."""
    return Case(
        When(**{f"{prefix}side": Side.DEBIT}, then=F(f"{prefix}amount_fen")),
        default=-F(f"{prefix}amount_fen"),
        output_field=BigIntegerField(),
    )


def _derived_balance():
    """An account's balance summed from its entries (the source of truth), by its kind's sign."""
    return Case(
        When(kind__in=[str(k) for k in DEBIT_NORMAL_KINDS], then=Sum(_debit_positive("entries__"), default=0)),
        default=Sum(_credit_positive("entries__"), default=0),
        output_field=BigIntegerField(),
    )


def balances(codes) -> dict[str, int]:
    """The balances of these accounts summed from their entries, in one query; an account that does
    not exist (nothing was ever posted to it) counts as 0."""
    codes = list(codes)
    found = dict(
        Account.objects.filter(code__in=codes).order_by().annotate(derived=_derived_balance()).values_list("code", "derived")
    )
    return {code: int(found.get(code) or 0) for code in codes}


def parse_month(text) -> tuple[str, datetime, datetime]:
    """'2026-11' → (the label, its first local instant, the first instant of the next month), local
    being the project's time zone (Asia/Shanghai). Anything else is refused with `invalid_month`."""
    first = periods.parse_month(str(text or ""))
    if first is None:
        raise CommissionError(
            "invalid_month", gettext("月份格式应为 YYYY-MM，例如 2026-11"), {"month": str(text or "")[:20]}, status=422
        )
    since, until = periods.month_bounds(first)
    return periods.month_label(first), since, until


def _month_label(value: datetime) -> str:
    """A month truncated in local time, as YYYY-MM (some databases hand it back in UTC)."""
    if timezone.is_aware(value):
        value = value.astimezone(timezone.get_default_timezone())
    return f"{value:%Y-%m}"


def current_month(now: datetime | None = None) -> str:
    return periods.current_month(now)


# --- summary ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EarningsOverview:
    pending_fen: int  # 预估收益: the pending account (paid orders not settled yet)
    available_fen: int  # the available account; below zero it is a debt
    withdrawable_fen: int  # what may be withdrawn: the available balance, never below zero
    debt_fen: int  # −available when it is below zero, else 0: later earnings repay it first
    withdrawing_fen: int  # requested withdrawals not paid out yet
    settled_fen: int  # everything ever settled to available (after cancellations, before clawbacks)
    clawed_back_fen: int  # taken back by refunds after settlement
    team_bonus_fen: int  # team bonuses ever received
    month: str  # the current local month, YYYY-MM
    month_accrued_fen: int  # commissions accrued (as 预估收益) this month

    @property
    def in_debt(self) -> bool:
        return self.debt_fen > 0


def earnings_overview(distributor, *, now: datetime | None = None) -> EarningsOverview:
    """The distributor's money at a glance: three queries, whatever its history."""
    codes = account_codes(distributor.pk)
    found = balances(codes.values())
    pending, available, withdrawing = (found[codes[role]] for role in ROLES)
    rows = Commission.objects.filter(distributor_id=distributor.pk, status=Commission.Status.SETTLED).aggregate(
        settled=Sum(F("amount_fen") - F("cancelled_fen"), default=0),
        clawed=Sum("clawed_back_fen", default=0),
    )
    month, since, until = parse_month(current_month(now))
    posted = Entry.objects.filter(account__code__in=[codes["pending"], codes["available"]]).aggregate(
        accrued=Sum(
            _credit_positive(),
            filter=Q(account__code=codes["pending"], transaction__kind=KIND_ACCRUE, created_at__gte=since, created_at__lt=until),
            default=0,
        ),
        bonus=Sum(_credit_positive(), filter=Q(account__code=codes["available"], transaction__kind=KIND_TEAM_BONUS), default=0),
    )
    return EarningsOverview(
        pending_fen=pending,
        available_fen=available,
        withdrawable_fen=max(available, 0),
        debt_fen=max(-available, 0),
        withdrawing_fen=withdrawing,
        settled_fen=rows["settled"],
        clawed_back_fen=rows["clawed"],
        team_bonus_fen=posted["bonus"],
        month=month,
        month_accrued_fen=posted["accrued"],
    )


# --- commission orders --------------------------------------------------------------------------


@dataclass(frozen=True)
class CommissionLine:
    commission_id: int
    order_line_id: int
    product_name: str
    sku_spec: str
    quantity: int
    line_paid_fen: int
    line_refunded_fen: int
    depth: int
    depth_label: str  # 直推 / 间推
    base_fen: int  # what the buyer paid for the line: the commission's base
    mode: str  # rate / fixed
    rate_bp: int | None
    fixed_fen: int | None  # per unit, when the mode is fixed
    uncapped_fen: int  # before the margin ceiling
    amount_fen: int  # after the ceiling
    cancelled_fen: int
    clawed_back_fen: int
    net_fen: int
    status: str
    status_label: str
    capped: bool
    capped_note: str  # why the ceiling reduced it


@dataclass(frozen=True)
class CommissionOrder:
    order_id: int
    order_number: str
    order_status: str
    order_status_label: str
    ordered_at: datetime
    paid_at: datetime | None
    buyer_name: str  # masked: 张*
    buyer_phone: str  # masked: 138****1234
    is_self_purchase: bool
    status: str  # pending / settled / cancelled, see ORDER_STATUSES
    status_label: str
    amount_fen: int
    cancelled_fen: int
    clawed_back_fen: int
    net_fen: int
    capped: bool
    lines: tuple[CommissionLine, ...]


@dataclass(frozen=True)
class CommissionOrderPage:
    items: list[CommissionOrder]
    total: int
    page: int
    page_size: int
    status: str | None

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


def _order_status(statuses: set[str]) -> str:
    if Commission.Status.PENDING in statuses:
        return Commission.Status.PENDING
    if Commission.Status.SETTLED in statuses:
        return Commission.Status.SETTLED
    return Commission.Status.CANCELLED


def _commission_orders(rows: list[Commission]) -> list[CommissionOrder]:
    """Group rows (each with its order, buyer and line loaded) into orders, in first-seen order."""
    grouped: dict[int, list[Commission]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    result = []
    for commissions in grouped.values():
        order = commissions[0].order
        lines = tuple(
            CommissionLine(
                commission_id=c.pk,
                order_line_id=c.order_line_id,
                product_name=c.order_line.product_name,
                sku_spec=c.order_line.sku_spec,
                quantity=c.order_line.quantity,
                line_paid_fen=c.order_line.paid_fen,
                line_refunded_fen=c.order_line.refunded_fen,
                depth=c.depth,
                depth_label=str(DEPTH_LABELS.get(c.depth, c.depth)),
                base_fen=c.base_fen,
                mode=c.mode,
                rate_bp=c.rate_bp,
                fixed_fen=c.fixed_fen,
                uncapped_fen=c.uncapped_fen,
                amount_fen=c.amount_fen,
                cancelled_fen=c.cancelled_fen,
                clawed_back_fen=c.clawed_back_fen,
                net_fen=c.net_fen,
                status=c.status,
                status_label=str(Commission.Status(c.status).label),
                capped=c.capped,
                capped_note=c.capped_note,
            )
            for c in commissions
        )
        status = _order_status({c.status for c in commissions})
        result.append(
            CommissionOrder(
                order_id=order.pk,
                order_number=order.number,
                order_status=order.status,
                order_status_label=order.get_status_display(),
                ordered_at=order.created_at,
                paid_at=order.paid_at,
                buyer_name=mask_name(order.user.nickname),
                buyer_phone=mask_phone(order.user.phone),
                is_self_purchase=order.is_self_purchase,
                status=status,
                status_label=str(Commission.Status(status).label),
                amount_fen=sum(line.amount_fen for line in lines),
                cancelled_fen=sum(line.cancelled_fen for line in lines),
                clawed_back_fen=sum(line.clawed_back_fen for line in lines),
                net_fen=sum(line.net_fen for line in lines),
                capped=any(line.capped for line in lines),
                lines=lines,
            )
        )
    return result


def _rows_of_orders(distributor_id: int, order_ids) -> list[Commission]:
    return list(
        Commission.objects.filter(distributor_id=distributor_id, order_id__in=list(order_ids))
        .select_related("order__user", "order_line")
        .order_by("order_line_id", "depth")
    )


def commission_orders(distributor, *, status: str | None = None, page: int = 1, page_size: int = 20) -> CommissionOrderPage:
    """One page of the orders the distributor earns on, newest first (by when its commission was
    recorded), each with its lines; `status` filters by the order's commission status. Three queries."""
    if status and status not in ORDER_STATUSES:
        raise CommissionError(
            "invalid_status", gettext("状态只能是 pending、settled 或 cancelled"), {"status": str(status)[:20]}, status=422
        )
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    S = Commission.Status
    grouped = (
        Commission.objects.filter(distributor_id=distributor.pk)
        .order_by()
        .values("order_id")
        .annotate(
            n_pending=Count("id", filter=Q(status=S.PENDING)),
            n_settled=Count("id", filter=Q(status=S.SETTLED)),
            latest=Max("created_at"),
        )
    )
    if status == S.PENDING:
        grouped = grouped.filter(n_pending__gt=0)
    elif status == S.SETTLED:
        grouped = grouped.filter(n_pending=0, n_settled__gt=0)
    elif status == S.CANCELLED:
        grouped = grouped.filter(n_pending=0, n_settled=0)
    total = grouped.count()
    start = (page - 1) * page_size
    order_ids = [row["order_id"] for row in grouped.order_by("-latest", "-order_id")[start : start + page_size]]
    items = []
    if order_ids:
        by_id = {o.order_id: o for o in _commission_orders(_rows_of_orders(distributor.pk, order_ids))}
        items = [by_id[order_id] for order_id in order_ids if order_id in by_id]
    return CommissionOrderPage(items=items, total=total, page=page, page_size=page_size, status=status or None)


def commission_order(distributor, order_id: int) -> CommissionOrder | None:
    """The distributor's commissions on one order, or None when it earns nothing on it. One query."""
    found = _commission_orders(_rows_of_orders(distributor.pk, [order_id]))
    return found[0] if found else None


# --- monthly statement --------------------------------------------------------------------------


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
    def total(role, kinds=None, sign=1, prefix=None, skip_txns=frozenset()):
        amount = 0
        for row in accounts[role].rows:
            if kinds is not None and row.kind not in kinds:
                continue
            if prefix is not None and not row.kind.startswith(prefix):
                continue
            if row.transaction_id in skip_txns or row.change_fen * sign <= 0:
                continue
            amount += row.change_fen * sign
        return amount

    returned_txns = frozenset(
        row.transaction_id
        for row in accounts["available"].rows
        if row.kind.startswith(WITHDRAWAL_KIND_PREFIX) and row.change_fen > 0
    )
    return MonthTotals(
        accrued_fen=total("pending", {KIND_ACCRUE}),
        cancelled_fen=total("pending", {KIND_CANCEL}, sign=-1),
        settled_fen=total("available", {KIND_SETTLE}),
        clawed_back_fen=total("available", {KIND_CLAWBACK}, sign=-1),
        team_bonus_fen=total("available", {KIND_TEAM_BONUS}),
        rewards_fen=total("available", _reward_kinds()),
        withdrawn_fen=total("available", prefix=WITHDRAWAL_KIND_PREFIX, sign=-1),
        returned_fen=total("available", prefix=WITHDRAWAL_KIND_PREFIX),
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
    return [_month_label(m) for m in months]


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


# --- reconciliation (platform) ------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFigures:
    """The platform's commission money, all in fen. `payable` is what the platform owes its
    distributors net of their debts; the identity says every fen of expense is either still owed,
    paid out or was kept as a withdrawal fee."""

    commission_expense_fen: int
    team_bonus_expense_fen: int
    reward_expense_fen: int  # every other registered expense that pays distributors (rewards, prizes)
    pending_fen: int
    available_fen: int  # net: positive balances less debts
    debt_fen: int  # what distributors owe (the negative available balances, as a positive amount)
    withdrawing_fen: int
    paid_out_fen: int  # −CASH: cash that left for distributors
    fees_fen: int  # withdrawal-fee income

    @property
    def expense_fen(self) -> int:
        return self.commission_expense_fen + self.team_bonus_expense_fen + self.reward_expense_fen

    @property
    def payable_fen(self) -> int:
        return self.pending_fen + self.available_fen + self.withdrawing_fen

    @property
    def owed_to_distributors_fen(self) -> int:
        """Payable before netting the debts: the sum of the balances that are not below zero."""
        return self.payable_fen + self.debt_fen

    @property
    def accounted_fen(self) -> int:
        return self.payable_fen + self.paid_out_fen + self.fees_fen

    @property
    def difference_fen(self) -> int:
        return self.expense_fen - self.accounted_fen

    @property
    def identity_holds(self) -> bool:
        return self.difference_fen == 0


FIGURE_FIELDS = tuple(f for f in LedgerFigures.__dataclass_fields__)


@dataclass(frozen=True)
class RowCheck:
    """Commission rows against the ledger postings that should match them."""

    key: str
    label: str
    rows_fen: int
    ledger_fen: int

    @property
    def difference_fen(self) -> int:
        return self.rows_fen - self.ledger_fen

    @property
    def ok(self) -> bool:
        return self.difference_fen == 0


@dataclass(frozen=True)
class MonthFlow:
    month: str
    accrued_fen: int
    cancelled_fen: int
    settled_fen: int
    clawed_back_fen: int
    team_bonus_fen: int
    rewards_fen: int
    paid_out_fen: int
    fees_fen: int


@dataclass(frozen=True)
class CacheDifference:
    figure: str
    cached_fen: int
    derived_fen: int


@dataclass(frozen=True)
class Reconciliation:
    derived: LedgerFigures  # summed from the entries: the source of truth
    cached: LedgerFigures  # from the balances cached on the account rows
    checks: tuple[RowCheck, ...]
    months: tuple[MonthFlow, ...]  # newest first

    @property
    def cache_differences(self) -> list[CacheDifference]:
        return [
            CacheDifference(name, getattr(self.cached, name), getattr(self.derived, name))
            for name in FIGURE_FIELDS
            if getattr(self.cached, name) != getattr(self.derived, name)
        ]

    @property
    def ok(self) -> bool:
        return (
            self.derived.identity_holds
            and self.cached.identity_holds
            and not self.cache_differences
            and all(check.ok for check in self.checks)
        )


PLATFORM_ACCOUNTS = (EXPENSE_ACCOUNT, TEAM_BONUS_EXPENSE_ACCOUNT, CASH_ACCOUNT, WITHDRAWAL_FEE_ACCOUNT)


def _platform_accounts() -> tuple[str, ...]:
    return PLATFORM_ACCOUNTS + postings.reward_expense_accounts()


def _figures() -> tuple[LedgerFigures, LedgerFigures]:
    """(from entries, from cached balances): two queries."""
    platform = {
        code: (int(derived or 0), cached)
        for code, derived, cached in Account.objects.filter(code__in=_platform_accounts())
        .order_by()
        .annotate(derived=_derived_balance())
        .values_list("code", "derived", "balance_fen")
    }

    def pick(code, which):
        return platform.get(code, (0, 0))[which]

    def role(suffix, column, negative=False):
        condition = Q(code__endswith=suffix)
        if negative:
            condition &= Q(**{f"{column}__lt": 0})
        return Sum(column, filter=condition, default=0)

    mine = (
        Account.objects.filter(code__startswith=DISTRIBUTOR_PREFIX)
        .order_by()
        .annotate(derived=_derived_balance())
        .aggregate(
            **{
                f"{name}_{column}": role(suffix, column)
                for name, suffix in ROLE_SUFFIXES.items()
                for column in ("derived", "balance_fen")
            },
            debt_derived=role(":available", "derived", negative=True),
            debt_balance_fen=role(":available", "balance_fen", negative=True),
        )
    )
    figures = []
    for which, column in ((0, "derived"), (1, "balance_fen")):
        figures.append(
            LedgerFigures(
                commission_expense_fen=pick(EXPENSE_ACCOUNT, which),
                team_bonus_expense_fen=pick(TEAM_BONUS_EXPENSE_ACCOUNT, which),
                reward_expense_fen=sum(pick(code, which) for code in postings.reward_expense_accounts()),
                pending_fen=int(mine[f"pending_{column}"]),
                available_fen=int(mine[f"available_{column}"]),
                debt_fen=-int(mine[f"debt_{column}"]),
                withdrawing_fen=int(mine[f"withdrawing_{column}"]),
                paid_out_fen=-pick(CASH_ACCOUNT, which),
                fees_fen=pick(WITHDRAWAL_FEE_ACCOUNT, which),
            )
        )
    return figures[0], figures[1]


def _row_checks(derived: LedgerFigures) -> tuple[RowCheck, ...]:
    """Commission and team-bonus rows against the ledger: three queries."""
    S = Commission.Status
    net = F("amount_fen") - F("cancelled_fen")
    rows = Commission.objects.aggregate(
        accrued=Sum("amount_fen", default=0),
        cancelled=Sum("cancelled_fen", default=0),
        pending=Sum(net, filter=Q(status=S.PENDING), default=0),
        settled=Sum(net, filter=Q(status=S.SETTLED), default=0),
        clawed=Sum("clawed_back_fen", default=0),
        settled_net=Sum(net - F("clawed_back_fen"), filter=Q(status=S.SETTLED), default=0),
    )
    pending, available = Q(account__code__endswith=":pending"), Q(account__code__endswith=":available")
    posted = Entry.objects.filter(account__code__startswith=DISTRIBUTOR_PREFIX).aggregate(
        accrued=Sum(_credit_positive(), filter=pending & Q(transaction__kind=KIND_ACCRUE), default=0),
        cancelled=Sum(-_credit_positive(), filter=pending & Q(transaction__kind=KIND_CANCEL), default=0),
        settled=Sum(_credit_positive(), filter=available & Q(transaction__kind=KIND_SETTLE), default=0),
        clawed=Sum(-_credit_positive(), filter=available & Q(transaction__kind=KIND_CLAWBACK), default=0),
    )
    bonus_rows = TeamBonus.objects.aggregate(total=Sum("amount_fen", default=0))["total"]
    return (
        RowCheck("accrued", str(_("计提佣金")), rows["accrued"], posted["accrued"]),
        RowCheck("cancelled", str(_("结算前退款取消")), rows["cancelled"], posted["cancelled"]),
        RowCheck("pending", str(_("待结算佣金 / 预估收益账户合计")), rows["pending"], derived.pending_fen),
        RowCheck("settled", str(_("已结算佣金 / 结算记账")), rows["settled"], posted["settled"]),
        RowCheck("clawed_back", str(_("结算后退款追回")), rows["clawed"], posted["clawed"]),
        RowCheck("settled_net", str(_("已结算净额（结算 − 追回）")), rows["settled_net"], posted["settled"] - posted["clawed"]),
        RowCheck("team_bonus", str(_("团队奖励 / 团队奖励费用")), bonus_rows, derived.team_bonus_expense_fen),
    )


def _month_flows() -> tuple[MonthFlow, ...]:
    """The platform's flows per local month: one query over the entries, grouped by month."""
    tz = timezone.get_default_timezone()
    expense = Q(account__code=EXPENSE_ACCOUNT)
    grouped = (
        Entry.objects.filter(
            Q(account__code__in=_platform_accounts())
            | Q(account__code__startswith=DISTRIBUTOR_PREFIX, account__code__endswith=":available", transaction__kind=KIND_SETTLE)
        )
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(
            accrued=Sum(_debit_positive(), filter=expense & Q(transaction__kind=KIND_ACCRUE), default=0),
            cancelled=Sum(-_debit_positive(), filter=expense & Q(transaction__kind=KIND_CANCEL), default=0),
            clawed=Sum(-_debit_positive(), filter=expense & Q(transaction__kind=KIND_CLAWBACK), default=0),
            settled=Sum(_credit_positive(), filter=Q(account__code__endswith=":available", transaction__kind=KIND_SETTLE), default=0),
            bonus=Sum(_debit_positive(), filter=Q(account__code=TEAM_BONUS_EXPENSE_ACCOUNT), default=0),
            rewards=Sum(_debit_positive(), filter=Q(account__code__in=postings.reward_expense_accounts()), default=0),
            paid=Sum(-_debit_positive(), filter=Q(account__code=CASH_ACCOUNT), default=0),
            fees=Sum(_credit_positive(), filter=Q(account__code=WITHDRAWAL_FEE_ACCOUNT), default=0),
        )
        .order_by("-month")
    )
    return tuple(
        MonthFlow(
            month=_month_label(row["month"]),
            accrued_fen=row["accrued"],
            cancelled_fen=row["cancelled"],
            settled_fen=row["settled"],
            clawed_back_fen=row["clawed"],
            team_bonus_fen=row["bonus"],
            rewards_fen=row["rewards"],
            paid_out_fen=row["paid"],
            fees_fen=row["fees"],
        )
        for row in grouped
    )


def reconciliation() -> Reconciliation:
    """Finance's check of the commission books: expense = payable + paid out + fees, from the entries
    and from the cached balances; the commission rows against their postings; the flows per month.
    Six queries, however many distributors, orders or entries there are."""
    derived, cached = _figures()
    return Reconciliation(derived=derived, cached=cached, checks=_row_checks(derived), months=_month_flows())
