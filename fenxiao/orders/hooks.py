"""Who is told when an order's money changes, without orders knowing who listens.

An app that cares registers its callables once, in its AppConfig.ready() (see `fenxiao.common.hooks`):

    hooks.register("commissions", on_paid=…, on_completed=…, on_line_refunded=…, on_cancelled_refunded=…)

- `on_paid(order)`: the order has just become PAID.
- `on_completed(order)`: the order has just become COMPLETED (its after-sales window closed).
- `on_line_refunded(order, line, amount_fen)`: a refund of `amount_fen` was booked on `line` (whose
  `refunded_fen` already includes it).
- `on_cancelled_refunded(order)`: a paid order was refunded in full; every line's `refunded_fen` now
  equals its `paid_fen`.
- `on_shipment_shipped(shipment)`: one shipment of an order left (with its carrier and tracking
  number), told after the commit: e.g. to follow its parcel or to tell the buyer.

The orders app imports nobody that registers here.
"""

from __future__ import annotations

from fenxiao.common.hooks import Hooks

order_events = Hooks(
    "order", events=("on_paid", "on_completed", "on_line_refunded", "on_cancelled_refunded", "on_shipment_shipped")
)

register = order_events.register
unregister = order_events.unregister
registered = order_events.registered


def paid(order) -> None:
    order_events.fire("on_paid", order)


def completed(order) -> None:
    order_events.fire("on_completed", order)


def line_refunded(order, line, amount_fen: int) -> None:
    order_events.fire("on_line_refunded", order, line, amount_fen)


def cancelled_refunded(order) -> None:
    order_events.fire("on_cancelled_refunded", order)


def shipment_shipped(shipment) -> None:
    order_events.fire("on_shipment_shipped", shipment)
