from enum import StrEnum

from fenxiao.common.errors import DomainError


class SupplierCode(StrEnum):
    """Every code a SupplierError may carry."""

    INVALID_PHONE = "invalid_phone"
    SUPPLIER_EXISTS = "supplier_exists"


class SupplierError(DomainError):
    codes = SupplierCode
