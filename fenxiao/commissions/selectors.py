"""Read-only views of a distributor's commissions. Balances come from the ledger entries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Sum

from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Account

from .models import Commission
from .services import available_account, pending_account


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
