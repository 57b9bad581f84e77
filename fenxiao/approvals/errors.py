from enum import StrEnum

from fenxiao.common.errors import DomainError


class ApprovalCode(StrEnum):
    """Every code an ApprovalError may carry."""

    APPROVAL_NOT_FOUND = "approval_not_found"
    FORBIDDEN = "forbidden"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    UNKNOWN_KIND = "unknown_kind"


class ApprovalError(DomainError):
    codes = ApprovalCode
