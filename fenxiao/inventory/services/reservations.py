"""Reservations: an order holds stock at one or several locations, all or none, each record's units
allocated to its batches first-expiring first; payment confirms the hold, shipping consumes it
(the batches it took are kept for traceability), a cancellation releases it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku
from fenxiao.common.transactions import joined
from fenxiao.inventory.errors import InventoryCode, InventoryError
from fenxiao.inventory.models import MAIN_LOCATION, BatchAllocation, Reservation, StockBatch, StockMovement, StockRecord

from ._base import HELD, batches_of, check_reference, per_row, summed, take_fefo, unknown_sku


def _clean_sku_ids(sku_ids) -> list[int] | None:
    if sku_ids is None:
        return None
    ids = sorted(set(sku_ids))
    if not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InventoryError(InventoryCode.INVALID_QUANTITY, gettext("没有要处理的商品"), {"sku_ids": list(sku_ids)[:50]})
    return ids


def reserve(
    *,
    reference: str,
    items: list[tuple[int, int]],
    expires_at: datetime | None = None,
    location: str = MAIN_LOCATION,
    fresh: bool = False,
    locations: dict[int, str] | None = None,
) -> list[Reservation]:
    """Hold stock for every line of an order, or for none: a single short line raises sold_out and
    nothing is held. Each SKU is taken at `location`, unless `locations` names another one for it
    (a supplier's "supplier:<id>"); the stock rows of every location are locked in one statement in
    (sku_id, location) order, so orders taking the same rows never deadlock. Within a record the
    units are allocated to its batches first-expiring first. The query count does not depend on
    the number of lines or locations. `fresh`: the reference was made in the caller's transaction
    (a new order's), so nothing can hold it yet and there is nothing to look for or take up again."""
    check_reference(reference)
    wanted = summed(items)
    place = {sku_id: (locations or {}).get(sku_id, location) for sku_id in wanted}
    by_location: dict[str, list[int]] = defaultdict(list)
    for sku_id, where in place.items():
        by_location[where].append(sku_id)
    where_rows = Q()
    for where, sku_ids in sorted(by_location.items()):
        where_rows |= Q(location=where, sku_id__in=sku_ids)
    # A new order's reference needs no savepoint of its own: a refusal dooms the order's transaction
    # (a caller that carries on after sold_out opens its own savepoint, as the late-payment path does).
    with transaction.atomic(savepoint=not fresh):
        locked = StockRecord.objects.select_for_update().filter(where_rows).order_by("sku_id", "location")
        records = [r for r in locked if place[r.sku_id] == r.location]
        by_sku = {record.sku_id: record for record in records}
        missing = [sku_id for sku_id in wanted if sku_id not in by_sku]
        if missing:
            known = set(Sku.objects.filter(pk__in=missing).values_list("pk", flat=True))
            if unknown := [sku_id for sku_id in missing if sku_id not in known]:
                raise unknown_sku(unknown)
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
            amount = per_row({record.pk: wanted[record.sku_id] for record in records})
            updated = StockRecord.objects.filter(pk__in=[r.pk for r in records], on_hand__gte=F("reserved") + amount).update(
                reserved=F("reserved") + amount
            )
        else:
            updated = 0
        if updated != len(wanted):
            # Raising leaves the atomic block, which undoes the rows that did fit.
            raise _sold_out(wanted, by_sku)

        # The records are locked and had room, so their batches have it too (they add up to them).
        batches = batches_of(records)
        plan = {record.pk: take_fefo(batches[record.pk], wanted[record.sku_id]) for record in records}
        per_batch = {batch.pk: take for taken in plan.values() for batch, take in taken}
        if any(sum(take for _, take in plan[r.pk]) != wanted[r.sku_id] for r in records) or not _hold_batches(per_batch):
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
        if any(r.pk is None for r in reservations):  # a database that returns no ids from an upsert
            ids = dict(
                Reservation.objects.filter(reference=reference, stock_record__in=records).values_list("stock_record_id", "pk")
            )
            for r in reservations:
                r.pk = ids[r.stock_record_id]
        BatchAllocation.objects.bulk_create(
            [
                BatchAllocation(reservation=reservation, batch=batch, quantity=take)
                for reservation in reservations
                for batch, take in plan[reservation.stock_record_id]
            ]
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


def _hold_batches(per_batch: dict[int, int]) -> bool:
    """One conditional UPDATE: every batch takes its part or none is counted as taken."""
    if not per_batch:
        return True
    amount = per_row(per_batch)
    return StockBatch.objects.filter(pk__in=list(per_batch), on_hand__gte=F("reserved") + amount).update(
        reserved=F("reserved") + amount
    ) == len(per_batch)


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


def _locked_reservations(reference: str, statuses, *, with_stock: bool, sku_ids: list[int] | None = None) -> list[Reservation]:
    """The reference's reservations in the given states (of the given SKUs), locked in the same
    (sku_id, location) order reserve() locks stock rows in. With with_stock the stock rows are
    locked in the same statement."""
    qs = Reservation.objects.filter(reference=reference, status__in=statuses)
    if sku_ids is not None:
        qs = qs.filter(stock_record__sku_id__in=sku_ids)
    qs = qs.order_by("stock_record__sku_id", "stock_record__location")
    if with_stock:
        qs = qs.select_related("stock_record").select_for_update()
    else:
        qs = qs.select_for_update(of=("self",))
    return list(qs)


def confirm(*, reference: str) -> int:
    """Payment arrived: the reference's active reservations stop expiring. Returns how many were
    confirmed (0 when they already were); reservation_not_found when nothing is held any more,
    e.g. the unpaid-order job released it first."""
    check_reference(reference)
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


def _settle(*, reference: str, to: str, kind: str, take_on_hand: bool, actor, note: str, sku_ids: list[int] | None) -> int:
    check_reference(reference)
    with transaction.atomic():
        rows = _locked_reservations(reference, HELD, with_stock=True, sku_ids=sku_ids)
        if not rows:
            return 0
        allocations = list(
            BatchAllocation.objects.filter(reservation__in=rows, consumed=False).order_by("reservation_id", "batch_id")
        )
        amount = per_row({r.stock_record_id: r.quantity for r in rows})
        changes = {"reserved": F("reserved") - amount}
        if take_on_hand:
            changes["on_hand"] = F("on_hand") - amount
        StockRecord.objects.filter(pk__in=[r.stock_record_id for r in rows]).update(**changes)
        per_batch: dict[int, int] = defaultdict(int)
        for allocation in allocations:
            per_batch[allocation.batch_id] += allocation.quantity
        if per_batch:
            batch_amount = per_row(dict(per_batch))
            batch_changes = {"reserved": F("reserved") - batch_amount}
            if take_on_hand:
                batch_changes["on_hand"] = F("on_hand") - batch_amount
            StockBatch.objects.filter(pk__in=list(per_batch)).update(**batch_changes)
            if take_on_hand:
                BatchAllocation.objects.filter(pk__in=[a.pk for a in allocations]).update(consumed=True)
            else:
                BatchAllocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
        Reservation.objects.filter(pk__in=[r.pk for r in rows]).update(status=to, updated_at=timezone.now())
        StockMovement.objects.bulk_create(
            _movements(rows, allocations if take_on_hand else [], kind, take_on_hand, reference, actor, note)
        )
        return len(rows)


def _movements(rows, allocations, kind, take_on_hand, reference, actor, note) -> list[StockMovement]:
    """One movement per reservation; when units leave, one per batch they left from (and one
    without a batch for any part no batch covered)."""
    by_reservation: dict[int, list[BatchAllocation]] = defaultdict(list)
    for allocation in allocations:
        by_reservation[allocation.reservation_id].append(allocation)
    movements = []
    for r in rows:
        parts: list[tuple[int | None, int]] = [(a.batch_id, a.quantity) for a in by_reservation[r.pk]]
        rest = r.quantity - sum(q for _, q in parts)
        if rest > 0 or not parts:
            parts.append((None, rest))
        for batch_id, quantity in parts:
            movements.append(
                StockMovement(
                    stock_record_id=r.stock_record_id,
                    batch_id=batch_id,
                    kind=kind,
                    on_hand_delta=-quantity if take_on_hand else 0,
                    reserved_delta=-quantity,
                    reference=reference,
                    actor=actor,
                    note=note[:200],
                )
            )
    return movements


def release(*, reference: str, actor=None, note: str = "", sku_ids=None) -> int:
    """Cancelled or left unpaid: held units become available again (in their batches). With
    `sku_ids` only those SKUs' reservations of the reference are released. Releasing what is
    already released (or never was reserved) changes nothing and returns 0."""
    return _settle(
        reference=reference,
        to=Reservation.Status.RELEASED,
        kind=StockMovement.Kind.RELEASE,
        take_on_hand=False,
        actor=actor,
        note=note,
        sku_ids=_clean_sku_ids(sku_ids),
    )


def consume(*, reference: str, actor=None, sku_ids=None) -> int:
    """Shipped: held units leave the warehouse from the batches they were allocated to (on_hand
    and reserved both drop; the allocations stay, marked consumed). With `sku_ids` only those
    SKUs' reservations (a shipment's). Idempotent: a second call returns 0;
    reservation_not_found when nothing of it is held and none of it ever shipped."""
    ids = _clean_sku_ids(sku_ids)
    consumed = _settle(
        reference=reference,
        to=Reservation.Status.CONSUMED,
        kind=StockMovement.Kind.CONSUME,
        take_on_hand=True,
        actor=actor,
        note="",
        sku_ids=ids,
    )
    if not consumed:
        done = Reservation.objects.filter(reference=reference, status=Reservation.Status.CONSUMED)
        if ids is not None:
            done = done.filter(stock_record__sku_id__in=ids)
        if not done.exists():
            raise InventoryError(
                InventoryCode.RESERVATION_NOT_FOUND,
                gettext("没有可出库的库存占用"),
                {"reference": reference, **({"sku_ids": ids} if ids is not None else {})},
                status=404,
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
