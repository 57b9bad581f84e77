from fenxiao.common.errors import DomainError


class JobsError(DomainError):
    """Codes: unknown_job."""
