"""The only code that writes the distributor network, by topic: `plan` (the operator's settings and
levels), `distributors` (admission, review, status and level), `binding` (customers bound through share
links, visits) and `shop` (a distributor's shop front). This package re-exports their public functions."""

from .binding import BindOutcome, bind_customer, open_share_link, record_visit
from .distributors import (
    DISTRIBUTOR_MACHINE,
    TRANSITIONS,
    apply_for_distributor,
    approve_distributor,
    assign_level,
    record_qualifying_purchase,
    refuse_staff_distributor,
    reinstate_distributor,
    reject_distributor,
    suspend_distributor,
)
from .plan import (
    SETTING_FIELDS,
    default_level,
    get_settings,
    save_level,
    update_settings,
    validate_commission_levels,
    validate_level_values,
    validate_settings_changes,
)
from .shop import (
    MODERATION_REASON_MAX,
    change_feature,
    clean_shop_text,
    moderate_shop,
    operator_update_shop,
    screen_text,
    set_avatar,
    set_features,
    update_shop,
)

__all__ = [
    "DISTRIBUTOR_MACHINE",
    "MODERATION_REASON_MAX",
    "SETTING_FIELDS",
    "TRANSITIONS",
    "BindOutcome",
    "apply_for_distributor",
    "approve_distributor",
    "assign_level",
    "bind_customer",
    "change_feature",
    "clean_shop_text",
    "default_level",
    "get_settings",
    "moderate_shop",
    "open_share_link",
    "operator_update_shop",
    "record_qualifying_purchase",
    "record_visit",
    "refuse_staff_distributor",
    "reinstate_distributor",
    "reject_distributor",
    "save_level",
    "screen_text",
    "set_avatar",
    "set_features",
    "suspend_distributor",
    "update_settings",
    "update_shop",
    "validate_commission_levels",
    "validate_level_values",
    "validate_settings_changes",
]
