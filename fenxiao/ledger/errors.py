from enum import StrEnum

from fenxiao.common.errors import DomainError


class LedgerCode(StrEnum):
    """Every code a LedgerError may carry."""

    ACCOUNT_KIND_MISMATCH = "account_kind_mismatch"
    ALREADY_REVERSED = "already_reversed"
    APPEND_ONLY = "append_only"
    EMPTY_TRANSACTION = "empty_transaction"
    IDEMPOTENCY_MISMATCH = "idempotency_mismatch"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    INVALID_ACCOUNT_CODE = "invalid_account_code"
    INVALID_ACCOUNT_KIND = "invalid_account_kind"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_ENTRY = "invalid_entry"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    INVALID_KIND = "invalid_kind"
    INVALID_MEMO = "invalid_memo"
    INVALID_REFERENCE = "invalid_reference"
    INVALID_SIDE = "invalid_side"
    TRANSACTION_NOT_FOUND = "transaction_not_found"
    UNBALANCED = "unbalanced"
    UNKNOWN_ACCOUNT = "unknown_account"


class LedgerError(DomainError):
    codes = LedgerCode
