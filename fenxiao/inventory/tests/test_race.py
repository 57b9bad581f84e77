"""Many buyers at once, each in its own thread, connection and transaction: never oversold, never
deadlocked, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import Reservation, StockMovement, StockRecord
from fenxiao.inventory.services import release, reserve
from tests.factories import SkuFactory

pytestmark = pytest.mark.usefixtures("transactional_db")

BUYERS = 200
# Open connections at any one moment; PostgreSQL's default limit is 100 for the whole server.
CONNECTIONS = 20


def run_concurrently(count: int, action) -> Counter:
    """Start `count` threads together; each runs action(i) in a transaction and closes its
    connection. Returns how many ended in "ok", each error code, or an unexpected exception."""
    start = threading.Barrier(count)
    gate = threading.BoundedSemaphore(CONNECTIONS)
    outcomes: list[str] = []

    def worker(i: int) -> None:
        start.wait()
        with gate:
            try:
                with transaction.atomic():
                    action(i)
                outcomes.append("ok")
            except InventoryError as exc:
                outcomes.append(exc.code)
            except Exception as exc:  # a deadlock or lock timeout would land here and fail the test
                outcomes.append(f"{type(exc).__name__}: {exc}")
            finally:
                connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a buyer never finished"
    return Counter(outcomes)


def record_of(sku) -> StockRecord:
    return StockRecord.objects.get(sku=sku, location="main")


def test_200_buyers_for_50_units():
    sku = SkuFactory(stock=50)

    outcomes = run_concurrently(BUYERS, lambda i: reserve(reference=f"order:{i}", items=[(sku.pk, 1)]))

    assert outcomes == Counter({"ok": 50, "sold_out": 150})
    record = record_of(sku)
    assert (record.on_hand, record.reserved, record.available) == (50, 50, 0)
    assert Reservation.objects.filter(stock_record=record, status="active").count() == 50
    assert StockMovement.objects.filter(stock_record=record, kind="reserve").count() == 50


def test_two_skus_taken_in_opposite_orders_never_deadlock():
    first = SkuFactory(stock=50)
    second = SkuFactory(stock=80)

    def buy(i: int) -> None:
        lines = [(first.pk, 1), (second.pk, 1)]
        reserve(reference=f"order:{i}", items=lines if i % 2 else lines[::-1])

    outcomes = run_concurrently(BUYERS, buy)

    assert outcomes == Counter({"ok": 50, "sold_out": 150})
    a, b = record_of(first), record_of(second)
    assert (a.reserved, a.available) == (50, 0)
    assert (b.reserved, b.available) == (50, 30)
    # every successful order holds both lines; no failed order holds either
    per_order = Counter(Reservation.objects.values_list("reference", flat=True))
    assert len(per_order) == 50 and set(per_order.values()) == {2}


def test_buyers_and_cancellations_interleaved():
    """Half the threads buy, the other half cancel orders placed beforehand: the stock ends exactly
    where the successful purchases and the cancellations put it."""
    sku = SkuFactory(stock=60)
    for i in range(40):
        reserve(reference=f"old:{i}", items=[(sku.pk, 1)])

    def act(i: int) -> None:
        if i % 2:
            release(reference=f"old:{i // 2 % 40}")  # each old order is cancelled by more than one thread
        else:
            reserve(reference=f"new:{i}", items=[(sku.pk, 1)])

    outcomes = run_concurrently(BUYERS, act)

    bought = Reservation.objects.filter(reference__startswith="new:", status="active").count()
    assert set(outcomes) <= {"ok", "sold_out"}
    assert outcomes["sold_out"] == 100 - bought
    assert not Reservation.objects.filter(reference__startswith="old:", status="active").exists()
    record = record_of(sku)
    assert record.reserved == bought
    assert 20 <= bought <= 60
    assert StockMovement.objects.filter(kind="release").count() == 40  # each cancellation counted once


@pytest.mark.parametrize(("buyers", "sold"), [(BUYERS, 60), (45, 45)])
def test_buyers_racing_for_batches_take_them_first_expiring_first(buyers, sold):
    """Three dated batches and an undated one: exactly as many sold as there are units (or buyers),
    no batch over-reserved, and no later batch touched while an earlier one had units left."""
    from datetime import date

    from fenxiao.inventory.models import StockBatch
    from fenxiao.inventory.selectors import batch_violations
    from fenxiao.inventory.services import receive_stock

    sku = SkuFactory(stock=0)
    for number, units, expiry in (("C", 15, date(2027, 9, 1)), ("A", 15, date(2027, 1, 1)), ("B", 20, date(2027, 3, 1))):
        receive_stock(sku_id=sku.pk, quantity=units, batch_number=number, expiry_date=expiry)
    receive_stock(sku_id=sku.pk, quantity=10, batch_number="UNDATED")

    outcomes = run_concurrently(buyers, lambda i: reserve(reference=f"order:{i}", items=[(sku.pk, 1)]))

    assert outcomes == Counter({"ok": sold, **({"sold_out": buyers - sold} if buyers > sold else {})})
    record = record_of(sku)
    assert record.reserved == sold
    held = {b.batch_number: (b.on_hand, b.reserved) for b in StockBatch.objects.filter(stock_record=record)}
    assert all(0 <= reserved <= on_hand for on_hand, reserved in held.values())
    order = ["A", "B", "C", "UNDATED"]
    left = sold
    for number in order:  # FEFO: each batch full before the next one is touched
        on_hand, reserved = held[number]
        assert reserved == min(on_hand, left), (number, held)
        left -= reserved
    assert batch_violations() == []
