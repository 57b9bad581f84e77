"""Order signals → commission steps. Connected in `CommissionsConfig.ready`; each receiver runs in
the order's own transaction, so a failure here rolls the order change back with it."""

from __future__ import annotations

from . import services
from .services import settlement


def on_order_paid(sender, order, **kwargs) -> None:
    services.accrue_order(order)


def on_order_completed(sender, order, **kwargs) -> None:
    # Settled later, by the settlement job on the operator's schedule (T+N, weekly or monthly).
    settlement.mark_eligible(order)


def on_order_line_refunded(sender, order, line, amount_fen, **kwargs) -> None:
    services.refund_line(line.pk)


def on_order_cancelled_refunded(sender, order, **kwargs) -> None:
    services.refund_order(order)


def connect() -> None:
    from fenxiao.orders import signals

    signals.order_paid.connect(on_order_paid, dispatch_uid="commissions.order_paid")
    signals.order_completed.connect(on_order_completed, dispatch_uid="commissions.order_completed")
    signals.order_line_refunded.connect(on_order_line_refunded, dispatch_uid="commissions.order_line_refunded")
    signals.order_cancelled_refunded.connect(on_order_cancelled_refunded, dispatch_uid="commissions.order_cancelled_refunded")
