from fenxiao.common.errors import DomainError


class ApprovalError(DomainError):
    """Codes: approval_not_found, invalid_transition, reason_required, unknown_kind, own_proposal (from
    common.duties), own_object (from common.duties), forbidden."""
