from enum import StrEnum

from fenxiao.common.errors import DomainError


class AccountCode(StrEnum):
    """Every code an AccountError may carry."""

    AGREEMENT_OUTDATED = "agreement_outdated"
    CONSENT_REQUIRED = "consent_required"
    FORBIDDEN = "forbidden"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_NICKNAME = "invalid_nickname"
    INVALID_PHONE = "invalid_phone"
    PHONE_TAKEN = "phone_taken"
    WEAK_PASSWORD = "weak_password"
    WRONG_PASSWORD = "wrong_password"


class AccountError(DomainError):
    """Errors of sign-up, login and profiles. `phone_taken` comes only from `register_member`, for internal
    callers (the public sign-up answers alike for every phone). Too many attempts raise
    `fenxiao.common.ratelimit.Throttled` (429 `throttled`)."""

    codes = AccountCode
