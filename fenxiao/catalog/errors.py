from enum import StrEnum

from fenxiao.common.errors import DomainError


class CatalogCode(StrEnum):
    """Every code a CatalogError may carry."""

    CATEGORY_NOT_FOUND = "category_not_found"
    COMMISSION_DEPTH_EXCEEDED = "commission_depth_exceeded"
    COST_CHANGE_IN_PAST = "cost_change_in_past"
    COST_CHANGE_NOT_FOUND = "cost_change_not_found"
    INVALID_BANNER = "invalid_banner"
    INVALID_BUNDLE = "invalid_bundle"
    INVALID_COST_CHANGE = "invalid_cost_change"
    INVALID_IMAGE = "invalid_image"
    INVALID_OVERRIDE = "invalid_override"
    INVALID_PRICE = "invalid_price"
    INVALID_PRODUCT = "invalid_product"
    INVALID_SHIPPING = "invalid_shipping"
    INVALID_SKU = "invalid_sku"
    LAST_SELLABLE_SKU = "last_sellable_sku"
    NO_ACTIVE_SKU = "no_active_sku"
    PRICE_ORDER = "price_order"
    PRODUCT_NOT_FOUND = "product_not_found"
    SKU_CODE_TAKEN = "sku_code_taken"
    SKU_NOT_FOUND = "sku_not_found"
    SUPPLIER_NOT_APPROVED = "supplier_not_approved"


class CatalogError(DomainError):
    codes = CatalogCode
