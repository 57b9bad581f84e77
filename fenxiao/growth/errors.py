from fenxiao.common.errors import DomainError


class GrowthError(DomainError):
    """Codes: invalid_rule, invalid_month, month_not_closed, not_distributor, level_not_found;
    leaderboard prizes: invalid_prize, prize_overlap, prize_not_found, invalid_board, invalid_period_kind,
    invalid_period, period_not_closed; conversion: invalid_range; notices: invalid_notifications, invalid_filter."""
