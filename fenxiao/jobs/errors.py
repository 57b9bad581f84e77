from enum import StrEnum

from fenxiao.common.errors import DomainError


class JobsCode(StrEnum):
    """Every code a JobsError may carry."""

    UNKNOWN_JOB = "unknown_job"


class JobsError(DomainError):
    codes = JobsCode
