from fenxiao.common.errors import DomainError


class InventoryError(DomainError):
    """Codes: sold_out (409), invalid_quantity, unknown_sku (404), below_reserved (409),
    reservation_not_found (404), already_reserved (409: the reference still holds these SKUs)."""
