from fenxiao.common.errors import DomainError


class DistributionError(DomainError):
    """Codes: commission_depth_exceeded, invalid_rate, invalid_setting, already_distributor,
    application_pending, invalid_transition, threshold_not_met, not_distributor, distributor_not_found,
    binding_self, binding_loop, level_in_use, invalid_level, reason_required."""
