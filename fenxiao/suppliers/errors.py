from enum import StrEnum

from fenxiao.common.errors import DomainError


class SupplierCode(StrEnum):
    """Every code a SupplierError may carry."""

    ALREADY_SUPPLIER = "already_supplier"
    APPLICATION_NOT_FOUND = "application_not_found"
    APPLICATION_PENDING = "application_pending"
    CREDIT_CODE_TAKEN = "credit_code_taken"
    INVALID_APPLICATION = "invalid_application"
    INVALID_BANK_ACCOUNT = "invalid_bank_account"
    INVALID_CREDIT_CODE = "invalid_credit_code"
    INVALID_EVALUATION = "invalid_evaluation"
    INVALID_PHONE = "invalid_phone"
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    STAFF_NOT_ALLOWED = "staff_not_allowed"
    SUPPLIER_EXISTS = "supplier_exists"
    SUPPLIER_NOT_FOUND = "supplier_not_found"


class SupplierError(DomainError):
    codes = SupplierCode
