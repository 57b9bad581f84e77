"""Placing and paying an order split over several fulfilment routes: the statements do not grow with
the lines of a route, and at most by a constant with each extra route."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.orders import services
from tests.factories import SkuFactory

from .shipment_world import make_supplier, supplier_sku

pytestmark = pytest.mark.django_db

# What one more route may add to placing and paying (today: nothing; the reservation locks every
# location's rows in one statement and the shipments are inserted in one).
PER_ROUTE = 1


def place_and_pay(buyer, address, skus):
    with CaptureQueriesContext(connection) as ctx:
        order = services.place_order(user=buyer, items=[(s.pk, 1) for s in skus], address=address)
        services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    assert order.shipments.count() == len({s.product.supplier_id for s in skus})
    return len([q for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


def test_query_count_per_route(buyer, address):
    suppliers = [make_supplier(f"供应商{i}") for i in range(9)]
    place_and_pay(buyer, address, [SkuFactory(stock=10)])  # the first paid order opens ledger accounts

    def skus(routes, per_route):
        chosen = [SkuFactory(stock=10) for _ in range(per_route)]
        for supplier in suppliers[: routes - 1]:
            chosen += [supplier_sku(supplier) for _ in range(per_route)]
        return chosen

    counts = {(routes, lines): place_and_pay(buyer, address, skus(routes, lines)) for routes in (1, 3, 10) for lines in (1, 3)}
    for routes in (1, 3, 10):
        assert counts[(routes, 1)] == counts[(routes, 3)], counts  # constant in the lines of a route
    assert counts[(3, 1)] <= counts[(1, 1)] + 2 * PER_ROUTE, counts
    assert counts[(10, 1)] <= counts[(1, 1)] + 9 * PER_ROUTE, counts
