from enum import StrEnum

from fenxiao.common.errors import DomainError


class SupplyCode(StrEnum):
    """Every code a SupplyError may carry."""

    NOT_SUPPLIER = "not_supplier"
    SHIPMENT_NOT_FOUND = "shipment_not_found"
    SHIPMENT_NOT_OPEN = "shipment_not_open"
    EXCEPTION_OPEN = "exception_open"
    EXCEPTION_NOT_FOUND = "exception_not_found"
    EXCEPTION_RESOLVED = "exception_resolved"
    AFTERSALE_NOT_FOUND = "aftersale_not_found"
    SKU_NOT_FOUND = "sku_not_found"
    INVALID_FILE = "invalid_file"
    # scorecard and samples
    INVALID_MONTH = "invalid_month"
    SUPPLIER_NOT_FOUND = "supplier_not_found"
    SAMPLE_QUOTA_EXCEEDED = "sample_quota_exceeded"
    SAMPLE_REQUEST_NOT_FOUND = "sample_request_not_found"
    SAMPLE_NOT_SELLABLE = "sample_not_sellable"
    INVALID_SAMPLE_REQUEST = "invalid_sample_request"
    INVALID_TRANSITION = "invalid_transition"
    # settlement
    STATEMENT_NOT_FOUND = "statement_not_found"
    STATEMENT_ALREADY_CONFIRMED = "statement_already_confirmed"
    NOTHING_TO_PAY = "nothing_to_pay"
    BATCH_NOT_FOUND = "batch_not_found"
    BATCH_NOT_APPROVED = "batch_not_approved"
    BATCH_NOT_EXPORTED = "batch_not_exported"
    UNKNOWN_STATEMENT = "unknown_statement"
    NOT_IN_BATCH = "not_in_batch"
    INVALID_RESULT = "invalid_result"


class SupplyError(DomainError):
    codes = SupplyCode
