"""What other apps may hear about the distributor network, without distribution knowing who listens.

- `distributor_approved(distributor)`: a distributor has just become APPROVED (admitted, reviewed,
  threshold reached or reinstated). Sent with `send` inside the transaction that approves it.
"""

from django.dispatch import Signal

distributor_approved = Signal()
