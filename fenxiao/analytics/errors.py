from fenxiao.common.errors import DomainError


class AnalyticsError(DomainError):
    """Codes: not_distributor, not_in_team, distributor_not_found, invalid_period, invalid_board,
    invalid_scope, invalid_sort, invalid_kind."""
