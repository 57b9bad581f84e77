from enum import StrEnum

from fenxiao.common.errors import DomainError


class LogisticsCode(StrEnum):
    """Every code a LogisticsError may carry."""

    UNKNOWN_CARRIER = "unknown_carrier"
    INVALID_TRACKING_NUMBER = "invalid_tracking_number"
    TRACKING_UNAVAILABLE = "tracking_unavailable"
    CARRIER_NOT_FOUND = "carrier_not_found"
    CARRIER_TAKEN = "carrier_taken"
    INVALID_CARRIER = "invalid_carrier"


class LogisticsError(DomainError):
    codes = LogisticsCode
