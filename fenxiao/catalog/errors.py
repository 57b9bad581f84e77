from fenxiao.common.errors import DomainError


class CatalogError(DomainError):
    """Codes: invalid_price, price_order, invalid_override, commission_depth_exceeded, no_active_sku
    (no sellable SKU for the shelf), last_sellable_sku, invalid_product, invalid_sku, sku_code_taken (409),
    product_not_found, sku_not_found, category_not_found (404)."""
