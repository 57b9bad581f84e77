from fenxiao.common.errors import DomainError


class CatalogError(DomainError):
    """Codes: invalid_price, price_order, insufficient_stock, invalid_override, commission_depth_exceeded,
    product_not_found, sku_not_found."""
