"""Flash sale orders (秒杀).

`place_flash_order` admits the buyer, then places the order through the one `checkout.place_order`
with the sale's terms, at the item's own stock location and with the sale's unpaid timeout.

Admission: with Redis configured, one script takes the buyer's token first and refuses the losers
(sold out, limit reached) without a database query (`fenxiao.promotions.admission`). Whoever gets
through, and every buyer when there is no Redis or it does not answer, is admitted by the database:
the item row is locked, the sale's window and switch, the per-order and per-person limits are checked
there (the per-person count from `ActivityOrder` rows placed or paid), and the reservation's
conditional update at the flash location refuses what is sold out. When the order is not placed the
token is handed back.

The order's later life keeps the counters right: an unpaid order that ends gives its units (freed at
the flash location by the reservation's release) and the buyer's count back to Redis; a paid order
cancelled or refunded has its item's counters rebuilt from the database.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.inventory import selectors as inventory_selectors
from fenxiao.inventory.errors import InventoryCode, InventoryError
from fenxiao.promotions import admission
from fenxiao.promotions.errors import PromotionCode, PromotionError
from fenxiao.promotions.models import ActivityKind, ActivityOrder, FlashItem, FlashSale, RunStatus
from fenxiao.promotions.pricing import ActivityTerms

from ...models import Order
from ..cart import check_quantity
from . import record


def place_flash_order(*, user, item_id: int, quantity: int, address: dict, points: int = 0, note: str = "") -> Order:
    """Place a flash sale order of `quantity` units of the item (the item's SKU alone)."""
    check_quantity(quantity)
    ticket = admission.admit(item_id=item_id, user_id=user.pk, quantity=quantity)
    try:
        return _place(user=user, item_id=item_id, quantity=quantity, address=address, points=points, note=note)
    except BaseException:
        if ticket is not None:
            admission.give_back(ticket)
        raise


def check_sale_open(sale: FlashSale, now) -> None:
    """The sale admits buyers now: active and within its window."""
    detail = {"sale_id": sale.pk, "starts_at": sale.starts_at.isoformat(), "ends_at": sale.ends_at.isoformat()}
    if sale.status == RunStatus.ENDED or now >= sale.ends_at:
        raise PromotionError(PromotionCode.ACTIVITY_ENDED, gettext("该场秒杀已结束"), detail, status=409)
    if now < sale.starts_at:
        raise PromotionError(PromotionCode.ACTIVITY_NOT_STARTED, gettext("秒杀尚未开始"), detail, status=409)
    if sale.status == RunStatus.PAUSED:
        raise PromotionError(PromotionCode.ACTIVITY_PAUSED, gettext("该场秒杀已暂停"), detail, status=409)


def bought_by(item_id: int, user_id: int) -> int:
    """The units the user holds of the item in placed or paid orders."""
    return (
        ActivityOrder.objects.filter(
            kind=ActivityKind.FLASH, item_id=item_id, user_id=user_id, state__in=admission.COUNTED_STATES
        ).aggregate(units=Sum("quantity"))["units"]
        or 0
    )


@transaction.atomic
def _place(*, user, item_id: int, quantity: int, address: dict, points: int, note: str) -> Order:
    from ..checkout import place_order

    item = FlashItem.objects.select_for_update(of=("self",)).select_related("sale").filter(pk=item_id).first()
    if item is None:
        raise PromotionError(PromotionCode.ACTIVITY_NOT_FOUND, gettext("秒杀商品不存在"), {"item_id": item_id}, status=404)
    sale = item.sale
    check_sale_open(sale, timezone.now())
    if quantity > item.per_order_limit:
        raise admission.order_limit(item.pk, limit=item.per_order_limit, quantity=quantity)
    bought = bought_by(item.pk, user.pk)
    if bought + quantity > item.per_person_limit:
        raise admission.person_limit(item.pk, limit=item.per_person_limit, bought=bought, quantity=quantity)
    free = inventory_selectors.available_by_sku([item.sku_id], location=item.location).get(item.sku_id, 0)
    if free < quantity:
        raise admission.sold_out(item.pk, left=free)
    terms = ActivityTerms(
        kind=ActivityKind.FLASH,
        activity_id=sale.pk,
        label=gettext("秒杀价"),
        unit_prices={item.sku_id: item.price_fen},
        allow_points=sale.allow_points,
        pays_commission=sale.pays_commission,
    )
    try:
        order = place_order(
            user=user,
            items=[(item.sku_id, quantity)],
            address=address,
            note=note,
            coupon=None,
            points=points,
            activity=terms,
            location=item.location,
            unpaid_minutes=sale.unpaid_timeout_minutes,
        )
    except InventoryError as exc:
        if exc.code == InventoryCode.SOLD_OUT:
            raise admission.sold_out(item.pk) from exc
        raise
    record(order, kind=ActivityKind.FLASH, activity_id=sale.pk, quantity=quantity, item_id=item.pk)
    return order


# --- the order's lifecycle -------------------------------------------------------------------------


def on_paid(order, row) -> None:
    """Nothing to do: the placed order already counts for the stock and the buyer."""


def on_ended(order, row, *, was: str) -> None:
    """Cancelled or lapsed. Unpaid: its units are free again at the flash location (the reservation
    was released) and the buyer may buy again, so both come back to the admission counters. Paid and
    cancelled with a refund: the item's counters are rebuilt from the database."""
    if row.item_id is None:
        return
    if was == ActivityOrder.State.PLACED:
        item_id, user_id, quantity = row.item_id, row.user_id, row.quantity
        transaction.on_commit(lambda: admission.release(item_id=item_id, user_id=user_id, quantity=quantity))
    else:
        _rebuild_after_commit(row.item_id)


def on_refunded(order, row) -> None:
    """Refunded in full: the buyer no longer counts for the per-person limit."""
    if row.item_id is not None and row.state == ActivityOrder.State.REFUNDED:
        _rebuild_after_commit(row.item_id)


def _rebuild_after_commit(item_id: int) -> None:
    transaction.on_commit(lambda: admission.reconcile_flash_admission(item_ids=[item_id]))
