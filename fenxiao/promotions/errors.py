from enum import StrEnum

from fenxiao.common.errors import DomainError


class PromotionCode(StrEnum):
    """Every code a PromotionError may carry."""

    ACTIVITY_ENDED = "activity_ended"
    ACTIVITY_LIMIT_REACHED = "activity_limit_reached"
    ACTIVITY_NOT_FOUND = "activity_not_found"
    ACTIVITY_NOT_STARTED = "activity_not_started"
    ACTIVITY_NO_COUPON = "activity_no_coupon"
    ACTIVITY_NO_POINTS = "activity_no_points"
    ACTIVITY_OVERLAP = "activity_overlap"
    ACTIVITY_PAUSED = "activity_paused"
    ACTIVITY_SKU_NOT_INCLUDED = "activity_sku_not_included"
    ACTIVITY_SOLD_OUT = "activity_sold_out"
    ALREADY_HELPED = "already_helped"
    ALREADY_IN_GROUP = "already_in_group"
    BARGAIN_ENDED = "bargain_ended"
    BARGAIN_NOT_AT_FLOOR = "bargain_not_at_floor"
    BARGAIN_NOT_FOUND = "bargain_not_found"
    BARGAIN_OPEN = "bargain_open"
    DAILY_HELP_LIMIT = "daily_help_limit"
    GROUP_ENDED = "group_ended"
    GROUP_FULL = "group_full"
    GROUP_NOT_FOUND = "group_not_found"
    HELP_NEEDS_ACCOUNT = "help_needs_account"
    SELF_HELP = "self_help"
    SHARE_TEXT_REFUSED = "share_text_refused"
    COUPON_ALREADY_USED = "coupon_already_used"
    COUPON_EXPIRED = "coupon_expired"
    COUPON_NOT_FOUND = "coupon_not_found"
    COUPON_NOT_STARTED = "coupon_not_started"
    COUPON_NOT_USABLE = "coupon_not_usable"
    COUPON_OUT_OF_SCOPE = "coupon_out_of_scope"
    COUPON_RESERVED = "coupon_reserved"
    COUPON_SOLD_OUT = "coupon_sold_out"
    COUPON_THRESHOLD_NOT_MET = "coupon_threshold_not_met"
    COUPON_UNAVAILABLE = "coupon_unavailable"
    INVALID_POINTS = "invalid_points"
    INVALID_PROMOTION = "invalid_promotion"
    INVALID_TRANSITION = "invalid_transition"
    MALL_ITEM_NOT_FOUND = "mall_item_not_found"
    MALL_ITEM_UNAVAILABLE = "mall_item_unavailable"
    MALL_LIMIT = "mall_limit"
    MALL_SOLD_OUT = "mall_sold_out"
    NOT_DELIVERABLE = "not_deliverable"
    NOT_ENOUGH_POINTS = "not_enough_points"
    PAY_AMOUNT_NOT_POSITIVE = "pay_amount_not_positive"
    PER_PERSON_LIMIT = "per_person_limit"
    POINTS_OVER_LIMIT = "points_over_limit"
    PROMOTION_NOT_FOUND = "promotion_not_found"
    REASON_REQUIRED = "reason_required"


class PromotionError(DomainError):
    codes = PromotionCode
