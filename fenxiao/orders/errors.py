from enum import StrEnum

from fenxiao.common.errors import DomainError


class OrderCode(StrEnum):
    """Every code an OrderError may carry."""

    AFTERSALE_NOT_ALLOWED = "aftersale_not_allowed"
    AFTERSALE_NOT_FOUND = "aftersale_not_found"
    AFTERSALE_OPEN = "aftersale_open"
    ALREADY_SHIPPED = "already_shipped"
    AMOUNT_MISMATCH = "amount_mismatch"
    CANCEL_AWAITING_APPROVAL = "cancel_awaiting_approval"
    COUPON_GONE = "coupon_gone"
    EMPTY_ORDER = "empty_order"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    INVALID_ADDRESS = "invalid_address"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    INVALID_PHONE = "invalid_phone"
    INVALID_PHOTO = "invalid_photo"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_TRANSITION = "invalid_transition"
    ORDER_EXPIRED = "order_expired"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_ON_HOLD = "order_on_hold"
    PHOTO_TOO_LARGE = "photo_too_large"
    REASON_REQUIRED = "reason_required"
    REFUND_EXCEEDS_PAID = "refund_exceeds_paid"
    SHIPMENT_NOT_FOUND = "shipment_not_found"
    SKU_UNAVAILABLE = "sku_unavailable"
    TOO_MANY_LINES = "too_many_lines"
    TOO_MANY_PHOTOS = "too_many_photos"
    TRACKING_REQUIRED = "tracking_required"


class OrderError(DomainError):
    codes = OrderCode
