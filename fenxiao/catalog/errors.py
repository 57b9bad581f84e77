from fenxiao.common.errors import DomainError


class CatalogError(DomainError):
    """Codes: invalid_price, price_order, invalid_override, commission_depth_exceeded, no_active_sku,
    product_not_found, sku_not_found."""
