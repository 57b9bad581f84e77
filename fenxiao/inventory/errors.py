from enum import StrEnum

from fenxiao.common.errors import DomainError


class InventoryCode(StrEnum):
    """Every code an InventoryError may carry."""

    ALREADY_RESERVED = "already_reserved"
    BATCH_MISMATCH = "batch_mismatch"
    BELOW_RESERVED = "below_reserved"
    INVALID_BATCH = "invalid_batch"
    INVALID_FILE = "invalid_file"
    INVALID_QUANTITY = "invalid_quantity"
    RESERVATION_NOT_FOUND = "reservation_not_found"
    SOLD_OUT = "sold_out"
    UNKNOWN_BATCH = "unknown_batch"
    UNKNOWN_SKU = "unknown_sku"


class InventoryError(DomainError):
    codes = InventoryCode
