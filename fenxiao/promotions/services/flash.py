"""Flash sales (秒杀): their stock moves and jobs, and the buyers' reminders.

A flash item's units are moved out of the platform warehouse into the item's own stock location
(`flash:<item id>`) shortly before its sale starts, and the units still free there are moved back when
it ends, so a unit is on hand in exactly one place (`inventory.transfer_stock`, a transfer movement on
both sides). Units held by unpaid orders that lapse after the end are freed at the flash location and
follow on the next run; the sale is stamped `stock_returned_at` once nothing is held there any more.

Both jobs are idempotent and run every minute: an item's `moved_quantity` says how many units it took
in (never more than its `quantity`), and each item row is locked while its stock moves, like a buyer's
order locks it (item row, then stock rows: the same order everywhere).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import MAIN_LOCATION, StockRecord

from .. import admission
from ..errors import PromotionCode, PromotionError
from ..models import FlashItem, FlashReminder, FlashSale, RunStatus

#: Units move in this long before the sale starts (the job runs every minute).
MOVE_AHEAD = timedelta(minutes=2)


# --- stock moves ------------------------------------------------------------------------------------


def move_in(item: FlashItem, *, actor=None) -> int:
    """In the caller's transaction, with the item row locked: move the units the item still lacks
    (up to its quantity, as many as the warehouse has free). Returns how many moved."""
    wanted = item.quantity - item.moved_quantity
    if wanted <= 0:
        return 0
    moved = inventory.transfer_stock(
        sku_id=item.sku_id,
        quantity=wanted,
        source=MAIN_LOCATION,
        target=item.location,
        actor=actor,
        note=gettext("秒杀库存转入：%(name)s") % {"name": item.sale.name},
        partial=True,
    )
    if moved:
        FlashItem.objects.filter(pk=item.pk).update(moved_quantity=F("moved_quantity") + moved)
        item.moved_quantity += moved
    return moved


def _locked_items(sale_id: int) -> list[FlashItem]:
    return list(FlashItem.objects.select_for_update(of=("self",)).select_related("sale").filter(sale_id=sale_id).order_by("pk"))


def start_sale(sale_id: int, *, now: datetime | None = None, actor=None) -> int:
    """Move the sale's units in now (the job does it for every sale due; the console may call it for
    a sale it starts at once). Returns the units moved; Redis is primed once it commits."""
    now = now or timezone.now()
    with transaction.atomic():
        items = _locked_items(sale_id)
        moved = sum(move_in(item, actor=actor) for item in items)
        stamped = FlashSale.objects.filter(pk=sale_id, stock_moved_at__isnull=True).update(stock_moved_at=now)
        if moved or stamped:
            item_ids = [item.pk for item in items]
            transaction.on_commit(lambda: admission.prime(item_ids))
    return moved


def start_due_flash_sales(now: datetime | None = None) -> dict[str, int]:
    """Every minute: sales starting within MOVE_AHEAD, or running, whose units are not (all) in yet.
    A sale whose warehouse was short at first is topped up when stock arrives, never beyond the
    item's quantity."""
    now = now or timezone.now()
    due = (
        FlashSale.objects.filter(
            status=RunStatus.ACTIVE, starts_at__lte=now + MOVE_AHEAD, ends_at__gt=now, stock_returned_at__isnull=True
        )
        .filter(Q(stock_moved_at__isnull=True) | Q(items__moved_quantity__lt=F("items__quantity")))
        .distinct()
        .order_by("starts_at", "pk")
    )
    started = units = 0
    for sale in list(due):
        moved = start_sale(sale.pk, now=now)
        started += sale.stock_moved_at is None
        units += moved
    return {"flash_sales_started": started, "flash_units_moved_in": units}


def return_ended_flash_stock(now: datetime | None = None) -> dict[str, int]:
    """Every minute: for each sale that ended (its window is over, or the operator ended it), move the
    free units at its items' locations back to the warehouse. A sale is done (`stock_returned_at`)
    once none of its units are held by orders; until then units that unpaid orders free later follow
    on the next run."""
    now = now or timezone.now()
    ended = (
        FlashSale.objects.filter(stock_moved_at__isnull=False, stock_returned_at__isnull=True)
        .filter(Q(ends_at__lte=now) | Q(status=RunStatus.ENDED))
        .order_by("pk")
    )
    done = units = 0
    for sale in list(ended):
        with transaction.atomic():
            items = _locked_items(sale.pk)
            records = {
                r.location: r
                for r in StockRecord.objects.select_for_update()
                .filter(location__in=[i.location for i in items])
                .order_by("location")
            }
            held = 0
            for item in items:
                record = records.get(item.location)
                if record is None:
                    continue
                if record.available > 0:
                    units += inventory.transfer_stock(
                        sku_id=item.sku_id,
                        quantity=record.available,
                        source=item.location,
                        target=MAIN_LOCATION,
                        note=gettext("秒杀结束，库存退回：%(name)s") % {"name": sale.name},
                        partial=True,
                    )
                held += record.reserved
            if held == 0:
                done += FlashSale.objects.filter(pk=sale.pk, stock_returned_at__isnull=True).update(stock_returned_at=now)
            item_ids = [item.pk for item in items]
            transaction.on_commit(partial(admission.forget, item_ids))
    return {"flash_sales_returned": done, "flash_units_returned": units}


def sale_changed(sale_id: int) -> None:
    """The operator changed, paused, resumed or ended a sale: its admission counters are rebuilt once
    the change commits (the minute's reconcile would catch it too)."""
    item_ids = list(FlashItem.objects.filter(sale_id=sale_id).values_list("pk", flat=True))

    def refresh() -> None:
        if FlashSale.objects.filter(pk=sale_id, status=RunStatus.ENDED).exists():
            admission.forget(item_ids)  # nobody is admitted any more; the units go back on the next run
        else:
            admission.reconcile_flash_admission(item_ids=item_ids)

    transaction.on_commit(refresh)


# --- reminders (提醒我) ------------------------------------------------------------------------------


def _sale(sale_id: int) -> FlashSale:
    sale = FlashSale.objects.filter(pk=sale_id).first()
    if sale is None:
        raise PromotionError(PromotionCode.ACTIVITY_NOT_FOUND, gettext("秒杀场次不存在"), {"sale_id": sale_id}, status=404)
    return sale


def set_reminder(*, user, sale_id: int, now: datetime | None = None) -> FlashReminder:
    """The buyer wants a notice when the sale starts; asking twice keeps the one reminder."""
    now = now or timezone.now()
    sale = _sale(sale_id)
    if sale.status == RunStatus.ENDED or sale.ends_at <= now:
        raise PromotionError(PromotionCode.ACTIVITY_ENDED, gettext("该场秒杀已结束"), {"sale_id": sale_id}, status=409)
    reminder, _created = FlashReminder.objects.get_or_create(sale=sale, user=user)
    return reminder


def cancel_reminder(*, user, sale_id: int) -> bool:
    _sale(sale_id)
    deleted, _kinds = FlashReminder.objects.filter(sale_id=sale_id, user=user).delete()
    return bool(deleted)


def reminded_sale_ids(user, sale_ids) -> set[int]:
    """Which of these sales the user asked to be reminded of."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(FlashReminder.objects.filter(user=user, sale_id__in=list(sale_ids)).values_list("sale_id", flat=True))
