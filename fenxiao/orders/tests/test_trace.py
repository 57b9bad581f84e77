"""产品溯源: where a batch went — its shipped lines with order, masked buyer and receiver, and
distributor — in one query, with totals."""

from datetime import date

import pytest

from fenxiao.inventory.models import StockBatch
from fenxiao.inventory.services import receive_stock
from fenxiao.orders.models import ShippedBatch
from fenxiao.orders.trace import batch_trace, find_batches
from tests.factories import DistributorFactory, OrderRecordFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def batches():
    sku = SkuFactory(code="HONEY-1", stock=0)
    receive_stock(sku_id=sku.pk, quantity=50, batch_number="H2601", expiry_date=date(2027, 6, 1))
    receive_stock(sku_id=sku.pk, quantity=50, batch_number="H2602", expiry_date=date(2027, 9, 1))
    return sku, StockBatch.objects.get(batch_number="H2601"), StockBatch.objects.get(batch_number="H2602")


def shipped(order, batch, quantity):
    line = order.lines.get()
    return ShippedBatch.objects.create(line=line, batch=batch, quantity=quantity)


def test_where_a_batch_went_in_one_query(batches, django_assert_num_queries):
    sku, first, second = batches
    seller = DistributorFactory(real_name="陈小店")
    alice = UserFactory(phone="13800001234")
    orders = [
        OrderRecordFactory(user=alice, distributor=seller, lines=[{"sku": sku, "quantity": 3}]),
        OrderRecordFactory(user=alice, lines=[{"sku": sku, "quantity": 2}]),
        OrderRecordFactory(user=UserFactory(), distributor=seller, lines=[{"sku": sku, "quantity": 4}]),
    ]
    shipped(orders[0], first, 3)
    shipped(orders[1], first, 1)
    shipped(orders[1], second, 1)  # the line took two batches
    shipped(orders[2], second, 4)

    with django_assert_num_queries(1):
        trace = batch_trace(first.pk)
    assert trace.totals() == {"units": 4, "orders": 2, "buyers": 1, "distributors": 1}
    by_order = {line.order_number: line for line in trace.lines}
    line = by_order[orders[0].number]
    assert (line.quantity, line.buyer_id, line.buyer_phone) == (3, alice.pk, "138****1234")
    assert line.receiver == "王**" and "****" in line.receiver_phone
    assert (line.distributor_id, line.distributor_name) == (seller.pk, "陈小店")
    assert by_order[orders[1].number].distributor_id is None

    second_trace = batch_trace(second.pk)
    assert second_trace.totals() == {"units": 5, "orders": 2, "buyers": 2, "distributors": 1}
    assert batch_trace(987654).totals() == {"units": 0, "orders": 0, "buyers": 0, "distributors": 0}


def test_query_count_does_not_grow_with_lines(batches, django_assert_num_queries):
    sku, first, _ = batches
    for _ in range(12):
        shipped(OrderRecordFactory(distributor=DistributorFactory(), lines=[{"sku": sku}]), first, 1)
    with django_assert_num_queries(1):
        assert batch_trace(first.pk).totals()["orders"] == 12


def test_find_batches_by_number_and_sku(batches):
    sku, first, _ = batches
    other = SkuFactory(stock=0)
    receive_stock(sku_id=other.pk, quantity=1, batch_number="H2601", location="supplier:4")
    assert len(find_batches("h2601")) == 2
    assert find_batches("H2601", sku_id=sku.pk) == [first]
    assert find_batches("H2601", sku_code="honey-1") == [first]
    assert find_batches("  ") == []
