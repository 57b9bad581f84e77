from enum import StrEnum

from fenxiao.common.errors import DomainError


class DistributionCode(StrEnum):
    """Every code a DistributionError may carry."""

    ALREADY_DISTRIBUTOR = "already_distributor"
    APPLICATION_PENDING = "application_pending"
    AVATAR_TOO_LARGE = "avatar_too_large"
    BINDING_LOOP = "binding_loop"
    BINDING_SELF = "binding_self"
    CODE_EXHAUSTED = "code_exhausted"
    CODE_TAKEN = "code_taken"
    COMMISSION_DEPTH_EXCEEDED = "commission_depth_exceeded"
    DISTRIBUTOR_NOT_FOUND = "distributor_not_found"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_APPLICATION = "invalid_application"
    INVALID_AVATAR = "invalid_avatar"
    INVALID_CODE = "invalid_code"
    INVALID_DEPTH = "invalid_depth"
    INVALID_FEATURES = "invalid_features"
    INVALID_LEVEL = "invalid_level"
    INVALID_MODERATION = "invalid_moderation"
    INVALID_RATE = "invalid_rate"
    INVALID_SETTING = "invalid_setting"
    INVALID_SHOP_TEXT = "invalid_shop_text"
    INVALID_TRANSITION = "invalid_transition"
    LEVEL_NOT_FOUND = "level_not_found"
    NOT_DISTRIBUTOR = "not_distributor"
    POSTER_FONT_MISSING = "poster_font_missing"
    PRODUCT_NOT_ON_SHELF = "product_not_on_shelf"
    REASON_REQUIRED = "reason_required"
    SHOP_TEXT_FORBIDDEN = "shop_text_forbidden"
    STAFF_NOT_ALLOWED = "staff_not_allowed"


class DistributionError(DomainError):
    codes = DistributionCode
