"""The only code that writes stock. Every change is one conditional or locked UPDATE, so that no
interleaving of buyers, cancellations, shipping and operators can oversell: the stock rows of a
reservation are locked in sku_id order (no deadlocks between orders taking the same SKUs in another
order), and the check constraints refuse whatever would slip past the conditions anyway.

On SQLite the settings begin every transaction with BEGIN IMMEDIATE, which serialises writers;
SELECT ... FOR UPDATE is then a no-op and the same code stays correct.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku
from fenxiao.common.transactions import joined

from .errors import InventoryCode, InventoryError
from .models import MAIN_LOCATION, Reservation, StockMovement, StockRecord

HELD = (Reservation.Status.ACTIVE, Reservation.Status.CONFIRMED)
MAX_STOCK_CHANGE = 10**9  # units in one receipt or adjustment; keeps on_hand far from the column's limit


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_reference(reference: str) -> None:
    if not isinstance(reference, str) or not reference or len(reference) > 64:
        raise ValueError("reference must be a non-empty string of at most 64 characters")


def _summed(items: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Quantities per SKU, duplicates added up, in sku_id order (the order rows are locked in)."""
    wanted: dict[int, int] = {}
    for sku_id, quantity in items:
        if not _is_int(sku_id):
            raise InventoryError(InventoryCode.UNKNOWN_SKU, gettext("SKU 不存在"), {"sku_id": sku_id}, status=404)
        if not _is_int(quantity) or quantity <= 0:
            raise InventoryError(
                InventoryCode.INVALID_QUANTITY, gettext("数量必须是正整数"), {"sku_id": sku_id, "quantity": quantity}
            )
        wanted[sku_id] = wanted.get(sku_id, 0) + quantity
    if not wanted:
        raise InventoryError(InventoryCode.INVALID_QUANTITY, gettext("没有要占用的商品"), {"items": []})
    return dict(sorted(wanted.items()))


def _unknown_sku(sku_ids: list[int]) -> InventoryError:
    return InventoryError(InventoryCode.UNKNOWN_SKU, gettext("SKU 不存在"), {"sku_ids": sku_ids}, status=404)


def _per_record(quantities: dict[int, int]) -> Case:
    """CASE id WHEN <record> THEN <quantity> ..., so one UPDATE serves any number of rows (the
    UPDATE is restricted to these records; one record needs no CASE)."""
    if len(quantities) == 1:
        return Value(next(iter(quantities.values())), output_field=BigIntegerField())
    return Case(
        *[When(pk=record_id, then=Value(quantity)) for record_id, quantity in quantities.items()],
        default=Value(0),
        output_field=BigIntegerField(),
    )


# --- on hand: receiving and adjusting -------------------------------------------------------------


def _change_on_hand(*, sku_id: int, delta: int, location: str, kind: str, actor, note: str) -> StockRecord:
    with transaction.atomic():
        records = StockRecord.objects.filter(sku_id=sku_id, location=location)
        # on_hand + delta >= reserved, and reserved >= 0, so on_hand never goes below zero either
        updated = records.filter(on_hand__gte=F("reserved") - delta).update(on_hand=F("on_hand") + delta)
        if not updated:
            record = records.first()
            if record is None:
                if not Sku.objects.filter(pk=sku_id).exists():
                    raise _unknown_sku([sku_id])
                if delta > 0:
                    StockRecord.objects.get_or_create(sku_id=sku_id, location=location)
                    updated = records.update(on_hand=F("on_hand") + delta)
                else:
                    record = StockRecord(sku_id=sku_id, location=location)
            if not updated:
                detail = {
                    "sku_id": sku_id,
                    "location": location,
                    "on_hand": record.on_hand,
                    "reserved": record.reserved,
                    "delta": delta,
                }
                if record.on_hand + delta < 0:
                    message = gettext("库存不能低于 0（现有 %(on_hand)s 件）") % {"on_hand": record.on_hand}
                else:
                    message = gettext("库存不能低于已占用的 %(reserved)s 件") % {"reserved": record.reserved}
                raise InventoryError(InventoryCode.BELOW_RESERVED, message, detail, status=409)
        record = records.get()
        StockMovement.objects.create(stock_record=record, kind=kind, on_hand_delta=delta, actor=actor, note=note[:200])
        return record


def receive_stock(*, sku_id: int, quantity: int, location: str = MAIN_LOCATION, actor=None, note: str = "") -> StockRecord:
    """Goods arrived: on_hand grows; the location's record is created on first receipt."""
    if not _is_int(quantity) or not 0 < quantity <= MAX_STOCK_CHANGE:
        raise InventoryError(
            InventoryCode.INVALID_QUANTITY,
            gettext("入库数量必须是 1 到 %(max)s 之间的整数") % {"max": MAX_STOCK_CHANGE},
            {"quantity": quantity},
        )
    return _change_on_hand(
        sku_id=sku_id, delta=quantity, location=location, kind=StockMovement.Kind.RECEIVE, actor=actor, note=note
    )


def adjust_stock(*, sku_id: int, delta: int, location: str = MAIN_LOCATION, actor=None, note: str = "") -> StockRecord:
    """A stock count or correction: on_hand moves by delta but never below what orders hold."""
    if not _is_int(delta) or delta == 0 or abs(delta) > MAX_STOCK_CHANGE:
        raise InventoryError(
            InventoryCode.INVALID_QUANTITY,
            gettext("数量必须是非零整数，且一次不超过 %(max)s") % {"max": MAX_STOCK_CHANGE},
            {"delta": delta},
        )
    return _change_on_hand(sku_id=sku_id, delta=delta, location=location, kind=StockMovement.Kind.ADJUST, actor=actor, note=note)


def transfer_stock(
    *, sku_id: int, quantity: int, source: str, target: str, actor=None, note: str = "", partial: bool = False
) -> int:
    """Move units that are free (on hand, not reserved) from one location to another, e.g. into a
    flash sale's own stock when it starts and back when it ends; both sides are recorded as transfer
    movements. `partial`: move what is free up to `quantity` (else all or below_reserved). Returns
    how many moved. Rows are locked in location order, so two transfers never deadlock."""
    if not _is_int(quantity) or not 0 <= quantity <= MAX_STOCK_CHANGE or source == target:
        raise InventoryError(
            InventoryCode.INVALID_QUANTITY, gettext("调拨数量无效"), {"quantity": quantity, "source": source, "target": target}
        )
    if quantity == 0:
        return 0
    with transaction.atomic():
        if not Sku.objects.filter(pk=sku_id).exists():
            raise _unknown_sku([sku_id])
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
        StockRecord.objects.filter(pk=origin.pk).update(on_hand=F("on_hand") - moved)
        StockRecord.objects.filter(pk=rows[target].pk).update(on_hand=F("on_hand") + moved)
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_record=origin,
                    kind=StockMovement.Kind.TRANSFER,
                    on_hand_delta=-moved,
                    actor=actor,
                    note=note[:200],
                    reference=target[:64],
                ),
                StockMovement(
                    stock_record=rows[target],
                    kind=StockMovement.Kind.TRANSFER,
                    on_hand_delta=moved,
                    actor=actor,
                    note=note[:200],
                    reference=source[:64],
                ),
            ]
        )
        return moved


def set_safety_stock(*, sku_id: int, quantity: int, location: str = MAIN_LOCATION) -> StockRecord:
    """The alert line for reordering; a setting, not a stock change, so it leaves no movement."""
    if not _is_int(quantity) or quantity < 0:
        raise InventoryError(InventoryCode.INVALID_QUANTITY, gettext("安全库存必须是不小于 0 的整数"), {"quantity": quantity})
    if not StockRecord.objects.filter(sku_id=sku_id, location=location).update(safety_stock=quantity):
        if not Sku.objects.filter(pk=sku_id).exists():
            raise _unknown_sku([sku_id])
        StockRecord.objects.update_or_create(sku_id=sku_id, location=location, defaults={"safety_stock": quantity})
    return StockRecord.objects.get(sku_id=sku_id, location=location)


# --- reservations ---------------------------------------------------------------------------------


def reserve(
    *,
    reference: str,
    items: list[tuple[int, int]],
    expires_at: datetime | None = None,
    location: str = MAIN_LOCATION,
    fresh: bool = False,
) -> list[Reservation]:
    """Hold stock for every line of an order, or for none: a single short line raises sold_out and
    nothing is held. The query count does not depend on the number of lines. `fresh`: the reference
    was made in the caller's transaction (a new order's), so nothing can hold it yet and there is
    nothing to look for or to take up again."""
    _check_reference(reference)
    wanted = _summed(items)
    # A new order's reference needs no savepoint of its own: a refusal dooms the order's transaction
    # (a caller that carries on after sold_out opens its own savepoint, as the late-payment path does).
    with transaction.atomic(savepoint=not fresh):
        records = list(
            StockRecord.objects.select_for_update().filter(location=location, sku_id__in=list(wanted)).order_by("sku_id")
        )
        by_sku = {record.sku_id: record for record in records}
        missing = [sku_id for sku_id in wanted if sku_id not in by_sku]
        if missing:
            known = set(Sku.objects.filter(pk__in=missing).values_list("pk", flat=True))
            if unknown := [sku_id for sku_id in missing if sku_id not in known]:
                raise _unknown_sku(unknown)
        if records and not fresh:
            held = list(
                Reservation.objects.filter(reference=reference, stock_record__in=records)
                .exclude(status=Reservation.Status.RELEASED)
                .values_list("stock_record__sku_id", flat=True)
            )
            if held:
                raise InventoryError(
                    InventoryCode.ALREADY_RESERVED,
                    gettext("该单据已占用这些商品的库存"),
                    {"reference": reference, "sku_ids": sorted(held)},
                    status=409,
                )
        if records:
            amount = _per_record({record.pk: wanted[record.sku_id] for record in records})
            updated = StockRecord.objects.filter(pk__in=[r.pk for r in records], on_hand__gte=F("reserved") + amount).update(
                reserved=F("reserved") + amount
            )
        else:
            updated = 0
        if updated != len(wanted):
            # Raising leaves the atomic block, which undoes the rows that did fit.
            raise _sold_out(wanted, by_sku)

        reservations = [
            Reservation(
                reference=reference,
                stock_record=record,
                quantity=wanted[record.sku_id],
                status=Reservation.Status.ACTIVE,
                expires_at=expires_at,
            )
            for record in records
        ]
        if fresh:
            Reservation.objects.bulk_create(reservations)
        else:
            # A reservation this reference released earlier is taken up again in place.
            Reservation.objects.bulk_create(
                reservations,
                update_conflicts=True,
                unique_fields=["reference", "stock_record"],
                update_fields=["quantity", "status", "expires_at", "updated_at"],
            )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_record=record,
                    kind=StockMovement.Kind.RESERVE,
                    reserved_delta=wanted[record.sku_id],
                    reference=reference,
                )
                for record in records
            ]
        )
        for record in records:
            record.reserved += wanted[record.sku_id]
        return reservations


def _sold_out(wanted: dict[int, int], by_sku: dict[int, StockRecord]) -> InventoryError:
    """The rows were locked when read, so their numbers are the ones the UPDATE saw."""
    available = {sku_id: (by_sku[sku_id].available if sku_id in by_sku else 0) for sku_id in wanted}
    short = [sku_id for sku_id in wanted if available[sku_id] < wanted[sku_id]] or list(wanted)
    names = [str(sku) for sku in Sku.objects.filter(pk__in=short).select_related("product").order_by("pk")]
    return InventoryError(
        InventoryCode.SOLD_OUT,
        gettext("库存不足：%(names)s") % {"names": "、".join(names)},
        {"sku_ids": short, "available": {sku_id: max(available[sku_id], 0) for sku_id in short}},
        status=409,
    )


def _locked_reservations(reference: str, statuses, *, with_stock: bool) -> list[Reservation]:
    """The reference's reservations in the given states, locked in the same sku_id order reserve()
    locks stock rows in. With with_stock the stock rows are locked in the same statement."""
    qs = Reservation.objects.filter(reference=reference, status__in=statuses).order_by(
        "stock_record__sku_id", "stock_record__location"
    )
    if with_stock:
        qs = qs.select_related("stock_record").select_for_update()
    else:
        qs = qs.select_for_update(of=("self",))
    return list(qs)


def confirm(*, reference: str) -> int:
    """Payment arrived: the reference's active reservations stop expiring. Returns how many were
    confirmed (0 when they already were); reservation_not_found when nothing is held any more,
    e.g. the unpaid-order job released it first."""
    _check_reference(reference)
    with joined():  # it refuses before it writes: in the payment's transaction, no savepoint
        return _confirm(reference)


def _confirm(reference: str) -> int:
    rows = _locked_reservations(reference, [Reservation.Status.ACTIVE], with_stock=False)
    if not rows:
        if Reservation.objects.filter(
            reference=reference, status__in=[Reservation.Status.CONFIRMED, Reservation.Status.CONSUMED]
        ).exists():
            return 0
        raise InventoryError(
            InventoryCode.RESERVATION_NOT_FOUND, gettext("没有可确认的库存占用"), {"reference": reference}, status=404
        )
    Reservation.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=Reservation.Status.CONFIRMED, expires_at=None, updated_at=timezone.now()
    )
    StockMovement.objects.bulk_create(
        [StockMovement(stock_record_id=r.stock_record_id, kind=StockMovement.Kind.CONFIRM, reference=reference) for r in rows]
    )
    return len(rows)


def _settle(*, reference: str, to: str, kind: str, take_on_hand: bool, actor, note: str) -> int:
    _check_reference(reference)
    with transaction.atomic():
        rows = _locked_reservations(reference, HELD, with_stock=True)
        if not rows:
            return 0
        amount = _per_record({r.stock_record_id: r.quantity for r in rows})
        changes = {"reserved": F("reserved") - amount}
        if take_on_hand:
            changes["on_hand"] = F("on_hand") - amount
        StockRecord.objects.filter(pk__in=[r.stock_record_id for r in rows]).update(**changes)
        Reservation.objects.filter(pk__in=[r.pk for r in rows]).update(status=to, updated_at=timezone.now())
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_record_id=r.stock_record_id,
                    kind=kind,
                    on_hand_delta=-r.quantity if take_on_hand else 0,
                    reserved_delta=-r.quantity,
                    reference=reference,
                    actor=actor,
                    note=note[:200],
                )
                for r in rows
            ]
        )
        return len(rows)


def release(*, reference: str, actor=None, note: str = "") -> int:
    """Cancelled or left unpaid: held units become available again. Releasing what is already
    released (or never was reserved) changes nothing and returns 0."""
    return _settle(
        reference=reference,
        to=Reservation.Status.RELEASED,
        kind=StockMovement.Kind.RELEASE,
        take_on_hand=False,
        actor=actor,
        note=note,
    )


def consume(*, reference: str, actor=None) -> int:
    """Shipped: held units leave the warehouse (on_hand and reserved both drop). Idempotent: a
    second call returns 0; reservation_not_found when the reference holds nothing and never shipped."""
    consumed = _settle(
        reference=reference,
        to=Reservation.Status.CONSUMED,
        kind=StockMovement.Kind.CONSUME,
        take_on_hand=True,
        actor=actor,
        note="",
    )
    if not consumed and not Reservation.objects.filter(reference=reference, status=Reservation.Status.CONSUMED).exists():
        raise InventoryError(
            InventoryCode.RESERVATION_NOT_FOUND, gettext("没有可出库的库存占用"), {"reference": reference}, status=404
        )
    return consumed


def expired_references(now: datetime) -> list[str]:
    """References still holding stock past their expiry, for the unpaid-order job to release."""
    return list(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE, expires_at__lte=now)
        .order_by("reference")
        .values_list("reference", flat=True)
        .distinct()
    )
