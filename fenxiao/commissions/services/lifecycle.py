"""What happens to commissions after they accrued: settled early by an operator, cancelled or clawed
back by refunds. Each step locks the commission rows it moves and posts one ledger transaction under
a key that names the step, so running it again posts nothing twice; an order whose commission has
not accrued yet (the accrual job has not reached it) is accrued first, in the same transaction, so
the money comes out exactly as if it had.

- `settle_order`: pending → settled; "commission:settle:<order>" moves what is left after
  cancellations from each earner's pending account to its available account.
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
from django.utils.translation import gettext, gettext_lazy

from fenxiao.common.money import prorate
from fenxiao.common.transitions import StateMachine
from fenxiao.orders.models import Order, OrderLine

from ..errors import CommissionCode, CommissionError
from ..models import Commission
from .accounts import KIND_CANCEL, KIND_CLAWBACK, KIND_SETTLE, available_account, expense, pending_account, post_moves
from .accrual import ensure_accrued

S = Commission.Status

# The only moves a commission makes. A settled commission keeps its status when refunds claw it
# back (the clawed-back part is recorded on the row and in the ledger).
TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.SETTLED, S.CANCELLED},
    S.SETTLED: set(),
    S.CANCELLED: set(),
}
COMMISSION_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=S,
    error=CommissionError,
    code=CommissionCode.INVALID_TRANSITION,
    stamps={S.SETTLED: "settled_at"},
    detail_key="pk",
    what=gettext_lazy("佣金"),
)


@transaction.atomic
def settle_order(order: Order, *, now=None) -> list[Commission]:
    """Settle the pending commissions of one order at once, outside the schedule (an operator's
    early settlement): what refunds left of each moves from pending to available. Safe to repeat."""
    now = now or timezone.now()
    ensure_accrued(order)
    rows = list(Commission.objects.select_for_update().filter(order_id=order.pk).order_by("id"))
    for row in rows:
        if row.status == S.PENDING:
            COMMISSION_MACHINE.move(row, S.SETTLED, at=now, save=False)
            row.save(update_fields=["status", "settled_at"])
    moves: dict[int, int] = defaultdict(int)
    for row in rows:
        # Rows a settlement batch settled were posted by that batch. Clawbacks come after settlement
        # and are posted on their own; they do not change this.
        if row.status == S.SETTLED and row.settlement_batch_id is None:
            moves[row.distributor_id] += row.amount_fen - row.cancelled_fen
    post_moves(
        key=f"commission:settle:{order.pk}",
        kind=KIND_SETTLE,
        moves=moves,
        debit=pending_account,
        credit=available_account,
        memo=gettext("订单 %(number)s 佣金结算") % {"number": order.number},
        reference=order.number,
    )
    return [row for row in rows if row.status == S.SETTLED]


@transaction.atomic
def refund_line(line_id: int) -> list[Commission]:
    """Bring the commissions of a line in line with what has been refunded on it so far: cancel
    (pending) or claw back (settled) the newly due part. Safe to repeat, in any order of lines."""
    line = OrderLine.objects.select_related("order").get(pk=line_id)
    ensure_accrued(line.order)
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
                COMMISSION_MACHINE.move(row, S.CANCELLED, save=False)
                fields.append("status")
            row.save(update_fields=fields)
            cancels[row.distributor_id] += extra
        elif row.status == S.SETTLED:
            row.clawed_back_fen += extra
            row.save(update_fields=["clawed_back_fen"])
            clawbacks[row.distributor_id] += extra
    number = line.order.number
    key = f"commission:refund:{line.pk}:{line.refunded_fen}"
    post_moves(
        key=f"{key}:cancel",
        kind=KIND_CANCEL,
        moves=cancels,
        debit=pending_account,
        credit=expense,
        memo=gettext("订单 %(number)s 退款，取消佣金") % {"number": number},
        reference=number,
    )
    post_moves(
        key=f"{key}:clawback",
        kind=KIND_CLAWBACK,
        moves=clawbacks,
        debit=available_account,
        credit=expense,
        memo=gettext("订单 %(number)s 结算后退款，追回佣金") % {"number": number},
        reference=number,
    )
    return rows


@transaction.atomic
def refund_order(order: Order) -> list[Commission]:
    """A paid order refunded in full: every line's commission is cancelled (or clawed back)."""
    ensure_accrued(order)
    rows: list[Commission] = []
    for line_id in OrderLine.objects.filter(order_id=order.pk).order_by("id").values_list("pk", flat=True):
        rows.extend(refund_line(line_id))
    return rows
