"""Reads of stock for pages, the API and other apps; each is one query whatever the number of SKUs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import MAIN_LOCATION, BatchAllocation, Reservation, StockBatch, StockRecord


def available_by_sku(sku_ids: Iterable[int], location: str = MAIN_LOCATION) -> dict[int, int]:
    """Units free to sell per SKU (on hand minus reserved); 0 for a SKU without stock there."""
    ids = set(sku_ids)
    if not ids:
        return {}
    result = dict.fromkeys(ids, 0)
    rows = (
        StockRecord.objects.filter(sku_id__in=ids, location=location)
        .annotate(free=F("on_hand") - F("reserved"))
        .values_list("sku_id", "free")
    )
    result.update(rows)
    return result


def available_at(skus_by_location: Mapping[str, Iterable[int]]) -> dict[int, int]:
    """Units free to sell per SKU, each SKU read at the location it is listed under (a SKU is
    stocked for sale at one location: its fulfilment route's); 0 without stock there. One query."""
    where = Q()
    result: dict[int, int] = {}
    for location, ids in skus_by_location.items():
        ids = set(ids)
        if ids:
            where |= Q(location=location, sku_id__in=ids)
            result.update(dict.fromkeys(ids, 0))
    if not result:
        return {}
    rows = StockRecord.objects.filter(where).annotate(free=F("on_hand") - F("reserved")).values_list("sku_id", "free")
    result.update(rows)
    return result


def stock_for_sku(sku_id: int, location: str = MAIN_LOCATION) -> StockRecord | None:
    """The SKU's stock record at a location (the platform warehouse by default), if it has one."""
    return StockRecord.objects.filter(sku_id=sku_id, location=location).select_related("sku__product").first()


def below_safety_stock(location: str = MAIN_LOCATION) -> QuerySet[StockRecord]:
    """Records whose free units dropped under their safety stock: the reorder alert list."""
    return (
        StockRecord.objects.filter(location=location, safety_stock__gt=0)
        .annotate(free=F("on_hand") - F("reserved"))
        .filter(free__lt=F("safety_stock"))
        .select_related("sku__product")
    )


def stock_records_for_sku(sku_id: int) -> QuerySet[StockRecord]:
    """The SKU's stock at every location, the platform warehouse first."""
    return StockRecord.objects.filter(sku_id=sku_id).order_by("location")


def below_safety_count(location: str = MAIN_LOCATION) -> int:
    """How many records of a location are below their safety stock (the reorder alert's size)."""
    return below_safety_stock(location).count()


def reserved_location(reference: str) -> str | None:
    """The location a reference's reservations were made at (any status), if it made any."""
    return Reservation.objects.filter(reference=reference).order_by("id").values_list("stock_record__location", flat=True).first()


def batch_violations() -> list[dict]:
    """Stock records whose batches do not add up to them (sum of on_hand, sum of reserved), and
    live reservations whose allocations do not add up to their quantity; empty when all is well.
    One query each, over the whole table: for checks and tests, not for pages."""
    problems: list[dict] = []
    records = (
        StockRecord.objects.annotate(
            batch_on_hand=Coalesce(Sum("batches__on_hand"), 0),
            batch_reserved=Coalesce(Sum("batches__reserved"), 0),
        )
        .filter(Q(on_hand__gt=0) | Q(reserved__gt=0) | Q(batch_on_hand__gt=0) | Q(batch_reserved__gt=0))
        .exclude(on_hand=F("batch_on_hand"), reserved=F("batch_reserved"))
        .values("pk", "sku_id", "location", "on_hand", "reserved", "batch_on_hand", "batch_reserved")
    )
    problems.extend({"kind": "record", **row} for row in records)
    reservations = (
        Reservation.objects.filter(status__in=[Reservation.Status.ACTIVE, Reservation.Status.CONFIRMED])
        .annotate(allocated=Coalesce(Sum("allocations__quantity", filter=Q(allocations__consumed=False)), 0))
        .exclude(quantity=F("allocated"))
        .values("pk", "reference", "quantity", "allocated")
    )
    problems.extend({"kind": "reservation", **row} for row in reservations)
    return problems


def consumed_batches(reference: str, sku_ids: Iterable[int] | None = None) -> list[tuple[int, int, int]]:
    """What a reference's shipped reservations took from each batch: (sku_id, batch_id, quantity)
    in (sku_id, batch_id) order, optionally only for some SKUs (one shipment's)."""
    qs = BatchAllocation.objects.filter(
        reservation__reference=reference, reservation__status=Reservation.Status.CONSUMED, consumed=True
    )
    if sku_ids is not None:
        qs = qs.filter(reservation__stock_record__sku_id__in=list(sku_ids))
    return list(
        qs.order_by("reservation__stock_record__sku_id", "batch_id").values_list(
            "reservation__stock_record__sku_id", "batch_id", "quantity"
        )
    )


def batches(
    *, sku_id: int | None = None, location: str | None = None, near_expiry: bool = False, today: date | None = None
) -> QuerySet[StockBatch]:
    """Batches with units on hand, first-expiring first, optionally of one SKU / location, or only
    those near their expiry (see near_expiry_batches)."""
    qs = near_expiry_batches(today=today) if near_expiry else StockBatch.objects.filter(on_hand__gt=0)
    if sku_id is not None:
        qs = qs.filter(stock_record__sku_id=sku_id)
    if location:
        qs = qs.filter(stock_record__location=location)
    return qs.select_related("stock_record__sku__product").order_by(
        F("expiry_date").asc(nulls_last=True), "stock_record__sku_id", "id"
    )


def near_expiry_days() -> int:
    return int(getattr(settings, "FENXIAO_NEAR_EXPIRY_DAYS", 30))


def near_expiry_batches(days: int | None = None, today: date | None = None) -> QuerySet[StockBatch]:
    """Batches with free units (on hand above reserved) whose expiry date is within `days` (the
    FENXIAO_NEAR_EXPIRY_DAYS setting by default) from today, or already past; soonest first.
    Each row carries `free` (units) and the SKU and product."""
    days = near_expiry_days() if days is None else days
    today = today or timezone.localdate()
    return (
        StockBatch.objects.filter(expiry_date__isnull=False, expiry_date__lte=today + timedelta(days=days))
        .annotate(free=F("on_hand") - F("reserved"))
        .filter(free__gt=0)
        .select_related("stock_record__sku__product")
        .order_by("expiry_date", "stock_record__sku_id", "id")
    )
