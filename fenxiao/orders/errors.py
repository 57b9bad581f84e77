from fenxiao.common.errors import DomainError


class OrderError(DomainError):
    """Codes: empty_order, invalid_quantity, sku_unavailable, invalid_address, invalid_phone, order_not_found,
    invalid_transition, not_your_order, refund_exceeds_paid, aftersale_not_allowed, aftersale_open,
    aftersale_not_found, tracking_required, idempotency_conflict, idempotency_in_progress, too_many_lines."""
