"""Shared pieces of the stock services: argument checks, the one-UPDATE-for-many-rows CASE, and the
batches of locked stock records in first-expiring-first order (FEFO)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.inventory.errors import InventoryCode, InventoryError
from fenxiao.inventory.models import Reservation, StockBatch, StockRecord

HELD = (Reservation.Status.ACTIVE, Reservation.Status.CONFIRMED)
MAX_STOCK_CHANGE = 10**9  # units in one receipt or adjustment; keeps on_hand far from the column's limit
OPENING_BATCH = "OPENING"  # stock that predates batches (no dates: it goes after every dated batch)
BATCH_NUMBER_MAX = 40


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_reference(reference: str) -> None:
    if not isinstance(reference, str) or not reference or len(reference) > 64:
        raise ValueError("reference must be a non-empty string of at most 64 characters")


def unknown_sku(sku_ids: list[int]) -> InventoryError:
    return InventoryError(InventoryCode.UNKNOWN_SKU, gettext("SKU 不存在"), {"sku_ids": sku_ids}, status=404)


def summed(items: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Quantities per SKU, duplicates added up, in sku_id order."""
    wanted: dict[int, int] = {}
    for sku_id, quantity in items:
        if not is_int(sku_id):
            raise InventoryError(InventoryCode.UNKNOWN_SKU, gettext("SKU 不存在"), {"sku_id": sku_id}, status=404)
        if not is_int(quantity) or quantity <= 0:
            raise InventoryError(
                InventoryCode.INVALID_QUANTITY, gettext("数量必须是正整数"), {"sku_id": sku_id, "quantity": quantity}
            )
        wanted[sku_id] = wanted.get(sku_id, 0) + quantity
    if not wanted:
        raise InventoryError(InventoryCode.INVALID_QUANTITY, gettext("没有要占用的商品"), {"items": []})
    return dict(sorted(wanted.items()))


def per_row(quantities: dict[int, int]) -> Case | Value:
    """CASE id WHEN <row> THEN <quantity> ..., so one UPDATE serves any number of rows (the UPDATE
    is restricted to these rows; one row needs no CASE)."""
    if len(quantities) == 1:
        return Value(next(iter(quantities.values())), output_field=BigIntegerField())
    return Case(
        *[When(pk=pk, then=Value(quantity)) for pk, quantity in quantities.items()],
        default=Value(0),
        output_field=BigIntegerField(),
    )


def fefo_key(batch: StockBatch) -> tuple:
    """First expiring first; a batch without an expiry date after every dated one; then oldest."""
    return (batch.expiry_date is None, batch.expiry_date or date.max, batch.pk or 0)


def batches_of(records: list[StockRecord]) -> dict[int, list[StockBatch]]:
    """The batches of stock records the caller has locked, each list in FEFO order. Units of a
    record that no batch covers (stock written before batches, or around the services) are put
    into the record's opening batch first, so the batches always cover their record. Two queries
    at most whatever the number of records (one read, one write when something was uncovered)."""
    by_record: dict[int, list[StockBatch]] = {record.pk: [] for record in records}
    if not records:
        return by_record
    for batch in StockBatch.objects.filter(stock_record_id__in=list(by_record)).order_by(
        "stock_record_id", F("expiry_date").asc(nulls_last=True), "id"
    ):
        by_record[batch.stock_record_id].append(batch)
    grow: dict[int, int] = {}
    new: list[StockBatch] = []
    for record in records:
        batches = by_record[record.pk]
        gap = record.on_hand - sum(b.on_hand for b in batches)
        if gap <= 0:
            continue
        opening = next((b for b in batches if b.batch_number == OPENING_BATCH), None)
        if opening is not None:
            grow[opening.pk] = gap
            opening.on_hand += gap
        else:
            opening = StockBatch(stock_record=record, batch_number=OPENING_BATCH, on_hand=gap)
            new.append(opening)
            batches.append(opening)
    if grow:
        StockBatch.objects.filter(pk__in=list(grow)).update(on_hand=F("on_hand") + per_row(grow))
    if new:
        StockBatch.objects.bulk_create(new)
        for record in records:
            by_record[record.pk].sort(key=fefo_key)
    return by_record


def take_fefo(batches: list[StockBatch], quantity: int) -> list[tuple[StockBatch, int]]:
    """Free units (on hand, not reserved) of the batches, first-expiring first, up to quantity."""
    taken: list[tuple[StockBatch, int]] = []
    remaining = quantity
    for batch in batches:
        if remaining <= 0:
            break
        take = min(batch.on_hand - batch.reserved, remaining)
        if take > 0:
            taken.append((batch, take))
            remaining -= take
    return taken


def generated_batch_number(record: StockRecord, prefix: str = "R") -> str:
    """R<yyyymmdd>-<n>: the next free number of the day for the record (the record is locked)."""
    stem = f"{prefix}{timezone.localdate():%Y%m%d}-"
    used = set(
        StockBatch.objects.filter(stock_record=record, batch_number__startswith=stem).values_list("batch_number", flat=True)
    )
    n = len(used) + 1
    while f"{stem}{n}" in used:
        n += 1
    return f"{stem}{n}"


def clean_batch_fields(batch_number: str, production_date: date | None, expiry_date: date | None) -> str:
    """Refuses a batch number that is not short text, dates that are not dates, or an expiry date
    before the production date; returns the stripped number."""
    if not isinstance(batch_number, str) or len(batch_number.strip()) > BATCH_NUMBER_MAX:
        raise InventoryError(
            InventoryCode.INVALID_BATCH,
            gettext("批次号最多 %(max)s 个字符") % {"max": BATCH_NUMBER_MAX},
            {"batch_number": str(batch_number)[:80]},
        )
    for value in (production_date, expiry_date):
        if value is not None and not isinstance(value, date):
            raise InventoryError(InventoryCode.INVALID_BATCH, gettext("日期格式不正确"), {"date": str(value)[:40]})
    if production_date and expiry_date and expiry_date < production_date:
        raise InventoryError(
            InventoryCode.INVALID_BATCH,
            gettext("到期日不能早于生产日期"),
            {"production_date": production_date.isoformat(), "expiry_date": expiry_date.isoformat()},
        )
    return batch_number.strip()
