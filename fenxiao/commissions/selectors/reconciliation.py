"""Finance's reconciliation of the commission books: expense = payable + paid out + fees, from the
entries and from the cached balances; the commission rows against their postings; the flows per
month. Six queries, however many distributors, orders or entries there are."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fenxiao.ledger.models import Account, Entry, balance_expression, signed_amount_expression

from .. import postings
from ..models import Commission, TeamBonus
from ..services import (
    CASH_ACCOUNT,
    EXPENSE_ACCOUNT,
    KIND_ACCRUE,
    KIND_CANCEL,
    KIND_CLAWBACK,
    KIND_SETTLE,
    TEAM_BONUS_EXPENSE_ACCOUNT,
    WITHDRAWAL_FEE_ACCOUNT,
)
from .accounts import DISTRIBUTOR_PREFIX, ROLE_SUFFIXES
from .months import local_month_label


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
        .annotate(derived=balance_expression())
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
        .annotate(derived=balance_expression())
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
        accrued=Sum(signed_amount_expression(), filter=pending & Q(transaction__kind=KIND_ACCRUE), default=0),
        cancelled=Sum(-signed_amount_expression(), filter=pending & Q(transaction__kind=KIND_CANCEL), default=0),
        settled=Sum(signed_amount_expression(), filter=available & Q(transaction__kind=KIND_SETTLE), default=0),
        clawed=Sum(-signed_amount_expression(), filter=available & Q(transaction__kind=KIND_CLAWBACK), default=0),
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
            accrued=Sum(signed_amount_expression(), filter=expense & Q(transaction__kind=KIND_ACCRUE), default=0),
            cancelled=Sum(-signed_amount_expression(), filter=expense & Q(transaction__kind=KIND_CANCEL), default=0),
            clawed=Sum(-signed_amount_expression(), filter=expense & Q(transaction__kind=KIND_CLAWBACK), default=0),
            settled=Sum(
                signed_amount_expression(),
                filter=Q(account__code__endswith=":available", transaction__kind=KIND_SETTLE),
                default=0,
            ),
            bonus=Sum(signed_amount_expression(), filter=Q(account__code=TEAM_BONUS_EXPENSE_ACCOUNT), default=0),
            rewards=Sum(signed_amount_expression(), filter=Q(account__code__in=postings.reward_expense_accounts()), default=0),
            paid=Sum(-signed_amount_expression(), filter=Q(account__code=CASH_ACCOUNT), default=0),
            fees=Sum(signed_amount_expression(), filter=Q(account__code=WITHDRAWAL_FEE_ACCOUNT), default=0),
        )
        .order_by("-month")
    )
    return tuple(
        MonthFlow(
            month=local_month_label(row["month"]),
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
