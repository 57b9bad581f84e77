from enum import StrEnum

from fenxiao.common.errors import DomainError


class GrowthCode(StrEnum):
    """Every code a GrowthError may carry."""

    DISTRIBUTOR_NOT_FOUND = "distributor_not_found"
    EVALUATION_RUNNING = "evaluation_running"
    INVALID_BOARD = "invalid_board"
    INVALID_FILTER = "invalid_filter"
    INVALID_MONTH = "invalid_month"
    INVALID_NOTIFICATIONS = "invalid_notifications"
    INVALID_PERIOD = "invalid_period"
    INVALID_PERIOD_KIND = "invalid_period_kind"
    INVALID_PRIZE = "invalid_prize"
    INVALID_RANGE = "invalid_range"
    INVALID_RULE = "invalid_rule"
    INVALID_RUNG = "invalid_rung"
    LEVEL_NOT_FOUND = "level_not_found"
    MONTH_NOT_CLOSED = "month_not_closed"
    NOT_DISTRIBUTOR = "not_distributor"
    PERIOD_NOT_CLOSED = "period_not_closed"
    PRIZE_CHANGED = "prize_changed"
    PRIZE_NOT_FOUND = "prize_not_found"
    PRIZE_OVERLAP = "prize_overlap"
    REWARD_AWAITING_APPROVAL = "reward_awaiting_approval"
    RUNG_CHANGED = "rung_changed"
    RUNG_NOT_FOUND = "rung_not_found"
    RUNG_NOT_REACHED = "rung_not_reached"


class GrowthError(DomainError):
    codes = GrowthCode
