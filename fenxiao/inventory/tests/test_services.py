"""Stock writes: receiving and adjusting, reservations all or nothing, release and consume that can
be repeated safely, and a query count that does not grow with the number of order lines."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import Reservation, StockMovement, StockRecord
from fenxiao.inventory.services import (
    adjust_stock,
    confirm,
    consume,
    expired_references,
    receive_stock,
    release,
    reserve,
    set_safety_stock,
)
from tests.factories import SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


def stock(sku, location="main"):
    record = StockRecord.objects.get(sku=sku, location=location)
    return record.on_hand, record.reserved


# --- receive and adjust --------------------------------------------------------------------------


def test_receive_adds_and_records_the_movement(sku):
    operator = StaffFactory()
    record = receive_stock(sku_id=sku.pk, quantity=5, actor=operator, note="到货")
    assert (record.on_hand, record.reserved, record.available) == (15, 0, 15)
    movement = StockMovement.objects.get(stock_record=record)
    assert (movement.kind, movement.on_hand_delta, movement.reserved_delta) == ("receive", 5, 0)
    assert (movement.actor, movement.note) == (operator, "到货")


def test_first_receipt_creates_the_location_record():
    sku = SkuFactory(stock=0)
    record = receive_stock(sku_id=sku.pk, quantity=7, location="supplier:3")
    assert (record.location, record.on_hand) == ("supplier:3", 7)
    assert stock(sku) == (0, 0)  # the platform warehouse is a separate record


@pytest.mark.parametrize("quantity", [0, -1, 1.0, "1", None, True])
def test_receive_needs_a_positive_integer(sku, quantity):
    with pytest.raises(InventoryError) as exc:
        receive_stock(sku_id=sku.pk, quantity=quantity)
    assert exc.value.code == "invalid_quantity"
    assert stock(sku) == (10, 0)


def test_adjust_adds_and_takes(sku):
    assert adjust_stock(sku_id=sku.pk, delta=3).on_hand == 13
    assert adjust_stock(sku_id=sku.pk, delta=-13).on_hand == 0
    # the 3 went into a batch of their own; taking 13 empties the older batch first, one movement each
    assert list(StockMovement.objects.filter(kind="adjust").order_by("pk").values_list("on_hand_delta", flat=True)) == [
        3,
        -10,
        -3,
    ]


def test_adjust_never_goes_below_zero(sku):
    with pytest.raises(InventoryError) as exc:
        adjust_stock(sku_id=sku.pk, delta=-11)
    assert exc.value.code == "below_reserved"
    assert exc.value.status == 409
    assert exc.value.detail == {"sku_id": sku.pk, "location": "main", "on_hand": 10, "reserved": 0, "delta": -11}
    assert stock(sku) == (10, 0)
    assert not StockMovement.objects.exists()


def test_adjust_never_goes_below_reserved(sku):
    reserve(reference="order:1", items=[(sku.pk, 4)])
    with pytest.raises(InventoryError) as exc:
        adjust_stock(sku_id=sku.pk, delta=-7)
    assert exc.value.code == "below_reserved"
    assert "4" in exc.value.message
    assert stock(sku) == (10, 4)
    assert adjust_stock(sku_id=sku.pk, delta=-6).on_hand == 4  # down to exactly what is held


def test_repeated_takes_stop_at_zero(sku):
    results = []
    for _ in range(12):
        try:
            results.append(adjust_stock(sku_id=sku.pk, delta=-1).on_hand)
        except InventoryError as exc:
            results.append(exc.code)
    assert results == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, "below_reserved", "below_reserved"]


def test_adjust_without_a_record_cannot_take():
    sku = SkuFactory(stock=0)
    with pytest.raises(InventoryError) as exc:
        adjust_stock(sku_id=sku.pk, delta=-1, location="agent:9")
    assert exc.value.code == "below_reserved"
    assert not StockRecord.objects.filter(location="agent:9").exists()
    assert adjust_stock(sku_id=sku.pk, delta=2, location="agent:9").on_hand == 2


@pytest.mark.parametrize("delta", [0, 1.0, "1", None, False])
def test_adjust_needs_a_nonzero_integer(sku, delta):
    with pytest.raises(InventoryError) as exc:
        adjust_stock(sku_id=sku.pk, delta=delta)
    assert exc.value.code == "invalid_quantity"
    assert stock(sku) == (10, 0)


def test_unknown_sku_is_404():
    for call in (
        lambda: receive_stock(sku_id=987654, quantity=1),
        lambda: adjust_stock(sku_id=987654, delta=-1),
        lambda: reserve(reference="order:1", items=[(987654, 1)]),
        lambda: set_safety_stock(sku_id=987654, quantity=1),
    ):
        with pytest.raises(InventoryError) as exc:
            call()
        assert exc.value.code == "unknown_sku"
        assert exc.value.status == 404


def test_safety_stock(sku):
    assert set_safety_stock(sku_id=sku.pk, quantity=20).safety_stock == 20
    with pytest.raises(InventoryError) as exc:
        set_safety_stock(sku_id=sku.pk, quantity=-1)
    assert exc.value.code == "invalid_quantity"
    assert StockRecord.objects.get(sku=sku).below_safety


# --- the database refuses what the services would never do -----------------------------------------


@pytest.mark.parametrize(
    "values",
    [{"on_hand": -1, "reserved": 0}, {"reserved": -1}, {"reserved": 11}, {"safety_stock": -1}],
)
def test_db_constraints_refuse_a_raw_update(sku, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockRecord.objects.filter(sku=sku).update(**values)
    assert stock(sku) == (10, 0)


def test_db_refuses_a_second_record_for_the_same_location(sku):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockRecord.objects.create(sku=sku, location="main", on_hand=1)


def test_db_refuses_a_zero_reservation(sku):
    record = StockRecord.objects.get(sku=sku)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(reference="order:1", stock_record=record, quantity=0)


def test_movements_are_append_only(sku):
    movement = receive_stock(sku_id=sku.pk, quantity=1).movements.get()
    with pytest.raises(ValueError):
        movement.save()
    with pytest.raises(ValueError):
        movement.delete()


# --- reserve ----------------------------------------------------------------------------------------


def test_reserve_holds_units_and_returns_the_reservations(sku):
    expires = timezone.now() + timedelta(minutes=30)
    (held,) = reserve(reference="order:1", items=[(sku.pk, 3)], expires_at=expires)
    assert (held.reference, held.quantity, held.status, held.expires_at) == ("order:1", 3, "active", expires)
    assert held.pk is not None
    assert held.stock_record.available == 7
    assert stock(sku) == (10, 3)
    movement = StockMovement.objects.get(kind="reserve")
    assert (movement.on_hand_delta, movement.reserved_delta, movement.reference) == (0, 3, "order:1")


def test_reserve_is_all_or_nothing(sku):
    other = SkuFactory(stock=2, product__name="坚果礼盒", spec="大盒")
    with pytest.raises(InventoryError) as exc:
        reserve(reference="order:1", items=[(sku.pk, 5), (other.pk, 3)])
    assert exc.value.code == "sold_out"
    assert exc.value.status == 409
    assert exc.value.detail == {"sku_ids": [other.pk], "available": {other.pk: 2}}
    assert "库存不足" in exc.value.message and "坚果礼盒 大盒" in exc.value.message
    # the line that did fit was rolled back with the one that did not
    assert stock(sku) == (10, 0)
    assert stock(other) == (2, 0)
    assert not Reservation.objects.exists()
    assert not StockMovement.objects.exists()


def test_reserve_without_stock_at_the_location_is_sold_out(sku):
    with pytest.raises(InventoryError) as exc:
        reserve(reference="order:1", items=[(sku.pk, 1)], location="agent:1")
    assert exc.value.code == "sold_out"
    assert exc.value.detail == {"sku_ids": [sku.pk], "available": {sku.pk: 0}}


def test_reserve_sums_duplicate_lines(sku):
    (held,) = reserve(reference="order:1", items=[(sku.pk, 4), (sku.pk, 6)])
    assert held.quantity == 10
    assert stock(sku) == (10, 10)
    with pytest.raises(InventoryError) as exc:
        reserve(reference="order:2", items=[(sku.pk, 1), (sku.pk, 1)])
    assert exc.value.code == "sold_out"


def test_reserve_exactly_what_is_left(sku):
    reserve(reference="order:1", items=[(sku.pk, 6)])
    reserve(reference="order:2", items=[(sku.pk, 4)])
    with pytest.raises(InventoryError):
        reserve(reference="order:3", items=[(sku.pk, 1)])
    assert stock(sku) == (10, 10)


@pytest.mark.parametrize("items", [[], [(1, 0)], [(1, -2)], [(1, 1.5)], [(1, "2")]])
def test_reserve_refuses_bad_lines(sku, items):
    items = [(sku.pk, quantity) for _, quantity in items]
    with pytest.raises(InventoryError) as exc:
        reserve(reference="order:1", items=items)
    assert exc.value.code == "invalid_quantity"
    assert stock(sku) == (10, 0)


def test_reserve_twice_for_the_same_reference_is_refused(sku):
    reserve(reference="order:1", items=[(sku.pk, 2)])
    with pytest.raises(InventoryError) as exc:
        reserve(reference="order:1", items=[(sku.pk, 2)])
    assert exc.value.code == "already_reserved"
    assert stock(sku) == (10, 2)


def test_re_reserve_after_release(sku):
    (first,) = reserve(reference="order:1", items=[(sku.pk, 2)], expires_at=timezone.now())
    assert release(reference="order:1") == 1
    (again,) = reserve(reference="order:1", items=[(sku.pk, 5)])
    assert again.pk == first.pk  # the released row is taken up again
    first.refresh_from_db()
    assert (first.status, first.quantity, first.expires_at) == ("active", 5, None)
    assert stock(sku) == (10, 5)
    assert Reservation.objects.count() == 1


def test_reference_must_be_short_text(sku):
    for reference in ("", "x" * 65, None):
        with pytest.raises(ValueError):
            reserve(reference=reference, items=[(sku.pk, 1)])


# --- confirm, release, consume ----------------------------------------------------------------------


def test_confirm_clears_expiry_and_keeps_the_hold(sku):
    reserve(reference="order:1", items=[(sku.pk, 2)], expires_at=timezone.now())
    assert confirm(reference="order:1") == 1
    held = Reservation.objects.get()
    assert (held.status, held.expires_at) == ("confirmed", None)
    assert stock(sku) == (10, 2)
    assert confirm(reference="order:1") == 0  # a repeated payment notice changes nothing
    assert StockMovement.objects.filter(kind="confirm").count() == 1


def test_confirm_after_release_says_nothing_is_held(sku):
    reserve(reference="order:1", items=[(sku.pk, 2)])
    release(reference="order:1")
    for reference in ("order:1", "order:never"):
        with pytest.raises(InventoryError) as exc:
            confirm(reference=reference)
        assert exc.value.code == "reservation_not_found"
        assert exc.value.status == 404


def test_release_is_idempotent(sku):
    other = SkuFactory(stock=5)
    reserve(reference="order:1", items=[(sku.pk, 3), (other.pk, 5)])
    assert release(reference="order:1", note="取消") == 2
    assert (stock(sku), stock(other)) == ((10, 0), (5, 0))
    assert release(reference="order:1") == 0
    assert (stock(sku), stock(other)) == ((10, 0), (5, 0))
    assert release(reference="order:never") == 0
    assert set(Reservation.objects.values_list("status", flat=True)) == {"released"}
    assert StockMovement.objects.filter(kind="release").count() == 2


def test_release_of_a_confirmed_reservation(sku):
    reserve(reference="order:1", items=[(sku.pk, 3)])
    confirm(reference="order:1")
    assert release(reference="order:1") == 1
    assert stock(sku) == (10, 0)


def test_consume_takes_the_units_out_once(sku):
    reserve(reference="order:1", items=[(sku.pk, 3)])
    confirm(reference="order:1")
    assert consume(reference="order:1") == 1
    assert stock(sku) == (7, 0)
    assert consume(reference="order:1") == 0
    assert release(reference="order:1") == 0  # shipped goods are not put back by a late cancel
    assert stock(sku) == (7, 0)
    movement = StockMovement.objects.get(kind="consume")
    assert (movement.on_hand_delta, movement.reserved_delta) == (-3, -3)


def test_consume_of_an_active_reservation(sku):
    reserve(reference="order:1", items=[(sku.pk, 10)])
    assert consume(reference="order:1") == 1
    assert stock(sku) == (0, 0)


def test_consume_without_a_reservation(sku):
    reserve(reference="order:1", items=[(sku.pk, 1)])
    release(reference="order:1")
    for reference in ("order:1", "order:never"):
        with pytest.raises(InventoryError) as exc:
            consume(reference=reference)
        assert exc.value.code == "reservation_not_found"
    assert stock(sku) == (10, 0)


def test_expired_references(sku):
    now = timezone.now()
    reserve(reference="order:late", items=[(sku.pk, 1)], expires_at=now - timedelta(minutes=1))
    reserve(reference="order:due", items=[(sku.pk, 1)], expires_at=now)
    reserve(reference="order:fresh", items=[(sku.pk, 1)], expires_at=now + timedelta(minutes=1))
    reserve(reference="order:forever", items=[(sku.pk, 1)])
    reserve(reference="order:paid", items=[(sku.pk, 1)], expires_at=now - timedelta(minutes=1))
    confirm(reference="order:paid")
    reserve(reference="order:gone", items=[(sku.pk, 1)], expires_at=now - timedelta(minutes=1))
    release(reference="order:gone")
    assert expired_references(now) == ["order:due", "order:late"]
    for reference in expired_references(now):
        release(reference=reference)
    assert expired_references(now) == []
    assert stock(sku) == (10, 3)


# --- query counts -----------------------------------------------------------------------------------


def make_skus(count):
    skus = [SkuFactory(stock=0) for _ in range(count)]
    for sku in skus:
        receive_stock(sku_id=sku.pk, quantity=100)  # into a batch, as the services keep stock
    return skus


# savepoint + its release around each call, and: reserve = lock, already-held check, update stock,
# read batches, update batches, insert reservations, allocations, movements; release / consume = lock,
# read allocations, update stock, update batches, update (consume) or delete (release) allocations,
# update reservations, insert movements. confirm runs in its caller's transaction without a
# savepoint: lock, update, movements.
EXPECTED_QUERIES = {"reserve": 10, "confirm": 3, "release": 9, "consume": 9}


@pytest.mark.parametrize("lines", [1, 10, 50])
def test_query_count_does_not_grow_with_lines(django_assert_num_queries, lines):
    skus = make_skus(lines)
    items = [(sku.pk, 2) for sku in skus]
    with django_assert_num_queries(EXPECTED_QUERIES["reserve"]):
        reserve(reference="order:1", items=items, expires_at=timezone.now())
    with django_assert_num_queries(EXPECTED_QUERIES["confirm"]):
        assert confirm(reference="order:1") == lines
    with django_assert_num_queries(EXPECTED_QUERIES["consume"]):
        assert consume(reference="order:1") == lines
    reserve(reference="order:2", items=items)
    with django_assert_num_queries(EXPECTED_QUERIES["release"]):
        assert release(reference="order:2") == lines
    assert set(StockRecord.objects.filter(sku__in=skus).values_list("on_hand", "reserved")) == {(98, 0)}


@pytest.mark.parametrize("lines", [1, 10, 50])
def test_query_count_of_a_refused_reservation_does_not_grow_either(django_assert_num_queries, lines):
    skus = make_skus(lines)
    adjust_stock(sku_id=skus[-1].pk, delta=-100)
    with django_assert_num_queries(7), pytest.raises(InventoryError):
        # savepoint, lock, held check, update, product names for the message, rollback to and release of the savepoint
        reserve(reference="order:1", items=[(sku.pk, 1) for sku in skus])
