"""What a distributor sees of its money at a glance: the balances, what was settled and clawed back,
its commission on each order. Every function runs a fixed number of queries, however long the
distributor's history: totals are summed in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, Q, Sum

from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import distributor_for_user
from fenxiao.ledger.models import Entry, signed_amount_expression

from ..models import Commission
from ..services import KIND_ACCRUE, available_account, pending_account
from ..services.team_bonus import KIND_TEAM_BONUS
from .accounts import ROLES, account_codes, balance_of, balances
from .months import current_month, parse_month


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
    available = balance_of(available_account(distributor.pk))
    settled = Commission.objects.filter(distributor_id=distributor.pk, status=Commission.Status.SETTLED).aggregate(
        settled=Sum(F("amount_fen") - F("cancelled_fen"), default=0),
        clawed=Sum("clawed_back_fen", default=0),
    )
    return EarningsSummary(
        pending_fen=balance_of(pending_account(distributor.pk)),
        available_fen=available,
        debt_fen=max(-available, 0),
        settled_fen=settled["settled"],
        clawed_back_fen=settled["clawed"],
        orders=order_commissions(distributor),
    )


# Who may see its earnings: approved, or suspended (suspension stops new earnings, not the view of old ones).
EARNER_STATUSES = (Distributor.Status.APPROVED, Distributor.Status.SUSPENDED)


def earner_for_user(user):
    """The user's distributor profile if it may see its earnings (one of EARNER_STATUSES), else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    distributor = distributor_for_user(user)
    if distributor is None or distributor.status not in EARNER_STATUSES:
        return None
    return distributor


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
            signed_amount_expression(),
            filter=Q(account__code=codes["pending"], transaction__kind=KIND_ACCRUE, created_at__gte=since, created_at__lt=until),
            default=0,
        ),
        bonus=Sum(
            signed_amount_expression(), filter=Q(account__code=codes["available"], transaction__kind=KIND_TEAM_BONUS), default=0
        ),
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
