"""The only code that writes withdrawals, real-name records and withdrawal settings, and the ledger
postings that go with them: settings in `settings`, real-name verification in `kyc`, requests in
`requests`, review and payout outcomes in `review`, the ledger postings in `postings`, payout
batches and imported results in `payouts`."""

from .kyc import send_kyc_code, submit_kyc
from .postings import KIND_PAID, KIND_REQUEST, KIND_RETURN
from .requests import Quote, check_amount, new_number, quote, request_withdrawal
from .review import (
    REASON_MAX,
    TRANSITIONS,
    WITHDRAWAL_MACHINE,
    approve_withdrawal,
    cancel_withdrawal,
    mark_failed,
    mark_paid,
    reject_withdrawal,
)
from .settings import MAX_AMOUNT_FEN, SETTING_FIELDS, get_settings, update_settings, validate_settings_changes

__all__ = [
    "KIND_PAID",
    "KIND_REQUEST",
    "KIND_RETURN",
    "MAX_AMOUNT_FEN",
    "REASON_MAX",
    "SETTING_FIELDS",
    "TRANSITIONS",
    "WITHDRAWAL_MACHINE",
    "Quote",
    "approve_withdrawal",
    "cancel_withdrawal",
    "check_amount",
    "get_settings",
    "mark_failed",
    "mark_paid",
    "new_number",
    "quote",
    "reject_withdrawal",
    "request_withdrawal",
    "send_kyc_code",
    "submit_kyc",
    "update_settings",
    "validate_settings_changes",
]
