"""The only code that writes commissions, and the ledger postings that go with them.

- `accrual`: paid orders' commissions recorded as pending, by the accrual job after the payment
  committed (`accrue_pending`), or at once for one order that must move on first (`ensure_accrued`).
- `lifecycle`: early settlement of one order, cancellation and clawback by refunds.
- `settlement`: the settlement batches on the operator's schedule.
- `team_bonus`: the monthly team bonus.
- `accounts`: the account codes and the one way this app posts a move.
"""

from .accounts import (
    CASH_ACCOUNT,
    EXPENSE_ACCOUNT,
    KIND_ACCRUE,
    KIND_CANCEL,
    KIND_CLAWBACK,
    KIND_SETTLE,
    TEAM_BONUS_EXPENSE_ACCOUNT,
    WITHDRAWAL_FEE_ACCOUNT,
    available_account,
    ensure_distributor_accounts,
    pending_account,
    withdrawing_account,
)
from .accrual import accrue_order, accrue_pending, ensure_accrued
from .lifecycle import COMMISSION_MACHINE, TRANSITIONS, refund_line, refund_order, settle_order

__all__ = [
    "CASH_ACCOUNT",
    "COMMISSION_MACHINE",
    "EXPENSE_ACCOUNT",
    "KIND_ACCRUE",
    "KIND_CANCEL",
    "KIND_CLAWBACK",
    "KIND_SETTLE",
    "TEAM_BONUS_EXPENSE_ACCOUNT",
    "TRANSITIONS",
    "WITHDRAWAL_FEE_ACCOUNT",
    "accrue_order",
    "accrue_pending",
    "available_account",
    "ensure_accrued",
    "ensure_distributor_accounts",
    "pending_account",
    "refund_line",
    "refund_order",
    "settle_order",
    "withdrawing_account",
]
