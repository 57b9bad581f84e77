"""What other apps may hear about an order's money, without orders knowing who listens.

Each signal is sent with `send` (never `send_robust`) inside the database transaction that makes
the change, so whatever a receiver writes commits or rolls back together with the order. The
sender is the `Order` class.

- `order_paid(order)`: the order has just become PAID.
- `order_completed(order)`: the order has just become COMPLETED (its after-sales window closed).
- `order_line_refunded(order, line, amount_fen)`: a refund of `amount_fen` was booked on `line`
  (whose `refunded_fen` already includes it).
- `order_cancelled_refunded(order)`: a paid order was refunded in full; every line's
  `refunded_fen` now equals its `paid_fen`.
"""

from django.dispatch import Signal

order_paid = Signal()
order_completed = Signal()
order_line_refunded = Signal()
order_cancelled_refunded = Signal()
