from fenxiao.common.errors import DomainError


class LedgerError(DomainError):
    """Codes: invalid_account_code, invalid_account_kind, account_kind_mismatch, unknown_account,
    invalid_idempotency_key, invalid_kind, invalid_memo, invalid_reference, empty_transaction,
    invalid_entry, invalid_side, invalid_amount, unbalanced, insufficient_balance,
    idempotency_mismatch, transaction_not_found, already_reversed, append_only."""
