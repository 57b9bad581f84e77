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
