"""The accounts commission money lives in, and the one way this app posts a move between them.

Every distributor has three liability accounts: pending (预估收益, paid orders not yet settled),
available (settled, withdrawable; below zero it is a debt that later earnings repay first) and
withdrawing (requested, not yet paid out). The platform side: commission and team-bonus expense,
cash paid out to distributors (an asset that only records outflows here, so it may go below zero)
and withdrawal-fee income.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext

from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import AccountKind, Side

EXPENSE_ACCOUNT = "platform:commission_expense"
TEAM_BONUS_EXPENSE_ACCOUNT = "platform:team_bonus_expense"
CASH_ACCOUNT = "platform:cash"
WITHDRAWAL_FEE_ACCOUNT = "platform:withdrawal_fee_income"

KIND_ACCRUE = "commission_accrue"
KIND_SETTLE = "commission_settle"
KIND_CANCEL = "commission_cancel"
KIND_CLAWBACK = "commission_clawback"


def pending_account(distributor_id: int) -> str:
    return f"distributor:{distributor_id}:pending"


def available_account(distributor_id: int) -> str:
    return f"distributor:{distributor_id}:available"


def withdrawing_account(distributor_id: int) -> str:
    return f"distributor:{distributor_id}:withdrawing"


def ensure_distributor_accounts(distributor_ids) -> None:
    """Open the platform accounts and each distributor's pending, available and withdrawing accounts
    that do not exist yet (one query when they all do). Any app that posts to them calls this first."""
    wanted: dict[str, dict[str, Any]] = {
        EXPENSE_ACCOUNT: {"kind": AccountKind.EXPENSE, "name": gettext("佣金费用")},
        TEAM_BONUS_EXPENSE_ACCOUNT: {"kind": AccountKind.EXPENSE, "name": gettext("团队奖励费用")},
        CASH_ACCOUNT: {"kind": AccountKind.ASSET, "name": gettext("付款账户（提现支出）"), "allow_negative": True},
        WITHDRAWAL_FEE_ACCOUNT: {"kind": AccountKind.INCOME, "name": gettext("提现手续费收入")},
    }
    for distributor_id in distributor_ids:
        owner = {"owner_type": "distributor", "owner_id": distributor_id}
        wanted[pending_account(distributor_id)] = {"kind": AccountKind.LIABILITY, "name": gettext("待结算佣金"), **owner}
        # Below zero means the earner owes: a clawback is never limited to what is left here.
        wanted[available_account(distributor_id)] = {
            "kind": AccountKind.LIABILITY,
            "name": gettext("可提现佣金"),
            "allow_negative": True,
            **owner,
        }
        wanted[withdrawing_account(distributor_id)] = {"kind": AccountKind.LIABILITY, "name": gettext("提现中"), **owner}
    ledger.open_accounts(wanted)


def expense(_distributor_id: int) -> str:
    return EXPENSE_ACCOUNT


def post_moves(*, key: str, kind: str, moves: dict[int, int], debit, credit, memo: str, reference: str):
    """One transaction moving `moves[distributor_id]` fen per earner: each earner's amount is debited
    from `debit(id)` and credited to `credit(id)` (either may be the shared expense account, whose
    entries are then summed into one). Returns the transaction, or None when nothing moves."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for distributor_id, amount in sorted(moves.items()):
        if amount <= 0:
            continue
        totals[(debit(distributor_id), Side.DEBIT)] += amount
        totals[(credit(distributor_id), Side.CREDIT)] += amount
    if not totals:
        return None
    ensure_distributor_accounts(sorted(moves))
    entries = [(code, side, amount) for (code, side), amount in totals.items()]
    return ledger.post(idempotency_key=key, kind=kind, entries=entries, memo=memo, reference=reference)
