from fenxiao.common.errors import DomainError


class GrowthError(DomainError):
    """Codes: invalid_rule, invalid_month, month_not_closed, not_distributor, level_not_found."""
