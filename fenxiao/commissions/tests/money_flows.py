"""Money through real orders, and the withdrawal postings, for the earnings and reconciliation tests.

Withdrawals post from their own app; here the three moves they make are posted directly with
`withdrawal_*` kinds (request: available → withdrawing; paid: withdrawing → cash, less the fee kept
as income; returned: withdrawing → available), which is all the earnings views rely on.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.commissions import services
from fenxiao.commissions.models import TeamBonus
from fenxiao.commissions.services import (
    CASH_ACCOUNT,
    EXPENSE_ACCOUNT,
    TEAM_BONUS_EXPENSE_ACCOUNT,
    WITHDRAWAL_FEE_ACCOUNT,
    available_account,
    ensure_distributor_accounts,
    withdrawing_account,
)
from fenxiao.ledger import services as ledger
from fenxiao.orders import services as orders
from fenxiao.orders.models import AfterSale, Order, OrderLine


def received(order, buyer, operator) -> Order:
    orders.ship_order(order_id=order.pk, actor=operator, tracking_company="SF", tracking_number=f"SF{order.pk}")
    return orders.confirm_receipt(order_id=order.pk, user=buyer)


def settle(order) -> None:
    """Settle one order's commissions now, outside the schedule."""
    services.settle_order(order)


def refund(buyer, operator, line: OrderLine, amount_fen: int) -> None:
    aftersale = orders.request_aftersale(
        user=buyer, line_id=line.pk, kind=AfterSale.Kind.REFUND_ONLY, amount_fen=amount_fen, reason="少发一件"
    )
    orders.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)


def first_line(order) -> OrderLine:
    return OrderLine.objects.filter(order=order).order_by("id").first()


@contextmanager
def at(moment: datetime):
    """Everything posted inside is dated `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def accrue_direct(distributor_id: int, amount_fen: int, key: str, kind: str = services.KIND_ACCRUE):
    ensure_distributor_accounts([distributor_id])
    return ledger.post(
        idempotency_key=key,
        kind=kind,
        entries=[(EXPENSE_ACCOUNT, "debit", amount_fen), (services.pending_account(distributor_id), "credit", amount_fen)],
    )


def settle_direct(distributor_id: int, amount_fen: int, key: str):
    return ledger.post(
        idempotency_key=key,
        kind=services.KIND_SETTLE,
        entries=[
            (services.pending_account(distributor_id), "debit", amount_fen),
            (available_account(distributor_id), "credit", amount_fen),
        ],
    )


def team_bonus(distributor_id: int, amount_fen: int, key: str, month: str | None = None):
    """A team bonus posted as the team-bonus job posts it; with `month`, its row is recorded too."""
    ensure_distributor_accounts([distributor_id])
    txn = ledger.post(
        idempotency_key=key,
        kind="team_bonus",
        entries=[(TEAM_BONUS_EXPENSE_ACCOUNT, "debit", amount_fen), (available_account(distributor_id), "credit", amount_fen)],
    )
    if month is not None:
        TeamBonus.objects.create(
            distributor_id=distributor_id,
            month=month,
            level_name="合伙人",
            rate_bp=300,
            team_sales_fen=amount_fen * 100 // 3,
            amount_fen=amount_fen,
            ledger_transaction_id=txn.pk,
        )
    return txn


def withdraw(distributor_id: int, amount_fen: int, key: str):
    ensure_distributor_accounts([distributor_id])
    return ledger.post(
        idempotency_key=key,
        kind="withdrawal_request",
        entries=[
            (available_account(distributor_id), "debit", amount_fen),
            (withdrawing_account(distributor_id), "credit", amount_fen),
        ],
    )


def pay_out(distributor_id: int, amount_fen: int, key: str, fee_fen: int = 0):
    entries = [(withdrawing_account(distributor_id), "debit", amount_fen), (CASH_ACCOUNT, "credit", amount_fen - fee_fen)]
    if fee_fen:
        entries.append((WITHDRAWAL_FEE_ACCOUNT, "credit", fee_fen))
    return ledger.post(idempotency_key=key, kind="withdrawal_paid", entries=entries)


def reject(distributor_id: int, amount_fen: int, key: str):
    return ledger.post(
        idempotency_key=key,
        kind="withdrawal_return",
        entries=[
            (withdrawing_account(distributor_id), "debit", amount_fen),
            (available_account(distributor_id), "credit", amount_fen),
        ],
    )


def count_queries(func, *args, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        func(*args, **kwargs)
    return len(captured.captured_queries)
