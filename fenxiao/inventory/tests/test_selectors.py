"""Stock reads: one query whatever the number of SKUs."""

import pytest

from fenxiao.inventory.selectors import available_by_sku, below_safety_stock, stock_for_sku
from fenxiao.inventory.services import receive_stock, reserve, set_safety_stock
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db


def test_available_by_sku_in_one_query(django_assert_num_queries):
    plenty, held, empty = SkuFactory(stock=100), SkuFactory(stock=5), SkuFactory(stock=0)
    reserve(reference="order:1", items=[(held.pk, 2)])
    elsewhere = SkuFactory(stock=0)
    receive_stock(sku_id=elsewhere.pk, quantity=9, location="agent:1")
    ids = [plenty.pk, held.pk, empty.pk, elsewhere.pk, 987654]
    with django_assert_num_queries(1):
        result = available_by_sku(ids)
    assert result == {plenty.pk: 100, held.pk: 3, empty.pk: 0, elsewhere.pk: 0, 987654: 0}
    assert available_by_sku(iter([elsewhere.pk]), location="agent:1") == {elsewhere.pk: 9}
    with django_assert_num_queries(0):
        assert available_by_sku([]) == {}


def test_stock_for_sku():
    sku = SkuFactory(stock=4)
    record = stock_for_sku(sku.pk)
    assert (record.sku, record.location, record.on_hand, record.available) == (sku, "main", 4, 4)
    assert stock_for_sku(sku.pk, location="agent:1") is None


def test_below_safety_stock():
    low, fine, unset = SkuFactory(stock=10), SkuFactory(stock=50), SkuFactory(stock=0)
    set_safety_stock(sku_id=low.pk, quantity=8)
    set_safety_stock(sku_id=fine.pk, quantity=8)
    assert list(below_safety_stock()) == []
    reserve(reference="order:1", items=[(low.pk, 3)])  # 7 free now, under the line of 8
    assert [record.sku_id for record in below_safety_stock()] == [low.pk]
    assert unset.pk not in {record.sku_id for record in below_safety_stock()}
