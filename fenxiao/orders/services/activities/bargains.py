"""Orders of bargains (砍价): the starter buys the bargain's SKU, one unit, at the price the bargain
reached — at the floor, or above it where the activity allows buying before the floor (which ends the
bargain). One order per bargain: the bargain is `bought` while its order is placed or paid; an order
cancelled before payment (by the buyer or the unpaid timeout) makes the bargain buyable again until it
ends. The order takes the activity's terms (no coupon, 满减 or member price; points only when the
activity allows them; commission as the activity says)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.promotions import pricing
from fenxiao.promotions.models import ActivityKind, ActivityOrder
from fenxiao.promotions.services import bargains as bargain_service

from ...models import Order
from .. import checkout
from . import record

LABEL = "砍价"


@transaction.atomic
def place_bargain_order(*, user, bargain_id: int, address: dict, note: str = "") -> Order:
    """Place the starter's order for their bargain (see the module). Refusals: `bargain_not_found`
    404 (none, or somebody else's), `bargain_ended` 409 (already ordered, or ended without reaching
    the floor, or the activity is over), `bargain_not_at_floor` 409 (still going and the activity
    sells only at the floor), and every refusal of the checkout (stock, address…)."""
    now = timezone.now()
    bargain, activity = bargain_service.lock_for_order(bargain_id=bargain_id, user=user, now=now)
    terms = pricing.ActivityTerms(
        kind=ActivityKind.BARGAIN,
        activity_id=activity.pk,
        label=LABEL,
        unit_prices={activity.sku_id: bargain.current_price_fen},
        allow_points=activity.allow_points,
        pays_commission=activity.pays_commission,
    )
    order = checkout.place_order(
        user=user, items=[(activity.sku_id, 1)], address=address, note=note, coupon=None, points=0, activity=terms
    )
    record(order, kind=ActivityKind.BARGAIN, activity_id=activity.pk, bargain_id=bargain.pk, quantity=1)
    bargain_service.mark_bought(bargain, order_id=order.pk, actor=user, now=now)
    return order


def on_paid(order, row) -> None:
    if row.bargain_id:
        bargain_service.note(row.bargain_id, gettext("订单已付款"), actor=order.user)


def on_ended(order, row, *, was: str) -> None:
    """Cancelled before payment: the bargain is buyable again. A paid order refunded by its cancel
    keeps the bargain bought."""
    if row.bargain_id is None:
        return
    if was == ActivityOrder.State.PLACED:
        bargain_service.reopen(bargain_id=row.bargain_id, order_id=order.pk, note=gettext("订单未付款已取消"))
    else:
        bargain_service.note(row.bargain_id, gettext("订单已退款"))


def on_refunded(order, row) -> None:
    pass
