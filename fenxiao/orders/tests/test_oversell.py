"""The oversell race: 200 buyers at once for the last 50 units. Runs on SQLite and PostgreSQL."""

import threading

import pytest
from django.db import connection

from fenxiao.common.errors import DomainError
from fenxiao.inventory.models import StockRecord
from fenxiao.orders import services
from fenxiao.orders.models import Order
from tests.factories import SkuFactory, UserFactory

BUYERS = 200
UNITS = 50


@pytest.mark.django_db(transaction=True)
def test_200_buyers_for_the_last_50_units(address):
    sku = SkuFactory(stock=UNITS)
    buyers = [UserFactory() for _ in range(BUYERS)]
    barrier = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(chunk):
        try:
            barrier.wait(30)
            for user in chunk:
                try:
                    order = services.place_order(user=user, items=[(sku.pk, 1)], address=address)
                    services.pay_with_dev_provider(user=user, order_id=order.pk)
                    result = "ok"
                except DomainError as exc:
                    result = exc.code
                with lock:
                    outcomes.append(result)
        finally:
            connection.close()

    chunks = [buyers[i::16] for i in range(16)]
    threads = [threading.Thread(target=buy, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert len(outcomes) == BUYERS
    assert outcomes.count("ok") == UNITS
    assert set(outcomes) == {"ok", "sold_out"}
    record = StockRecord.objects.get(sku=sku)
    assert record.on_hand - record.reserved == 0 and record.reserved == UNITS
    assert Order.objects.filter(status=Order.Status.PAID).count() == UNITS
