"""Placing and paying an order costs a fixed number of queries, however many lines it has.

Counted are the statements that read or write data; SAVEPOINT / RELEASE markers of nested
transactions are left out of the budget (they are listed separately when the test fails)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.orders import services
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db
# place 20 + pay 19, including the audit rows of order, payment and stock. The commissions are not
# accrued by the payment any more (the accrual job does, after the commit): 41 statements before.
# Placing reads what promotions run (timed discounts, tier prices, 满减送, the buyer's coupons: 4), the
# buyer's membership (tier, settings, spendable points: 4), the campaigns it may enter early (1) and
# the products' shipping templates (2)
# through the price pipeline; paying credits the points the order earns, frozen (6).
# Placing also inserts the order's shipments (1) and allocates the units to stock batches (read,
# update, allocation rows: 3); paying sets when the shipments are due (1). The factory puts stock in
# place without the inventory services, so the first reservation gives it its opening batch (1).
QUERY_BUDGET = 24 + 21


def place_and_pay(buyer, address, skus):
    with CaptureQueriesContext(connection) as ctx:
        order = services.place_order(user=buyer, items=[(s.pk, 1) for s in skus], address=address)
        services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    return len([q for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


def test_query_count_does_not_grow_with_lines(buyer, address, distributor):
    from fenxiao.distribution.services import bind_customer

    bind_customer(customer=buyer, distributor=distributor)
    # The first paid order opens the earner's ledger accounts; later ones find them.
    place_and_pay(buyer, address, [SkuFactory(stock=10)])
    # 40 lines: SQLite binds at most 999 parameters per statement, so Django splits a bulk insert of
    # commission rows (21 columns) into chunks of 47; up to there the count is exactly constant.
    counts = {n: place_and_pay(buyer, address, [SkuFactory(stock=10) for _ in range(n)]) for n in (1, 10, 40)}
    assert counts[1] == counts[10] == counts[40], counts
    assert counts[1] <= QUERY_BUDGET, counts
