"""The console's background-job errors: one type, its codes listed once."""

from enum import StrEnum

from fenxiao.common.errors import DomainError


class ConsoleJobCode(StrEnum):
    UNKNOWN_KIND = "unknown_job_kind"
    FORBIDDEN = "job_forbidden"
    INVALID_TRANSITION = "job_invalid_transition"
    INVALID_PARAMS = "job_invalid_params"


class ConsoleJobError(DomainError):
    codes = ConsoleJobCode
