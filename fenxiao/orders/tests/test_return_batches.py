"""Returned units go back into the stock batches their line shipped from (traceability and expiry dates
stay true), partial returns of one line counted per batch; a line without batch records, or units
beyond them, are received into a new batch as before."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import MAIN_LOCATION, StockBatch, StockMovement, StockRecord
from fenxiao.orders import services
from fenxiao.orders.errors import OrderCode, OrderError
from fenxiao.orders.models import AfterSale, ShippedBatch
from fenxiao.supply.portal import services as portal
from tests.factories import OrderFactory, SkuFactory

from .shipment_world import make_supplier, supplier_sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_batches():
    """A SKU with 2 units in batch SOON (expires in a month) and 5 in LATER (in three months)."""
    sku = SkuFactory(retail_fen=10000, suggested_retail_fen=10000, control_fen=9000, cost_fen=4000, stock=0)
    today = timezone.localdate()
    inventory.receive_stock(sku_id=sku.pk, quantity=2, batch_number="SOON", expiry_date=today + timedelta(days=30))
    inventory.receive_stock(sku_id=sku.pk, quantity=5, batch_number="LATER", expiry_date=today + timedelta(days=90))
    return sku


def shipped_line(buyer, address, operator, sku, quantity):
    order = OrderFactory(shipped=True, user=buyer, items=[(sku, quantity)], address=address, operator=operator)
    return order.lines.get()


def sent_back(buyer, operator, line, quantity):
    aftersale = services.request_aftersale(
        user=buyer,
        line_id=line.pk,
        kind="return_refund",
        amount_fen=line.unit_price_fen * quantity,
        quantity=quantity,
        reason="不合适",
    )
    services.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
    return services.submit_return(aftersale_id=aftersale.pk, user=buyer, tracking_number="YT123")


def on_hand(sku):
    """Units per batch number at the warehouse, and the record's total."""
    batches = dict(StockBatch.objects.filter(stock_record__sku=sku).values_list("batch_number", "on_hand"))
    return batches, StockRecord.objects.get(sku=sku, location=MAIN_LOCATION).on_hand


def returned(line):
    return dict(ShippedBatch.objects.filter(line=line).values_list("batch__batch_number", "returned"))


def test_a_return_goes_back_into_the_batch_it_left(buyer, address, operator, two_batches):
    line = shipped_line(buyer, address, operator, two_batches, 1)
    assert on_hand(two_batches) == ({"SOON": 1, "LATER": 5}, 6)
    aftersale = services.receive_return_and_refund(aftersale_id=sent_back(buyer, operator, line, 1).pk, actor=operator)
    assert aftersale.status == AfterSale.Status.REFUNDED
    assert on_hand(two_batches) == ({"SOON": 2, "LATER": 5}, 7)  # no new batch
    assert returned(line) == {"SOON": 1}
    movement = StockMovement.objects.get(reference=f"aftersale:{aftersale.pk}")
    assert (movement.kind, movement.batch.batch_number, movement.on_hand_delta) == (StockMovement.Kind.RECEIVE, "SOON", 1)


def test_partial_returns_of_one_line_fill_its_batches_in_turn(buyer, address, operator, two_batches):
    line = shipped_line(buyer, address, operator, two_batches, 4)  # 2 from SOON, 2 from LATER
    assert returned(line) == {"SOON": 0, "LATER": 0}
    assert on_hand(two_batches) == ({"SOON": 0, "LATER": 3}, 3)

    first = services.receive_return_and_refund(aftersale_id=sent_back(buyer, operator, line, 1).pk, actor=operator)
    assert on_hand(two_batches) == ({"SOON": 1, "LATER": 3}, 4)
    assert returned(line) == {"SOON": 1, "LATER": 0}

    second = services.receive_return_and_refund(aftersale_id=sent_back(buyer, operator, line, 3).pk, actor=operator)
    assert on_hand(two_batches) == ({"SOON": 2, "LATER": 5}, 7)
    assert returned(line) == {"SOON": 2, "LATER": 2}
    moves = StockMovement.objects.filter(reference=f"aftersale:{second.pk}").order_by("batch__batch_number")
    assert [(m.batch.batch_number, m.on_hand_delta) for m in moves] == [("LATER", 2), ("SOON", 1)]
    assert StockMovement.objects.filter(reference=f"aftersale:{first.pk}").count() == 1


def test_a_line_without_batch_records_is_received_into_a_new_batch(buyer, address, operator, two_batches):
    line = shipped_line(buyer, address, operator, two_batches, 2)
    ShippedBatch.objects.filter(line=line).delete()  # shipped before batches were recorded
    services.receive_return_and_refund(aftersale_id=sent_back(buyer, operator, line, 2).pk, actor=operator)
    batches, total = on_hand(two_batches)
    assert total == 7 and (batches["SOON"], batches["LATER"]) == (0, 5)
    new = StockBatch.objects.get(stock_record__sku=two_batches, batch_number__startswith="R")
    assert new.on_hand == 2 and new.expiry_date is None


def test_units_beyond_the_batch_records_go_to_a_new_batch(buyer, address, operator, two_batches):
    line = shipped_line(buyer, address, operator, two_batches, 3)  # 2 from SOON, 1 from LATER
    ShippedBatch.objects.filter(line=line, batch__batch_number="LATER").delete()
    services.receive_return_and_refund(aftersale_id=sent_back(buyer, operator, line, 3).pk, actor=operator)
    batches, total = on_hand(two_batches)
    assert total == 7 and (batches["SOON"], batches["LATER"]) == (2, 4)
    assert returned(line) == {"SOON": 2}
    assert StockBatch.objects.get(stock_record__sku=two_batches, batch_number__startswith="R").on_hand == 1


def test_the_supplier_portal_receipt_returns_into_the_suppliers_batch(buyer, address, operator):
    supplier = make_supplier("甲供应商")
    sku = supplier_sku(supplier, units=5)
    order = OrderFactory(paid=True, user=buyer, items=[(sku, 2)], address=address)
    shipment = order.shipments.get()
    services.ship_shipment(
        shipment_id=shipment.pk, actor=None, carrier="shunfeng", tracking_number="SF123456789012", supplier=supplier
    )
    line = order.lines.get()
    batch = ShippedBatch.objects.get(line=line).batch
    assert batch.stock_record.location == supplier.location
    batch.refresh_from_db()
    assert batch.on_hand == 3
    portal.receive_return(supplier=supplier, aftersale_id=sent_back(buyer, operator, line, 2).pk, actor=supplier.user)
    batch.refresh_from_db()
    assert batch.on_hand == 5
    assert StockBatch.objects.filter(stock_record__sku=sku).count() == 1
    assert returned(line) == {batch.batch_number: 2}


def test_units_returned_once_cannot_be_returned_again(buyer, address, operator, two_batches):
    line = shipped_line(buyer, address, operator, two_batches, 3)
    services.receive_return_and_refund(aftersale_id=sent_back(buyer, operator, line, 2).pk, actor=operator)
    with pytest.raises(OrderError) as caught:  # only one unit is left to send back, whatever the amount asked
        services.request_aftersale(user=buyer, line_id=line.pk, kind="return_refund", amount_fen=100, quantity=2, reason="不合适")
    assert (caught.value.code, caught.value.detail["max"]) == (OrderCode.INVALID_QUANTITY, 1)
    services.receive_return_and_refund(aftersale_id=sent_back(buyer, operator, line, 1).pk, actor=operator)
    with pytest.raises(OrderError) as caught:
        sent_back(buyer, operator, line, 1)
    assert (caught.value.code, caught.value.status) == (OrderCode.AFTERSALE_NOT_ALLOWED, 409)
    assert on_hand(two_batches) == ({"SOON": 2, "LATER": 5}, 7)  # three units out, three back, none twice
