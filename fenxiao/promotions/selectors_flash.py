"""Reads of flash sales (秒杀) for the API and the pages: the day's slots (场次) with their items, one
item, and what a buyer holds of an item. A fixed number of queries whatever the number of slots and
items.

An item's `sold` counts the units of its placed and paid orders (an unpaid order that lapses gives
its units back); `remaining` is what is left of the units it has (the units moved in once its sale's
stock moved, else its quantity); `sold_percent` is sold / quantity in whole percent (0–100)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, Sum
from django.utils import timezone

from fenxiao.catalog.models import ProductImage
from fenxiao.common.periods import local_midnight

from .models import ActivityKind, ActivityOrder, FlashItem, FlashSale, RunStatus

COUNTED_STATES = (ActivityOrder.State.PLACED, ActivityOrder.State.PAID)


class SlotState:
    UPCOMING = "upcoming"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


@dataclass
class FlashItemView:
    id: int
    sale_id: int
    sku_id: int
    product_id: int
    product_name: str
    sku_spec: str
    image_url: str
    price_fen: int
    list_price_fen: int
    quantity: int
    sold: int
    sold_percent: int
    remaining: int
    per_person_limit: int
    per_order_limit: int
    on_shelf: bool


@dataclass
class FlashSlotView:
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    state: str
    unpaid_timeout_minutes: int
    allow_points: bool
    share_text: str
    items: list[FlashItemView] = field(default_factory=list)


def slot_state(sale: FlashSale, now: datetime) -> str:
    """upcoming (before its start), running, paused (the operator's switch, within the window) or
    ended (its window is over or the operator ended it)."""
    if sale.status == RunStatus.ENDED or now >= sale.ends_at:
        return SlotState.ENDED
    if now < sale.starts_at:
        return SlotState.UPCOMING
    if sale.status == RunStatus.PAUSED:
        return SlotState.PAUSED
    return SlotState.RUNNING


def _sold(item_ids: list[int]) -> dict[int, int]:
    if not item_ids:
        return {}
    rows = (
        ActivityOrder.objects.filter(kind=ActivityKind.FLASH, item_id__in=item_ids, state__in=COUNTED_STATES)
        .values("item_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["item_id"]: int(row["units"] or 0) for row in rows}


def _items_qs():
    return FlashItem.objects.select_related("sku__product").prefetch_related(
        Prefetch("sku__product__images", queryset=ProductImage.objects.order_by("sort_order", "id"))
    )


def _item_view(item: FlashItem, sold: int) -> FlashItemView:
    sku = item.sku
    images = list(sku.product.images.all())
    has = item.moved_quantity if item.sale.stock_moved_at is not None else item.quantity
    return FlashItemView(
        id=item.pk,
        sale_id=item.sale_id,
        sku_id=sku.pk,
        product_id=sku.product_id,
        product_name=sku.product.name,
        sku_spec=sku.spec,
        image_url=images[0].image.url if images else "",
        price_fen=item.price_fen,
        list_price_fen=sku.retail_fen,
        quantity=item.quantity,
        sold=sold,
        sold_percent=min(100, sold * 100 // item.quantity) if item.quantity else 100,
        remaining=max(has - sold, 0),
        per_person_limit=item.per_person_limit,
        per_order_limit=item.per_order_limit,
        on_shelf=sku.product.is_on_shelf,
    )


def _slot_view(sale: FlashSale, now: datetime) -> FlashSlotView:
    return FlashSlotView(
        id=sale.pk,
        name=sale.name,
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        state=slot_state(sale, now),
        unpaid_timeout_minutes=sale.unpaid_timeout_minutes,
        allow_points=sale.allow_points,
        share_text=sale.share_text,
    )


def day_slots(day: date, now: datetime | None = None) -> list[FlashSlotView]:
    """The slots starting on a local calendar day, by start time, with their items."""
    now = now or timezone.now()
    start = local_midnight(day)
    end = local_midnight(day + timedelta(days=1))
    sales = list(
        FlashSale.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .prefetch_related(Prefetch("items", queryset=_items_qs().order_by("position", "id")))
        .order_by("starts_at", "id")
    )
    sold = _sold([item.pk for sale in sales for item in sale.items.all()])
    slots = []
    for sale in sales:
        slot = _slot_view(sale, now)
        for item in sale.items.all():
            item.sale = sale
            slot.items.append(_item_view(item, sold.get(item.pk, 0)))
        slots.append(slot)
    return slots


def item_detail(item_id: int, now: datetime | None = None) -> tuple[FlashSlotView, FlashItemView] | None:
    """One item with its slot, or None."""
    now = now or timezone.now()
    item = _items_qs().select_related("sale").filter(pk=item_id).first()
    if item is None:
        return None
    return _slot_view(item.sale, now), _item_view(item, _sold([item.pk]).get(item.pk, 0))


def user_bought(item, user) -> int:
    """The units of the item (a FlashItem or its id) the user holds in placed or paid orders."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    item_id = item if isinstance(item, int) else item.pk
    return (
        ActivityOrder.objects.filter(
            kind=ActivityKind.FLASH, item_id=item_id, user_id=user.pk, state__in=COUNTED_STATES
        ).aggregate(units=Sum("quantity"))["units"]
        or 0
    )
