"""The demo supply side of seed_demo: suppliers admitted through an application (one waiting for
review), their products with label data and dated batches (one near expiry), mixed orders in every
shipment state, the statements of the completed ones at cost, sample quotas and requests; nothing made
twice on a second run."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone

from fenxiao.demo.seed import DEMO_CONSUMER_PHONE, DEMO_DISTRIBUTOR_PHONE, DEMO_SUPPLIER_PHONE
from fenxiao.demo.seed.supply import PLATFORM_SKUS, SAMPLE_QUOTAS, demo_supplier_logins, make_demo_supply
from fenxiao.inventory.models import StockBatch
from fenxiao.orders.models import Order, OrderLine, Shipment
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.models import SampleQuota, SampleRequest, SupplierStatement
from fenxiao.supply.scorecard.selectors import overdue_q
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("ledger_sound")


@pytest.fixture
def world(db):
    """What the rest of seed_demo has made by the time the supply part runs, in small."""
    StaffFactory(username="admin")
    StaffFactory(username="supply")
    for rank in SAMPLE_QUOTAS:
        LevelFactory(rank=rank)
    food = CategoryFactory(slug="food", name="休闲食品")
    for code in PLATFORM_SKUS:
        SkuFactory(code=code, product=ProductFactory(category=food), stock=500)
    for i in range(1, 21):
        UserFactory(phone=f"139000000{i:02d}", nickname=f"顾客{i:02d}")
    DistributorFactory(user=UserFactory(phone=DEMO_DISTRIBUTOR_PHONE), level=LevelFactory(rank=1))
    DistributorFactory(level=LevelFactory(rank=2))


def test_demo_supply_side(world):
    made = make_demo_supply("demo-pass-1")
    assert made == 17

    statuses = dict(Supplier.objects.values_list("user__phone", "status"))
    assert statuses == {DEMO_SUPPLIER_PHONE: "approved", "13700000002": "approved", "13700000003": "applied"}
    demo = Supplier.objects.get(user__phone=DEMO_SUPPLIER_PHONE)
    assert demo.user.check_password("demo-pass-1")
    assert demo.return_address.startswith("浙江省杭州市") and demo.bank_account_number and len(demo.credit_code) == 18
    assert [phone for phone, _name in demo_supplier_logins()] == [DEMO_SUPPLIER_PHONE, "13700000002"]

    # Products fulfilled by each supplier, on the shelf, with their label; stock in dated batches.
    for supplier in Supplier.objects.filter(status="approved"):
        products = list(supplier.products.all())
        assert len(products) >= 2
        assert all(p.is_on_shelf and p.ingredients and p.licence_number and p.shelf_life_days for p in products)
        batches = StockBatch.objects.filter(stock_record__location=supplier.location)
        assert batches.exists() and not batches.filter(expiry_date=None).exists()
    soon = timezone.localdate() + timedelta(days=settings.FENXIAO_NEAR_EXPIRY_DAYS)
    near = StockBatch.objects.filter(expiry_date__lte=soon, on_hand__gt=0)
    assert near.filter(stock_record__location__startswith="supplier:").exists()
    assert near.filter(stock_record__location="main").exists()

    # Every order mixes the platform with one or two suppliers; its shipments are in every state.
    orders = Order.objects.filter(note__startswith="演示代发订单")
    assert orders.count() == 17
    for order in orders:
        routes = set(order.shipments.values_list("route", flat=True))
        assert "main" in routes and len(routes) >= 2
    supplier_shipments = Shipment.objects.filter(order__in=orders, supplier__isnull=False)
    states = Counter(supplier_shipments.values_list("status", flat=True))
    assert states["to_ship"] >= 3 and states["shipped"] >= 3 and states["received"] >= 2 and states["completed"] >= 6
    assert supplier_shipments.filter(overdue_q(timezone.now())).count() >= 2
    assert Counter(orders.values_list("status", flat=True))["paid"] == 6  # one of them half shipped
    assert orders.filter(user__phone=DEMO_CONSUMER_PHONE, status="shipped").exists()
    shipped = supplier_shipments.exclude(status="to_ship")
    assert not shipped.filter(tracking_number="").exists() and not shipped.filter(carrier=None).exists()

    # One statement per supplier for the completed lines, at cost × quantity.
    statements = SupplierStatement.objects.all()
    assert statements.count() == 2 and {s.status for s in statements} == {"issued"}
    for statement in statements:
        owed = OrderLine.objects.filter(shipment__supplier=statement.supplier, shipment__status="completed").aggregate(
            total=Sum(F("unit_cost_fen") * F("quantity"))
        )["total"]
        assert statement.goods_fen == statement.payable_fen == owed > 0

    # Sample quotas per level; one request waiting, one approved into a sample order.
    assert dict(SampleQuota.objects.values_list("level__rank", "units_per_month")) == SAMPLE_QUOTAS
    requests = dict(SampleRequest.objects.values_list("distributor__user__phone", "status"))
    assert requests[DEMO_DISTRIBUTOR_PHONE] == "requested"
    assert sorted(requests.values()) == ["approved", "requested"]
    assert Order.objects.filter(is_sample=True).count() == 1

    # A second run makes nothing more.
    counts = (Order.objects.count(), StockBatch.objects.count(), SupplierStatement.objects.count(), SampleRequest.objects.count())
    assert make_demo_supply("demo-pass-1") == 0
    assert (
        Order.objects.count(),
        StockBatch.objects.count(),
        SupplierStatement.objects.count(),
        SampleRequest.objects.count(),
    ) == counts
    assert Supplier.objects.count() == 3
