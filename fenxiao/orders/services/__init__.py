"""The only code that writes orders.

Every status change goes through the order's state machine (`states.ORDER_MACHINE`), which checks
the table and writes an OrderEvent with the actor. Stock is reserved when an order is placed
(inventory), confirmed when it is paid, consumed when it ships and released when it is cancelled or
left unpaid. Payments report back through the handlers registered in apps.py; whoever cares about an
order's money hears it through `fenxiao.orders.hooks`.

- `cart`: the cart and the buyer's addresses;
- `checkout`: placing and paying;
- `lifecycle`: cancelling (staff's cancel of a large paid order after finance's approval), shipping,
  receiving, completing (and the scheduled jobs);
- `aftersales`: refund-only and return-and-refund requests;
- `refunds`: sending refunds (large ones after finance's approval) and booking them.
"""

from .aftersales import (
    add_aftersale_photos,
    open_aftersale_filter,
    operator_refund_line,
    receive_return_and_refund,
    request_aftersale,
    review_aftersale,
    submit_return,
    withdraw_aftersale,
)
from .cart import ADDRESS_FIELDS, MAX_QUANTITY, add_to_cart, clean_address, clear_cart, set_cart_quantity
from .checkout import (
    MAX_LINES,
    attribution_for,
    gifts_in_stock,
    new_order_number,
    on_payment_succeeded,
    pay_with_dev_provider,
    place_order,
    quote_items,
    start_payment,
)
from .lifecycle import (
    ORDER_CANCEL_APPROVAL,
    auto_receive_orders,
    cancel_after_approval,
    cancel_order,
    cancel_rejected,
    complete_orders,
    confirm_receipt,
    expire_unpaid_orders,
    pending_cancel_approval,
    ship_order,
)
from .mall import place_mall_order
from .refunds import REFUND_APPROVAL, on_refund_succeeded, refund_after_approval, refund_approval_limit_fen, refund_rejected
from .states import (
    AFTERSALE_MACHINE,
    AFTERSALE_TRANSITIONS,
    OPEN_AFTERSALE,
    ORDER_MACHINE,
    PAYMENT_PURPOSE,
    TRANSITIONS,
    reservation_reference,
)

__all__ = [
    "add_aftersale_photos",
    "ADDRESS_FIELDS",
    "AFTERSALE_MACHINE",
    "AFTERSALE_TRANSITIONS",
    "MAX_LINES",
    "MAX_QUANTITY",
    "OPEN_AFTERSALE",
    "ORDER_MACHINE",
    "PAYMENT_PURPOSE",
    "REFUND_APPROVAL",
    "ORDER_CANCEL_APPROVAL",
    "TRANSITIONS",
    "add_to_cart",
    "attribution_for",
    "gifts_in_stock",
    "auto_receive_orders",
    "cancel_after_approval",
    "cancel_order",
    "cancel_rejected",
    "clean_address",
    "clear_cart",
    "complete_orders",
    "confirm_receipt",
    "expire_unpaid_orders",
    "new_order_number",
    "on_payment_succeeded",
    "on_refund_succeeded",
    "open_aftersale_filter",
    "operator_refund_line",
    "pay_with_dev_provider",
    "place_order",
    "place_mall_order",
    "quote_items",
    "receive_return_and_refund",
    "refund_after_approval",
    "refund_approval_limit_fen",
    "refund_rejected",
    "request_aftersale",
    "reservation_reference",
    "review_aftersale",
    "set_cart_quantity",
    "pending_cancel_approval",
    "ship_order",
    "start_payment",
    "submit_return",
    "withdraw_aftersale",
]
