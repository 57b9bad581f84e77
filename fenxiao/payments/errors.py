from enum import StrEnum

from fenxiao.common.errors import DomainError


class PaymentCode(StrEnum):
    """Every code a PaymentError may carry."""

    ALREADY_PAID = "already_paid"
    CLIENT_IP_REQUIRED = "client_ip_required"
    DUPLICATE_NOT_FOUND = "duplicate_not_found"
    IDEMPOTENCY_MISMATCH = "idempotency_mismatch"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_DESCRIPTION = "invalid_description"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    INVALID_PURPOSE = "invalid_purpose"
    INVALID_REFERENCE = "invalid_reference"
    INVALID_TRADE_TYPE = "invalid_trade_type"
    INVALID_TRANSITION = "invalid_transition"
    NO_HANDLER = "no_handler"
    NOT_DEV = "not_dev"
    NOT_PAYABLE = "not_payable"
    NOT_REFUNDABLE = "not_refundable"
    NOTE_REQUIRED = "note_required"
    NUMBER_EXHAUSTED = "number_exhausted"
    OPENID_REQUIRED = "openid_required"
    PAYMENT_NOT_FOUND = "payment_not_found"
    PAYMENT_OPEN = "payment_open"
    PROVIDER_ERROR = "provider_error"
    PROVIDER_NOT_AVAILABLE = "provider_not_available"
    PROVIDER_NOT_CONFIGURED = "provider_not_configured"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    REFUND_EXCEEDS_PAID = "refund_exceeds_paid"
    UNKNOWN_PROVIDER = "unknown_provider"


class PaymentError(DomainError):
    codes = PaymentCode
