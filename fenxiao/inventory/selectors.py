"""Reads of stock for pages, the API and other apps; each is one query whatever the number of SKUs."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, QuerySet

from .models import MAIN_LOCATION, Reservation, StockRecord


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
