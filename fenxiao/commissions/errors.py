from fenxiao.common.errors import DomainError


class CommissionError(DomainError):
    """Codes: commission_depth_exceeded, invalid_depth, duplicate_depth, invalid_override,
    invalid_ceiling, invalid_line."""
