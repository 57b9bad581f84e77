"""The ledger postings of withdrawals, one key per step so that a step run twice posts once:

- "withdrawal:<id>:request": the amount leaves the distributor's available account for its
  withdrawing account;
- "withdrawal:<id>:reject" / ":cancel" / ":fail": it goes back, all of it;
- "withdrawal:<id>:paid": it leaves the withdrawing account, the net as cash paid out and the fee as
  fee income.
"""

from __future__ import annotations

from django.utils.translation import gettext

from fenxiao.commissions.services import (
    CASH_ACCOUNT,
    WITHDRAWAL_FEE_ACCOUNT,
    available_account,
    ensure_distributor_accounts,
    withdrawing_account,
)
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import Side

from ..models import Withdrawal

KIND_REQUEST = "withdrawal_request"
KIND_RETURN = "withdrawal_return"
KIND_PAID = "withdrawal_paid"


def post_request(withdrawal: Withdrawal, *, actor=None) -> None:
    ledger.post(
        idempotency_key=f"withdrawal:{withdrawal.pk}:request",
        kind=KIND_REQUEST,
        entries=[
            (available_account(withdrawal.distributor_id), Side.DEBIT, withdrawal.amount_fen),
            (withdrawing_account(withdrawal.distributor_id), Side.CREDIT, withdrawal.amount_fen),
        ],
        memo=gettext("提现申请 %(number)s") % {"number": withdrawal.number},
        reference=withdrawal.number,
        actor=actor,
    )


def post_return(withdrawal: Withdrawal, step: str, *, actor=None) -> None:
    """The whole amount back to available (`step`: reject, cancel or fail)."""
    distributor_id = withdrawal.distributor_id
    ledger.post(
        idempotency_key=f"withdrawal:{withdrawal.pk}:{step}",
        kind=KIND_RETURN,
        entries=[
            (withdrawing_account(distributor_id), Side.DEBIT, withdrawal.amount_fen),
            (available_account(distributor_id), Side.CREDIT, withdrawal.amount_fen),
        ],
        memo=gettext("提现 %(number)s 退回可提现余额") % {"number": withdrawal.number},
        reference=withdrawal.number,
        actor=actor,
    )


def post_paid(withdrawal: Withdrawal, *, actor=None) -> None:
    distributor_id = withdrawal.distributor_id
    entries = [
        (withdrawing_account(distributor_id), Side.DEBIT, withdrawal.amount_fen),
        (CASH_ACCOUNT, Side.CREDIT, withdrawal.net_fen),
    ]
    if withdrawal.fee_fen > 0:
        entries.append((WITHDRAWAL_FEE_ACCOUNT, Side.CREDIT, withdrawal.fee_fen))
    ensure_distributor_accounts([distributor_id])
    ledger.post(
        idempotency_key=f"withdrawal:{withdrawal.pk}:paid",
        kind=KIND_PAID,
        entries=entries,
        memo=gettext("提现 %(number)s 已打款") % {"number": withdrawal.number},
        reference=withdrawal.number,
        actor=actor,
    )
