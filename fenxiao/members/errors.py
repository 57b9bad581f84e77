from enum import StrEnum

from fenxiao.common.errors import DomainError


class MemberCode(StrEnum):
    """Every code a MemberError may carry."""

    INVALID_POINTS = "invalid_points"
    INVALID_TIER = "invalid_tier"
    INSUFFICIENT_POINTS = "insufficient_points"
    POINTS_ALREADY_SPENT = "points_already_spent"
    TIER_IN_USE = "tier_in_use"
    TIER_NOT_FOUND = "tier_not_found"
    USER_NOT_FOUND = "user_not_found"


class MemberError(DomainError):
    codes = MemberCode
