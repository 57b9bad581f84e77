from enum import StrEnum

from fenxiao.common.errors import DomainError


class AnalyticsCode(StrEnum):
    """Every code an AnalyticsError may carry."""

    DISTRIBUTOR_NOT_FOUND = "distributor_not_found"
    INVALID_BOARD = "invalid_board"
    INVALID_KIND = "invalid_kind"
    INVALID_PERIOD = "invalid_period"
    INVALID_SCOPE = "invalid_scope"
    INVALID_SORT = "invalid_sort"
    NOT_IN_TEAM = "not_in_team"


class AnalyticsError(DomainError):
    codes = AnalyticsCode
