"""The only code that writes commissions, and the ledger postings that go with them.

Each step runs inside the transaction of the order change that causes it (see `receivers`), locks
the commission rows it moves, and posts one ledger transaction under a key that names the step, so
running a step again posts nothing twice and creates no row twice:

- `accrue_order`, at payment: a row per earner and line with a positive amount;
  "commission:accrue:<order>" debits platform commission expense and credits each earner's
  pending account.
- `settle_order`, at completion: pending → settled; "commission:settle:<order>" moves what is
  left after cancellations from each earner's pending account to its available account.
- `refund_line`, whenever a refund is booked on a line: the commission is reduced to the unrefunded
  share of the line, cumulatively, `prorate(amount, refunded, paid)` (rounded down to the fen, the
  project's one rule) being the total reduction due; a full refund takes it all. Before settlement
  the reduction cancels pending money; after it, it claws back from the available account, which may
  go below zero: the shortfall is the earner's debt, never capped at its balance.
  "commission:refund:<line>:<cumulative refunded fen>" names each posting.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.money import prorate
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import AccountKind, Side
from fenxiao.orders.models import Order, OrderLine

from ..calculator import compute_order
from ..errors import CommissionError
from ..models import Commission

S = Commission.Status

# The only moves a commission makes. A settled commission keeps its status when refunds claw it
# back (the clawed-back part is recorded on the row and in the ledger).
TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.SETTLED, S.CANCELLED},
    S.SETTLED: set(),
    S.CANCELLED: set(),
}

# Account codes. Every distributor has three liability accounts: pending (预估收益, paid orders not
# yet settled), available (settled, withdrawable; below zero it is a debt that later earnings repay
# first) and withdrawing (requested, not yet paid out). The platform side: commission and team-bonus
# expense, cash paid out to distributors (an asset that only records outflows here, so it may go below
# zero) and withdrawal-fee income.
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
    _ensure_accounts(distributor_ids)


def _ensure_accounts(distributor_ids) -> None:
    """Open the platform expense account and each earner's pending and available accounts, if they
    are not there yet (one query when they all are)."""
    wanted = {
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
            "kind": AccountKind.LIABILITY, "name": gettext("可提现佣金"), "allow_negative": True, **owner,
        }
        wanted[withdrawing_account(distributor_id)] = {"kind": AccountKind.LIABILITY, "name": gettext("提现中"), **owner}
    ledger.open_accounts(wanted)


def _transition(commission: Commission, to_status: str, *, now=None) -> None:
    if to_status not in TRANSITIONS.get(commission.status, set()):
        raise CommissionError(
            "invalid_transition",
            gettext("佣金当前状态（%(from)s）不能变为 %(to)s") % {"from": S(commission.status).label, "to": S(to_status).label},
            {"commission_id": commission.pk, "from": commission.status, "to": to_status},
            status=409,
        )
    commission.status = to_status
    if to_status == S.SETTLED:
        commission.settled_at = now or timezone.now()


def _post_moves(*, key: str, kind: str, moves: dict[int, int], debit, credit, memo: str, reference: str) -> None:
    """One transaction moving `moves[distributor_id]` fen per earner: each earner's amount is debited
    from `debit(id)` and credited to `credit(id)` (either may be the shared expense account, whose
    entries are then summed into one)."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for distributor_id, amount in sorted(moves.items()):
        if amount <= 0:
            continue
        totals[(debit(distributor_id), Side.DEBIT)] += amount
        totals[(credit(distributor_id), Side.CREDIT)] += amount
    if not totals:
        return
    _ensure_accounts(sorted(moves))
    entries = [(code, side, amount) for (code, side), amount in totals.items()]
    ledger.post(idempotency_key=key, kind=kind, entries=entries, memo=memo, reference=reference)


def _expense(_distributor_id: int) -> str:
    return EXPENSE_ACCOUNT


@transaction.atomic
def accrue_order(order: Order) -> list[Commission]:
    """Record the commissions of a paid order as pending. Safe to repeat: rows already there are
    kept as they are and their posting is only checked against the ledger."""
    rows = list(Commission.objects.select_for_update().filter(order_id=order.pk).order_by("id"))
    if not rows:
        new = []
        for result in compute_order(order):
            for earner in result.earners:
                if earner.distributor_id is None or earner.amount_fen <= 0:
                    continue
                new.append(
                    Commission(
                        order_id=order.pk,
                        order_line_id=result.line_id,
                        distributor_id=earner.distributor_id,
                        depth=earner.depth,
                        base_fen=result.base_fen,
                        source=earner.source,
                        mode=earner.mode,
                        rate_bp=earner.rate_bp,
                        fixed_fen=earner.fixed_fen,
                        uncapped_fen=earner.uncapped_fen,
                        amount_fen=earner.amount_fen,
                        capped=result.capped,
                        capped_note=result.explanation[:200],
                    )
                )
        rows = Commission.objects.bulk_create(new)
    moves: dict[int, int] = defaultdict(int)
    for row in rows:
        moves[row.distributor_id] += row.amount_fen
    _post_moves(
        key=f"commission:accrue:{order.pk}", kind=KIND_ACCRUE, moves=moves,
        debit=_expense, credit=pending_account,
        memo=gettext("订单 %(number)s 预估佣金") % {"number": order.number}, reference=order.number,
    )
    return rows


@transaction.atomic
def settle_order(order: Order, *, now=None) -> list[Commission]:
    """Settle the pending commissions of one order at once, outside the schedule (an operator's
    early settlement): what refunds left of each moves from pending to available. Safe to repeat."""
    now = now or timezone.now()
    rows = list(Commission.objects.select_for_update().filter(order_id=order.pk).order_by("id"))
    for row in rows:
        if row.status == S.PENDING:
            _transition(row, S.SETTLED, now=now)
            row.save(update_fields=["status", "settled_at"])
    moves: dict[int, int] = defaultdict(int)
    for row in rows:
        # Rows a settlement batch settled were posted by that batch. Clawbacks come after settlement
        # and are posted on their own; they do not change this.
        if row.status == S.SETTLED and row.settlement_batch_id is None:
            moves[row.distributor_id] += row.amount_fen - row.cancelled_fen
    _post_moves(
        key=f"commission:settle:{order.pk}", kind=KIND_SETTLE, moves=moves,
        debit=pending_account, credit=available_account,
        memo=gettext("订单 %(number)s 佣金结算") % {"number": order.number}, reference=order.number,
    )
    return [row for row in rows if row.status == S.SETTLED]


@transaction.atomic
def refund_line(line_id: int) -> list[Commission]:
    """Bring the commissions of a line in line with what has been refunded on it so far: cancel
    (pending) or claw back (settled) the newly due part. Safe to repeat, in any order of lines."""
    line = OrderLine.objects.select_related("order").get(pk=line_id)
    rows = list(Commission.objects.select_for_update().filter(order_line_id=line.pk).order_by("id"))
    if not rows or line.paid_fen <= 0:
        return rows
    cancels: dict[int, int] = defaultdict(int)
    clawbacks: dict[int, int] = defaultdict(int)
    for row in rows:
        due = prorate(row.amount_fen, min(line.refunded_fen, line.paid_fen), line.paid_fen)
        extra = due - row.cancelled_fen - row.clawed_back_fen
        if extra <= 0:
            continue
        if row.status == S.PENDING:
            row.cancelled_fen += extra
            fields = ["cancelled_fen"]
            if row.cancelled_fen == row.amount_fen:
                _transition(row, S.CANCELLED)
                fields.append("status")
            row.save(update_fields=fields)
            cancels[row.distributor_id] += extra
        elif row.status == S.SETTLED:
            row.clawed_back_fen += extra
            row.save(update_fields=["clawed_back_fen"])
            clawbacks[row.distributor_id] += extra
    number = line.order.number
    key = f"commission:refund:{line.pk}:{line.refunded_fen}"
    _post_moves(
        key=f"{key}:cancel", kind=KIND_CANCEL, moves=cancels, debit=pending_account, credit=_expense,
        memo=gettext("订单 %(number)s 退款，取消佣金") % {"number": number}, reference=number,
    )
    _post_moves(
        key=f"{key}:clawback", kind=KIND_CLAWBACK, moves=clawbacks, debit=available_account, credit=_expense,
        memo=gettext("订单 %(number)s 结算后退款，追回佣金") % {"number": number}, reference=number,
    )
    return rows


@transaction.atomic
def refund_order(order: Order) -> list[Commission]:
    """A paid order refunded in full: every line's commission is cancelled (or clawed back)."""
    rows: list[Commission] = []
    for line_id in OrderLine.objects.filter(order_id=order.pk).order_by("id").values_list("pk", flat=True):
        rows.extend(refund_line(line_id))
    return rows
