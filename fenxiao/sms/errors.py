from enum import StrEnum

from fenxiao.common.errors import DomainError


class SmsCode(StrEnum):
    """Every code an SmsError may carry."""

    INVALID_CODE = "invalid_code"
    INVALID_PHONE = "invalid_phone"
    INVALID_PURPOSE = "invalid_purpose"
    SMS_UNAVAILABLE = "sms_unavailable"


class SmsError(DomainError):
    """Errors of sending and checking SMS verification codes. Too many sends raise
    `fenxiao.common.ratelimit.Throttled` (429 `throttled`)."""

    codes = SmsCode
