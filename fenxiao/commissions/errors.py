from enum import StrEnum

from fenxiao.common.errors import DomainError


class CommissionCode(StrEnum):
    """Every code a CommissionError may carry."""

    AMOUNT_CHANGED = "amount_changed"
    COMMISSION_DEPTH_EXCEEDED = "commission_depth_exceeded"
    DUPLICATE_DEPTH = "duplicate_depth"
    INVALID_CEILING = "invalid_ceiling"
    INVALID_DEPTH = "invalid_depth"
    INVALID_LINE = "invalid_line"
    INVALID_MONTH = "invalid_month"
    INVALID_OVERRIDE = "invalid_override"
    INVALID_PLAN = "invalid_plan"
    INVALID_SCHEDULE = "invalid_schedule"
    INVALID_SCOPE = "invalid_scope"
    INVALID_STATUS = "invalid_status"
    INVALID_TRANSITION = "invalid_transition"
    MONTH_NOT_CLOSED = "month_not_closed"
    NO_LEVELS = "no_levels"
    NOTHING_TO_CREDIT = "nothing_to_credit"
    ORDER_NOT_FOUND = "order_not_found"
    UNKNOWN_LEVEL = "unknown_level"
    UNKNOWN_POSTING_KIND = "unknown_posting_kind"


class CommissionError(DomainError):
    codes = CommissionCode
