"""Order hooks → commission steps. Registered with `fenxiao.orders.hooks` in `CommissionsConfig.ready`;
each runs in the order's own transaction, so a failure here rolls the order change back with it.

Payment does not accrue: it asks for the accrual job once the payment has committed. Every later
step accrues the order first if the job has not reached it yet (see `services.accrual`)."""

from __future__ import annotations

from . import services, tasks
from .services import settlement


def on_order_paid(order) -> None:
    tasks.accrue_after_commit()


def on_order_completed(order) -> None:
    # Settled later, by the settlement job on the operator's schedule (T+N, weekly or monthly).
    services.ensure_accrued(order)
    settlement.mark_eligible(order)


def on_order_line_refunded(order, line, amount_fen) -> None:
    services.refund_line(line.pk)


def on_order_cancelled_refunded(order) -> None:
    services.refund_order(order)


def register() -> None:
    from fenxiao.orders import hooks

    hooks.register(
        "commissions",
        on_paid=on_order_paid,
        on_completed=on_order_completed,
        on_line_refunded=on_order_line_refunded,
        on_cancelled_refunded=on_order_cancelled_refunded,
    )
