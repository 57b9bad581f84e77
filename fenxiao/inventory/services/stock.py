"""Units on hand: receiving (into a batch), returns going back into the batches they left, adjusting (from a named batch or first-expiring first),
moving free units between locations (the batches travel with them) and the safety-stock line."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku
from fenxiao.inventory.errors import InventoryCode, InventoryError
from fenxiao.inventory.models import MAIN_LOCATION, StockBatch, StockMovement, StockRecord

from ._base import (
    MAX_STOCK_CHANGE,
    batches_of,
    clean_batch_fields,
    generated_batch_number,
    is_int,
    per_row,
    take_fefo,
    unknown_sku,
)


def _locked_record(sku_id: int, location: str, *, create: bool) -> StockRecord | None:
    """The (sku, location) stock row, locked; created first when `create` and it does not exist."""
    records = StockRecord.objects.select_for_update().filter(sku_id=sku_id, location=location)
    record = records.first()
    if record is None:
        if not Sku.objects.filter(pk=sku_id).exists():
            raise unknown_sku([sku_id])
        if not create:
            return None
        try:
            with transaction.atomic():
                StockRecord.objects.create(sku_id=sku_id, location=location)
        except IntegrityError:  # another receipt created it first
            pass
        record = records.get()
    return record


def _below(record: StockRecord, delta: int, *, sku_id: int, location: str) -> InventoryError:
    detail = {"sku_id": sku_id, "location": location, "on_hand": record.on_hand, "reserved": record.reserved, "delta": delta}
    if record.on_hand + delta < 0:
        message = gettext("库存不能低于 0（现有 %(on_hand)s 件）") % {"on_hand": record.on_hand}
    else:
        message = gettext("库存不能低于已占用的 %(reserved)s 件") % {"reserved": record.reserved}
    return InventoryError(InventoryCode.BELOW_RESERVED, message, detail, status=409)


def _target_batch(
    record: StockRecord,
    batches: list[StockBatch],
    *,
    batch_id: int | None,
    batch_number: str,
    production_date: date | None,
    expiry_date: date | None,
    prefix: str,
) -> StockBatch:
    """The batch units are added to: the one named by id, else by number (created on first use,
    its dates must agree with a batch already there), else a new one with a generated number."""
    if batch_id is not None:
        batch = next((b for b in batches if b.pk == batch_id), None)
        if batch is None:
            raise InventoryError(
                InventoryCode.UNKNOWN_BATCH,
                gettext("批次不存在"),
                {"batch_id": batch_id, "location": record.location},
                status=404,
            )
        return batch
    number = batch_number or generated_batch_number(record, prefix)
    batch = next((b for b in batches if b.batch_number == number), None)
    if batch is None:
        return StockBatch.objects.create(
            stock_record=record, batch_number=number, production_date=production_date, expiry_date=expiry_date
        )
    for field, value in (("production_date", production_date), ("expiry_date", expiry_date)):
        if value is not None and getattr(batch, field) != value:
            raise InventoryError(
                InventoryCode.BATCH_MISMATCH,
                gettext("批次 %(number)s 已存在，日期不一致") % {"number": number},
                {"batch_number": number, field: getattr(batch, field) and getattr(batch, field).isoformat()},
                status=409,
            )
    return batch


def _change_on_hand(
    *,
    sku_id: int,
    delta: int,
    location: str,
    kind: str,
    actor,
    note: str,
    batch_id: int | None = None,
    batch_number: str = "",
    production_date: date | None = None,
    expiry_date: date | None = None,
) -> StockRecord:
    with transaction.atomic():
        record = _locked_record(sku_id, location, create=delta > 0)
        if record is None:
            raise _below(StockRecord(sku_id=sku_id, location=location), delta, sku_id=sku_id, location=location)
        if record.on_hand + delta < record.reserved:
            raise _below(record, delta, sku_id=sku_id, location=location)
        batches = batches_of([record])[record.pk]
        batch: StockBatch | None
        if delta > 0:
            batch = _target_batch(
                record,
                batches,
                batch_id=batch_id,
                batch_number=batch_number,
                production_date=production_date,
                expiry_date=expiry_date,
                prefix="R" if kind == StockMovement.Kind.RECEIVE else "A",
            )
            parts = [(batch, delta)]
        elif batch_id is not None:
            batch = next((b for b in batches if b.pk == batch_id), None)
            if batch is None:
                raise InventoryError(
                    InventoryCode.UNKNOWN_BATCH, gettext("批次不存在"), {"batch_id": batch_id, "location": location}, status=404
                )
            if batch.available < -delta:
                raise InventoryError(
                    InventoryCode.BELOW_RESERVED,
                    gettext("批次 %(number)s 可用只有 %(free)s 件") % {"number": batch.batch_number, "free": batch.available},
                    {"batch_id": batch.pk, "on_hand": batch.on_hand, "reserved": batch.reserved, "delta": delta},
                    status=409,
                )
            parts = [(batch, -delta)]
        else:
            parts = take_fefo(batches, -delta)
            if sum(q for _, q in parts) != -delta:
                raise _below(record, delta, sku_id=sku_id, location=location)
        sign = 1 if delta > 0 else -1
        amount = per_row({batch.pk: quantity for batch, quantity in parts})
        rows = StockBatch.objects.filter(pk__in=[b.pk for b, _ in parts])
        if sign < 0:
            rows = rows.filter(on_hand__gte=F("reserved") + amount)
        if rows.update(on_hand=F("on_hand") + sign * amount) != len(parts):
            raise _below(record, delta, sku_id=sku_id, location=location)
        StockRecord.objects.filter(pk=record.pk).update(on_hand=F("on_hand") + delta)
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_record=record, batch=batch, kind=kind, on_hand_delta=sign * quantity, actor=actor, note=note[:200]
                )
                for batch, quantity in parts
            ]
        )
        record.refresh_from_db()
        return record


def receive_stock(
    *,
    sku_id: int,
    quantity: int,
    location: str = MAIN_LOCATION,
    actor=None,
    note: str = "",
    batch_number: str = "",
    production_date: date | None = None,
    expiry_date: date | None = None,
) -> StockRecord:
    """Goods arrived: on_hand grows, in the named batch (created on first receipt; the same number
    again adds to it) or in a new batch numbered R<yyyymmdd>-<n>; the location's record is created
    on first receipt."""
    if not is_int(quantity) or not 0 < quantity <= MAX_STOCK_CHANGE:
        raise InventoryError(
            InventoryCode.INVALID_QUANTITY,
            gettext("入库数量必须是 1 到 %(max)s 之间的整数") % {"max": MAX_STOCK_CHANGE},
            {"quantity": quantity},
        )
    number = clean_batch_fields(batch_number, production_date, expiry_date)
    return _change_on_hand(
        sku_id=sku_id,
        delta=quantity,
        location=location,
        kind=StockMovement.Kind.RECEIVE,
        actor=actor,
        note=note,
        batch_number=number,
        production_date=production_date,
        expiry_date=expiry_date,
    )


def return_to_batches(
    *, sku_id: int, location: str, parts: list[tuple[int, int]], actor=None, note: str = "", reference: str = ""
) -> StockRecord:
    """Units that left in known batches come back (a buyer's return): each (batch_id, quantity) of
    `parts` goes back into that batch, all under the lock of the (sku, location) record, with one
    receive movement per batch. A batch kept at another location of the SKU (a flash sale's or
    other copy moved out with its number and dates) is matched by its number at `location`, created
    there with the same dates when missing, so the units land where the caller receives them."""
    wanted: dict[int, int] = {}
    for batch_id, quantity in parts:
        if not is_int(batch_id):
            raise InventoryError(InventoryCode.UNKNOWN_BATCH, gettext("批次不存在"), {"batch_id": str(batch_id)[:40]}, status=404)
        if not is_int(quantity) or not 0 < quantity <= MAX_STOCK_CHANGE:
            raise InventoryError(
                InventoryCode.INVALID_QUANTITY,
                gettext("入库数量必须是 1 到 %(max)s 之间的整数") % {"max": MAX_STOCK_CHANGE},
                {"batch_id": batch_id, "quantity": quantity},
            )
        wanted[batch_id] = wanted.get(batch_id, 0) + quantity
    total = sum(wanted.values())
    if not wanted or total > MAX_STOCK_CHANGE:
        raise InventoryError(InventoryCode.INVALID_QUANTITY, gettext("退回数量无效"), {"quantity": total})
    with transaction.atomic():
        record = _locked_record(sku_id, location, create=True)
        assert record is not None
        here = {b.pk: b for b in batches_of([record])[record.pk]}
        by_number = {b.batch_number: b for b in here.values()}
        elsewhere = {
            b.pk: b
            for b in StockBatch.objects.filter(pk__in=[pk for pk in wanted if pk not in here], stock_record__sku_id=sku_id)
        }
        into: dict[int, tuple[StockBatch, int]] = {}
        for batch_id, quantity in wanted.items():
            batch = here.get(batch_id)
            if batch is None:
                origin = elsewhere.get(batch_id)
                if origin is None:
                    raise InventoryError(
                        InventoryCode.UNKNOWN_BATCH,
                        gettext("批次不存在"),
                        {"batch_id": batch_id, "location": location},
                        status=404,
                    )
                batch = by_number.get(origin.batch_number)
                if batch is None:
                    batch = StockBatch.objects.create(
                        stock_record=record,
                        batch_number=origin.batch_number,
                        production_date=origin.production_date,
                        expiry_date=origin.expiry_date,
                    )
                    by_number[batch.batch_number] = batch
            previous = into.get(batch.pk, (batch, 0))[1]
            into[batch.pk] = (batch, previous + quantity)
        StockBatch.objects.filter(pk__in=list(into)).update(
            on_hand=F("on_hand") + per_row({pk: quantity for pk, (_, quantity) in into.items()})
        )
        StockRecord.objects.filter(pk=record.pk).update(on_hand=F("on_hand") + total)
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_record=record,
                    batch=batch,
                    kind=StockMovement.Kind.RECEIVE,
                    on_hand_delta=quantity,
                    reference=reference[:64],
                    actor=actor,
                    note=note[:200],
                )
                for batch, quantity in into.values()
            ]
        )
        record.refresh_from_db()
        return record


def adjust_stock(
    *, sku_id: int, delta: int, location: str = MAIN_LOCATION, actor=None, note: str = "", batch_id: int | None = None
) -> StockRecord:
    """A stock count or correction: on_hand moves by delta but never below what orders hold. A
    negative delta takes from the given batch or first-expiring first, never below a batch's
    reserved units; a positive one goes to the given batch or a new one."""
    if not is_int(delta) or delta == 0 or abs(delta) > MAX_STOCK_CHANGE:
        raise InventoryError(
            InventoryCode.INVALID_QUANTITY,
            gettext("数量必须是非零整数，且一次不超过 %(max)s") % {"max": MAX_STOCK_CHANGE},
            {"delta": delta},
        )
    if batch_id is not None and not is_int(batch_id):
        raise InventoryError(InventoryCode.UNKNOWN_BATCH, gettext("批次不存在"), {"batch_id": str(batch_id)[:40]}, status=404)
    return _change_on_hand(
        sku_id=sku_id, delta=delta, location=location, kind=StockMovement.Kind.ADJUST, actor=actor, note=note, batch_id=batch_id
    )


def transfer_stock(
    *, sku_id: int, quantity: int, source: str, target: str, actor=None, note: str = "", partial: bool = False
) -> int:
    """Move units that are free (on hand, not reserved) from one location to another, e.g. into a
    flash sale's own stock when it starts and back when it ends, first-expiring first; each batch
    keeps its number and dates at the target. Both sides are recorded as transfer movements, one
    per batch. `partial`: move what is free up to `quantity` (else all or below_reserved). Returns
    how many moved. Rows are locked in location order, so two transfers never deadlock."""
    if not is_int(quantity) or not 0 <= quantity <= MAX_STOCK_CHANGE or source == target:
        raise InventoryError(
            InventoryCode.INVALID_QUANTITY, gettext("调拨数量无效"), {"quantity": quantity, "source": source, "target": target}
        )
    if quantity == 0:
        return 0
    with transaction.atomic():
        if not Sku.objects.filter(pk=sku_id).exists():
            raise unknown_sku([sku_id])
        StockRecord.objects.get_or_create(sku_id=sku_id, location=target)
        rows = {
            r.location: r
            for r in StockRecord.objects.select_for_update()
            .filter(sku_id=sku_id, location__in=[source, target])
            .order_by("location")
        }
        origin = rows.get(source)
        free = origin.available if origin is not None else 0
        if partial and free <= 0:
            return 0
        moved = min(quantity, free) if partial else quantity
        if moved > free or origin is None:
            raise InventoryError(
                InventoryCode.BELOW_RESERVED,
                gettext("可调拨库存不足（可用 %(free)s 件）") % {"free": max(free, 0)},
                {"sku_id": sku_id, "location": source, "available": max(free, 0), "quantity": quantity},
                status=409,
            )
        if moved <= 0:
            return 0
        destination = rows[target]
        batches = batches_of([origin, destination])
        parts = take_fefo(batches[origin.pk], moved)
        if sum(q for _, q in parts) != moved:
            raise InventoryError(
                InventoryCode.BELOW_RESERVED,
                gettext("可调拨库存不足（可用 %(free)s 件）") % {"free": sum(q for _, q in parts)},
                {"sku_id": sku_id, "location": source, "available": sum(q for _, q in parts), "quantity": quantity},
                status=409,
            )
        taken = per_row({batch.pk: q for batch, q in parts})
        StockBatch.objects.filter(pk__in=[b.pk for b, _ in parts], on_hand__gte=F("reserved") + taken).update(
            on_hand=F("on_hand") - taken
        )
        there = {b.batch_number: b for b in batches[destination.pk]}
        arrivals = []
        for batch, q in parts:
            same = there.get(batch.batch_number)
            if same is None:
                same = StockBatch(
                    stock_record=destination,
                    batch_number=batch.batch_number,
                    production_date=batch.production_date,
                    expiry_date=batch.expiry_date,
                )
                there[batch.batch_number] = same
            arrivals.append((same, q))
        new = [b for b, _ in arrivals if b.pk is None]
        if new:
            StockBatch.objects.bulk_create(new)
        StockBatch.objects.filter(pk__in=[b.pk for b, _ in arrivals]).update(
            on_hand=F("on_hand") + per_row({b.pk: q for b, q in arrivals})
        )
        StockRecord.objects.filter(pk=origin.pk).update(on_hand=F("on_hand") - moved)
        StockRecord.objects.filter(pk=destination.pk).update(on_hand=F("on_hand") + moved)
        common = {"kind": StockMovement.Kind.TRANSFER, "actor": actor, "note": note[:200]}
        StockMovement.objects.bulk_create(
            [
                StockMovement(stock_record=origin, batch=batch, on_hand_delta=-q, reference=target[:64], **common)
                for batch, q in parts
            ]
            + [
                StockMovement(stock_record=destination, batch=batch, on_hand_delta=q, reference=source[:64], **common)
                for batch, q in arrivals
            ]
        )
        return moved


def set_safety_stock(*, sku_id: int, quantity: int, location: str = MAIN_LOCATION) -> StockRecord:
    """The alert line for reordering; a setting, not a stock change, so it leaves no movement."""
    if not is_int(quantity) or quantity < 0:
        raise InventoryError(InventoryCode.INVALID_QUANTITY, gettext("安全库存必须是不小于 0 的整数"), {"quantity": quantity})
    if not StockRecord.objects.filter(sku_id=sku_id, location=location).update(safety_stock=quantity):
        if not Sku.objects.filter(pk=sku_id).exists():
            raise unknown_sku([sku_id])
        StockRecord.objects.update_or_create(sku_id=sku_id, location=location, defaults={"safety_stock": quantity})
    return StockRecord.objects.get(sku_id=sku_id, location=location)
