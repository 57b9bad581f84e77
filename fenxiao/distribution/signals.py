"""What other apps may hear about the distributor network, without distribution knowing who listens.

- `distributor_applied(distributor)`: a user has just applied to become a distributor (for the first
  time, or again after a rejection). Sent with `send` inside the applying transaction, after the
  distributor row is saved and before `distributor_approved` when admission is open.
- `distributor_approved(distributor)`: a distributor has just become APPROVED (admitted, reviewed,
  threshold reached or reinstated). Sent with `send` inside the transaction that approves it.
- `shop_moderated(shop, fields, reason)`: the operator reset fields of a distributor's shop that broke
  the rules ("name", "welcome", "avatar"), for the reason given. Sent inside the resetting transaction.
"""

from django.dispatch import Signal

distributor_applied = Signal()
distributor_approved = Signal()
shop_moderated = Signal()
