"""The only code that writes payments, refunds and notifications.

Every status change is a conditional UPDATE (`… WHERE status = 'pending'`, the payment's state
machine `PAYMENT_MACHINE.move_if`): of any number of concurrent attempts exactly one changes the row,
and only that one writes the PaymentEvent and calls the purpose's handler, inside the same
transaction. Refunds reserve their amount with `refunded_fen = refunded_fen + n WHERE refunded_fen +
n <= amount_fen`, so concurrent refunds can never add up to more than was paid; a refund that fails
gives its reservation back.

Calls to WeChat Pay are never made inside a database transaction, this module's or the caller's
(`wechatpay.call` refuses): a payment is recorded and committed, WeChat Pay is asked, and its answer is
recorded in a second short transaction. A failed ask keeps the payment, and asking again sends the
same out_trade_no. A refund is sent to WeChat Pay after the transaction that recorded it commits
(`transaction.on_commit`), so a refund the caller's transaction rolls back is never sent; one whose
call failed stays PENDING with its amount reserved and `resend_pending_refunds` sends it again under
the same out_refund_no.

- `payments`: opening, preparing, paying (development provider) and closing payments;
- `refunds`: refunds and their resending;
- `notifications`: WeChat Pay's notifications, refused ones and duplicate payments;
- `common`: the state machine and the steps they share.
"""

from .common import PAYMENT_MACHINE, REFUND_TRANSITIONS, REFUSED_OUTCOMES, TRANSITIONS
from .notifications import handle_wechatpay_notification, record_refusal, resolve_duplicate
from .payments import (
    close_payment,
    closing_asks_provider,
    complete_dev_payment,
    create_payment,
    jsapi_params,
    open_payment,
    prepare_payment,
    release_needed,
    release_other_payment,
)
from .refunds import refund_payment, resend_pending_refunds, submit_wechatpay_refund

__all__ = [
    "PAYMENT_MACHINE",
    "REFUND_TRANSITIONS",
    "REFUSED_OUTCOMES",
    "TRANSITIONS",
    "close_payment",
    "closing_asks_provider",
    "complete_dev_payment",
    "create_payment",
    "handle_wechatpay_notification",
    "jsapi_params",
    "open_payment",
    "prepare_payment",
    "record_refusal",
    "refund_payment",
    "release_needed",
    "release_other_payment",
    "resend_pending_refunds",
    "resolve_duplicate",
    "submit_wechatpay_refund",
]
