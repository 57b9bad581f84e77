"""Reads of the distribution app: `network` (distributors, their tree and bindings, the reads other code
relies on being fast) and `shop` (a distributor's shop front). This package re-exports them."""

from .network import (
    APPROVED,
    DownlineCounts,
    active_binding,
    approved_distributor_by_code,
    bound_customer_count,
    commission_earners,
    direct_downline,
    distributor_for_user,
    downline_counts,
    indirect_downline,
    pending_applications,
    require_distributor,
    sale_attribution,
    upline_chain,
)
from .shop import (
    PICKER_LIMIT,
    ShopProfile,
    default_shop_name,
    feature_ids,
    featured_products,
    pickable_products,
    shop_for,
    shop_profile,
)

__all__ = [
    "APPROVED",
    "PICKER_LIMIT",
    "DownlineCounts",
    "ShopProfile",
    "active_binding",
    "approved_distributor_by_code",
    "bound_customer_count",
    "commission_earners",
    "default_shop_name",
    "direct_downline",
    "distributor_for_user",
    "downline_counts",
    "feature_ids",
    "featured_products",
    "indirect_downline",
    "pending_applications",
    "pickable_products",
    "require_distributor",
    "sale_attribution",
    "shop_for",
    "shop_profile",
    "upline_chain",
]
