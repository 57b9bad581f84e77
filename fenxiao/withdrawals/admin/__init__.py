"""Finance's admin for withdrawals. Nothing here writes a status or money directly: approving,
rejecting, batching, exporting and importing results call the services, which write the timelines and
the ledger. ID and account numbers appear only masked; the full account numbers leave only in the
payout file, for users with the export permission.

The modules: `withdrawals` (review), `batches` (payout batches), `identity` (real-name records and
conflicts), `settings`, `transfers` (WeChat merchant transfers). Each registers its own model admins."""

from .batches import PayoutBatchAdmin
from .identity import IdentityConflictAdmin, KycRecordAdmin
from .settings import WithdrawalSettingsAdmin
from .transfers import TransferBillAdmin
from .withdrawals import WithdrawalAdmin

__all__ = [
    "IdentityConflictAdmin",
    "KycRecordAdmin",
    "PayoutBatchAdmin",
    "TransferBillAdmin",
    "WithdrawalAdmin",
    "WithdrawalSettingsAdmin",
]
