"""Batches: receipts into numbered batches, reservations and shipping first-expiring first (FEFO),
adjustments and transfers that keep the batches adding up to their record, and what a shipment took."""

from datetime import date

import pytest

from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import BatchAllocation, StockBatch, StockMovement, StockRecord
from fenxiao.inventory.selectors import batch_violations, consumed_batches
from fenxiao.inventory.services import adjust_stock, consume, receive_stock, release, reserve, transfer_stock
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dated():
    """A SKU with three batches at the warehouse: late (Dec), early (Jun), undated (opening, 2)."""
    sku = SkuFactory(stock=2)
    receive_stock(sku_id=sku.pk, quantity=5, batch_number="LATE", production_date=date(2026, 1, 1), expiry_date=date(2027, 12, 1))
    receive_stock(sku_id=sku.pk, quantity=3, batch_number="EARLY", expiry_date=date(2027, 6, 1))
    return sku


def batch(sku, number, location="main") -> StockBatch:
    return StockBatch.objects.get(stock_record__sku=sku, stock_record__location=location, batch_number=number)


def levels(sku, location="main") -> dict[str, tuple[int, int]]:
    return {
        b.batch_number: (b.on_hand, b.reserved)
        for b in StockBatch.objects.filter(stock_record__sku=sku, stock_record__location=location)
    }


# --- receiving ------------------------------------------------------------------------------------


def test_receipt_goes_into_its_batch_and_again_adds_to_it(dated):
    receive_stock(sku_id=dated.pk, quantity=2, batch_number="LATE")
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (7, 0), "EARLY": (3, 0)}
    assert StockRecord.objects.get(sku=dated).on_hand == 12
    late = batch(dated, "LATE")
    assert (late.production_date, late.expiry_date) == (date(2026, 1, 1), date(2027, 12, 1))
    assert set(StockMovement.objects.filter(kind="receive", batch=late).values_list("on_hand_delta", flat=True)) == {5, 2}
    assert batch_violations() == []


def test_receipt_without_a_number_gets_a_generated_one():
    sku = SkuFactory(stock=0)
    receive_stock(sku_id=sku.pk, quantity=1)
    receive_stock(sku_id=sku.pk, quantity=1)
    numbers = sorted(StockBatch.objects.filter(stock_record__sku=sku).values_list("batch_number", flat=True))
    assert len(numbers) == 2 and numbers[0].startswith("R") and numbers[0].endswith("-1") and numbers[1].endswith("-2")


def test_receipt_refuses_bad_batch_data(dated):
    with pytest.raises(InventoryError) as exc:
        receive_stock(
            sku_id=dated.pk, quantity=1, batch_number="X", production_date=date(2027, 1, 2), expiry_date=date(2027, 1, 1)
        )
    assert exc.value.code == "invalid_batch"
    with pytest.raises(InventoryError) as exc:
        receive_stock(sku_id=dated.pk, quantity=1, batch_number="EARLY", expiry_date=date(2030, 1, 1))
    assert (exc.value.code, exc.value.status) == ("batch_mismatch", 409)
    with pytest.raises(InventoryError) as exc:
        receive_stock(sku_id=dated.pk, quantity=1, batch_number="x" * 41)
    assert exc.value.code == "invalid_batch"
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (5, 0), "EARLY": (3, 0)}


# --- FEFO -----------------------------------------------------------------------------------------


def test_reserve_takes_the_first_expiring_batch_first(dated):
    reserve(reference="order:1", items=[(dated.pk, 2)])
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (5, 0), "EARLY": (3, 2)}
    reserve(reference="order:2", items=[(dated.pk, 4)])  # 1 left in EARLY, then 3 of LATE
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (5, 3), "EARLY": (3, 3)}
    reserve(reference="order:3", items=[(dated.pk, 4)])  # the undated batch comes last
    assert levels(dated) == {"OPENING": (2, 2), "LATE": (5, 5), "EARLY": (3, 3)}
    allocations = BatchAllocation.objects.filter(reservation__reference="order:2").order_by("batch__expiry_date")
    assert [(a.batch.batch_number, a.quantity) for a in allocations] == [("EARLY", 1), ("LATE", 3)]
    assert batch_violations() == []


def test_release_puts_units_back_in_their_batches(dated):
    reserve(reference="order:1", items=[(dated.pk, 4)])
    assert release(reference="order:1") == 1
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (5, 0), "EARLY": (3, 0)}
    assert not BatchAllocation.objects.exists()
    # taken up again in place: allocated afresh
    reserve(reference="order:1", items=[(dated.pk, 1)])
    assert levels(dated)["EARLY"] == (3, 1)
    assert batch_violations() == []


def test_consume_ships_from_the_allocated_batches(dated):
    reserve(reference="order:1", items=[(dated.pk, 4)])
    assert consume(reference="order:1") == 1
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (4, 0), "EARLY": (0, 0)}
    moves = StockMovement.objects.filter(kind="consume").order_by("batch__expiry_date")
    assert [(m.batch.batch_number, m.on_hand_delta, m.reserved_delta) for m in moves] == [("EARLY", -3, -3), ("LATE", -1, -1)]
    assert set(BatchAllocation.objects.values_list("consumed", flat=True)) == {True}
    assert consumed_batches("order:1") == sorted(
        [(dated.pk, batch(dated, "EARLY").pk, 3), (dated.pk, batch(dated, "LATE").pk, 1)]
    )
    assert batch_violations() == []


def test_adjust_takes_fefo_or_from_a_named_batch_never_below_its_reserved(dated):
    reserve(reference="order:1", items=[(dated.pk, 2)])  # EARLY (3, 2)
    adjust_stock(sku_id=dated.pk, delta=-2)  # 1 free in EARLY, then 1 of LATE
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (4, 0), "EARLY": (2, 2)}
    early = batch(dated, "EARLY")
    with pytest.raises(InventoryError) as exc:
        adjust_stock(sku_id=dated.pk, delta=-1, batch_id=early.pk)
    assert (exc.value.code, exc.value.status) == ("below_reserved", 409)
    adjust_stock(sku_id=dated.pk, delta=-2, batch_id=batch(dated, "OPENING").pk)
    adjust_stock(sku_id=dated.pk, delta=3, batch_id=early.pk)
    assert levels(dated) == {"OPENING": (0, 0), "LATE": (4, 0), "EARLY": (5, 2)}
    with pytest.raises(InventoryError) as exc:
        adjust_stock(sku_id=dated.pk, delta=1, batch_id=987654)
    assert (exc.value.code, exc.value.status) == ("unknown_batch", 404)
    assert StockRecord.objects.get(sku=dated).on_hand == 9
    assert batch_violations() == []


def test_transfer_keeps_batch_numbers_and_dates(dated):
    reserve(reference="order:1", items=[(dated.pk, 1)])  # EARLY (3, 1): 2 free
    assert transfer_stock(sku_id=dated.pk, quantity=4, source="main", target="flash:1") == 4
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (3, 0), "EARLY": (1, 1)}
    assert levels(dated, "flash:1") == {"EARLY": (2, 0), "LATE": (2, 0)}
    moved = batch(dated, "LATE", "flash:1")
    assert (moved.production_date, moved.expiry_date) == (date(2026, 1, 1), date(2027, 12, 1))
    # back again: into the same batches at the warehouse
    assert transfer_stock(sku_id=dated.pk, quantity=4, source="flash:1", target="main") == 4
    assert levels(dated) == {"OPENING": (2, 0), "LATE": (5, 0), "EARLY": (3, 1)}
    assert batch_violations() == []


def test_stock_written_around_the_services_is_covered_by_an_opening_batch():
    sku = SkuFactory(stock=0)
    StockRecord.objects.filter(sku=sku).update(on_hand=6)  # no batch covers these units
    assert [v["kind"] for v in batch_violations()] == ["record"]
    reserve(reference="order:1", items=[(sku.pk, 4)])
    assert levels(sku) == {"OPENING": (6, 4)}
    assert batch_violations() == []


# --- several locations in one reservation ---------------------------------------------------------


def test_one_reservation_across_locations():
    platform, supplied = SkuFactory(stock=5), SkuFactory(stock=0)
    receive_stock(sku_id=supplied.pk, quantity=4, location="supplier:7", batch_number="S1")
    held = reserve(reference="order:1", items=[(platform.pk, 2), (supplied.pk, 3)], locations={supplied.pk: "supplier:7"})
    assert sorted((r.stock_record.sku_id, r.stock_record.location, r.quantity) for r in held) == sorted(
        [(platform.pk, "main", 2), (supplied.pk, "supplier:7", 3)]
    )
    assert levels(supplied, "supplier:7") == {"S1": (4, 3)}
    assert StockRecord.objects.get(sku=supplied, location="main").reserved == 0
    assert batch_violations() == []


def test_one_location_short_leaves_nothing_reserved_anywhere():
    platform, supplied = SkuFactory(stock=5), SkuFactory(stock=50)  # plenty at main, but it is routed
    receive_stock(sku_id=supplied.pk, quantity=2, location="supplier:7")
    with pytest.raises(InventoryError) as exc:
        reserve(reference="order:1", items=[(platform.pk, 2), (supplied.pk, 3)], locations={supplied.pk: "supplier:7"})
    assert exc.value.code == "sold_out"
    assert exc.value.detail == {"sku_ids": [supplied.pk], "available": {supplied.pk: 2}}
    assert set(StockRecord.objects.values_list("reserved", flat=True)) == {0}
    assert set(StockBatch.objects.values_list("reserved", flat=True)) == {0}
    assert not BatchAllocation.objects.exists()


def test_partial_consume_and_release_by_sku():
    a, b, c = SkuFactory(stock=5), SkuFactory(stock=5), SkuFactory(stock=0)
    receive_stock(sku_id=c.pk, quantity=5, location="supplier:3")
    reserve(reference="order:1", items=[(a.pk, 1), (b.pk, 2), (c.pk, 3)], locations={c.pk: "supplier:3"})
    assert consume(reference="order:1", sku_ids=[c.pk]) == 1  # the supplier's shipment
    assert consume(reference="order:1", sku_ids=[c.pk]) == 0  # again: nothing more, no error
    assert StockRecord.objects.get(sku=c, location="supplier:3").on_hand == 2
    assert (StockRecord.objects.get(sku=a).reserved, StockRecord.objects.get(sku=b).reserved) == (1, 2)
    assert release(reference="order:1", sku_ids=[b.pk]) == 1
    assert StockRecord.objects.get(sku=b).reserved == 0
    with pytest.raises(InventoryError) as exc:
        consume(reference="order:1", sku_ids=[b.pk])  # released, never shipped
    assert exc.value.code == "reservation_not_found"
    assert consume(reference="order:1") == 1  # what is left: a
    assert consumed_batches("order:1", sku_ids=[c.pk]) == [(c.pk, StockBatch.objects.get(stock_record__sku=c).pk, 3)]
    assert [row[0] for row in consumed_batches("order:1")] == [a.pk, c.pk]
    assert batch_violations() == []


def test_query_count_across_locations_does_not_grow(django_assert_num_queries):
    def order(n):
        skus = [SkuFactory(stock=0) for _ in range(n)]
        for i, sku in enumerate(skus):
            receive_stock(sku_id=sku.pk, quantity=5, location=f"supplier:{i}")
        return [(s.pk, 1) for s in skus], {s.pk: f"supplier:{i}" for i, s in enumerate(skus)}

    for n, reference in ((1, "order:1"), (6, "order:6")):
        items, where = order(n)
        with django_assert_num_queries(10):
            reserve(reference=reference, items=items, locations=where)
