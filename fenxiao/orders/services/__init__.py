"""The only code that writes orders.

Every status change goes through the order's state machine (`states.ORDER_MACHINE`), which checks
the table and writes an OrderEvent with the actor. Stock is reserved when an order is placed
(inventory), confirmed when it is paid, consumed when it ships and released when it is cancelled or
left unpaid. Payments report back through the handlers registered in apps.py; whoever cares about an
order's money hears it through `fenxiao.orders.hooks`.

- `cart`: the cart and the buyer's addresses;
- `checkout`: placing and paying;
- `lifecycle`: cancelling (staff's cancel of a large paid order after finance's approval);
- `shipments`: one shipment per fulfilment route (platform warehouse, each supplier), shipping and
  cancelling one; `receipt`: receiving and completing per shipment (and the scheduled jobs);
- `aftersales`: refund-only and return-and-refund requests;
- `refunds`: sending refunds (large ones after finance's approval) and booking them.
"""

from .aftersales import (
    add_aftersale_photos,
    open_aftersale_filter,
    operator_refund_line,
    receive_return_and_refund,
    request_aftersale,
    return_address,
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
    cancel_after_approval,
    cancel_order,
    cancel_rejected,
    expire_unpaid_orders,
    pending_cancel_approval,
)
from .mall import place_mall_order
from .receipt import auto_receive_orders, complete_orders, confirm_receipt, confirm_shipment_receipt
from .refunds import REFUND_APPROVAL, on_refund_succeeded, refund_after_approval, refund_approval_limit_fen, refund_rejected
from .shipment_cancel import SHIPMENT_CANCEL_APPROVAL, cancel_shipment, shipment_cancel_approved, shipment_cancel_rejected
from .shipments import SHIPMENT_MACHINE, route_of, ship_order, ship_shipment
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
    "cancel_shipment",
    "complete_orders",
    "confirm_receipt",
    "confirm_shipment_receipt",
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
    "return_address",
    "reservation_reference",
    "route_of",
    "SHIPMENT_MACHINE",
    "SHIPMENT_CANCEL_APPROVAL",
    "shipment_cancel_approved",
    "shipment_cancel_rejected",
    "review_aftersale",
    "set_cart_quantity",
    "pending_cancel_approval",
    "ship_order",
    "ship_shipment",
    "start_payment",
    "submit_return",
    "withdraw_aftersale",
]
