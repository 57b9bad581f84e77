from fenxiao.common.errors import DomainError


class PaymentError(DomainError):
    """Codes: invalid_purpose, invalid_reference, invalid_amount, invalid_description, openid_required,
    unknown_provider, provider_not_configured, provider_unavailable, provider_error, already_paid,
    payment_open, payment_not_found, not_dev, not_payable, invalid_transition, not_refundable,
    refund_exceeds_paid, invalid_idempotency_key, idempotency_mismatch, no_handler, number_exhausted,
    note_required, duplicate_not_found."""
