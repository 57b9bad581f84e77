"""The zero-price sample order: paid at once without a payment, one platform shipment due like any
order, stock from the samples' own location, no commission, no points."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.commissions.models import Commission
from fenxiao.common.errors import DomainError
from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import MAIN_LOCATION, SAMPLES_LOCATION, Reservation, StockRecord
from fenxiao.orders.models import Order, OrderEvent, Shipment
from fenxiao.orders.services.samples import place_sample_order
from fenxiao.payments.models import Payment
from tests.factories import ADDRESS, DistributorFactory, accrue_commissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample_stock(sku):
    inventory.receive_stock(sku_id=sku.pk, quantity=5, location=SAMPLES_LOCATION, note="样品入库")
    return sku


def test_sample_order_is_zero_priced_paid_and_due_to_ship(sample_stock, distributor, operator, settings):
    settings.FENXIAO_SHIP_WITHIN_HOURS = 48
    before = timezone.now()
    order = place_sample_order(user=distributor.user, sku_id=sample_stock.pk, quantity=2, address=dict(ADDRESS), actor=operator)
    order.refresh_from_db()
    assert order.is_sample and not order.pays_commission and order.distributor_id is None
    assert order.status == Order.Status.PAID
    assert (order.goods_fen, order.discount_fen, order.shipping_fen, order.total_fen, order.paid_fen) == (0, 0, 0, 0, 0)
    assert order.paid_at is not None and order.paid_at >= before
    assert order.price_breakdown["points_to_earn"] == 0 and order.price_breakdown["coupon"] is None
    line = order.lines.get()
    assert (line.unit_price_fen, line.line_total_fen, line.paid_fen, line.quantity) == (0, 0, 0, 2)
    assert line.unit_cost_fen == sample_stock.cost_fen
    shipment = Shipment.objects.get(order=order)
    assert shipment.route == "main" and shipment.supplier_id is None and shipment.status == Shipment.Status.TO_SHIP
    assert line.shipment_id == shipment.pk
    assert shipment.ship_by == order.paid_at + timedelta(hours=48)
    assert Payment.objects.count() == 0
    assert list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True)) == ["pending_payment", "paid"]


def test_stock_comes_from_the_samples_location(sample_stock, distributor, operator):
    place_sample_order(user=distributor.user, sku_id=sample_stock.pk, quantity=2, address=dict(ADDRESS), actor=operator)
    samples = StockRecord.objects.get(sku=sample_stock, location=SAMPLES_LOCATION)
    main = StockRecord.objects.get(sku=sample_stock, location=MAIN_LOCATION)
    assert (samples.on_hand, samples.reserved) == (5, 2)
    assert (main.on_hand, main.reserved) == (100, 0)
    assert Reservation.objects.get(stock_record=samples).status == Reservation.Status.CONFIRMED


def test_sold_out_writes_nothing(sample_stock, distributor, operator):
    orders = Order.objects.count()
    with pytest.raises(DomainError) as info:
        place_sample_order(user=distributor.user, sku_id=sample_stock.pk, quantity=6, address=dict(ADDRESS), actor=operator)
    assert info.value.status == 409 and info.value.code == "sold_out"
    assert Order.objects.count() == orders


def test_no_sample_stock_at_all_is_sold_out(sku, distributor, operator):
    with pytest.raises(DomainError) as info:
        place_sample_order(user=distributor.user, sku_id=sku.pk, quantity=1, address=dict(ADDRESS), actor=operator)
    assert info.value.code == "sold_out"


def test_no_commission_for_the_distributor_nor_its_upline(sample_stock, level, operator):
    upline = DistributorFactory(level=level)
    asker = DistributorFactory(level=level, inviter=upline)
    place_sample_order(user=asker.user, sku_id=sample_stock.pk, quantity=1, address=dict(ADDRESS), actor=operator)
    accrue_commissions()
    assert Commission.objects.count() == 0


def test_unsellable_sku_is_refused(sample_stock, distributor, operator):
    sample_stock.product.is_on_shelf = False
    sample_stock.product.save(update_fields=["is_on_shelf"])
    with pytest.raises(DomainError) as info:
        place_sample_order(user=distributor.user, sku_id=sample_stock.pk, quantity=1, address=dict(ADDRESS), actor=operator)
    assert info.value.status == 404 and info.value.code == "sku_unavailable"
