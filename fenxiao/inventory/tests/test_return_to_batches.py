"""Units coming back into the batches they left: one receive movement per batch, the record and its
batches growing together; a batch kept at another location is matched by its number where the units
arrive; a batch of another SKU, or a wrong quantity, is refused with nothing written."""

from datetime import date

import pytest

from fenxiao.inventory import services
from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import MAIN_LOCATION, StockBatch, StockMovement, StockRecord
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db

EXPIRY = date(2027, 6, 30)


@pytest.fixture
def sku():
    sku = SkuFactory(stock=0)
    services.receive_stock(sku_id=sku.pk, quantity=3, batch_number="L1", expiry_date=EXPIRY)
    services.receive_stock(sku_id=sku.pk, quantity=4, batch_number="L2")
    return sku


def batch(sku, number, location=MAIN_LOCATION):
    return StockBatch.objects.get(stock_record__sku=sku, stock_record__location=location, batch_number=number)


def test_units_go_back_into_each_named_batch(sku):
    l1, l2 = batch(sku, "L1"), batch(sku, "L2")
    record = services.return_to_batches(
        sku_id=sku.pk,
        location=MAIN_LOCATION,
        parts=[(l1.pk, 2), (l2.pk, 1), (l1.pk, 1)],
        note="aftersale:9",
        reference="aftersale:9",
    )
    assert record.on_hand == 11
    assert (batch(sku, "L1").on_hand, batch(sku, "L2").on_hand) == (6, 5)
    moves = StockMovement.objects.filter(reference="aftersale:9").order_by("batch_id")
    assert [(m.kind, m.batch_id, m.on_hand_delta, m.note) for m in moves] == [
        (StockMovement.Kind.RECEIVE, l1.pk, 3, "aftersale:9"),
        (StockMovement.Kind.RECEIVE, l2.pk, 1, "aftersale:9"),
    ]


def test_a_batch_kept_elsewhere_returns_into_its_namesake_where_the_units_arrive(sku):
    services.transfer_stock(sku_id=sku.pk, quantity=3, source=MAIN_LOCATION, target="flash:1")
    away = batch(sku, "L1", "flash:1")
    assert away.on_hand == 3 and batch(sku, "L1").on_hand == 0
    services.return_to_batches(sku_id=sku.pk, location=MAIN_LOCATION, parts=[(away.pk, 2)])
    assert batch(sku, "L1").on_hand == 2 and batch(sku, "L1", "flash:1").on_hand == 3
    # at a location the number has never been, the batch is made there with its dates
    services.return_to_batches(sku_id=sku.pk, location="samples", parts=[(away.pk, 1)])
    there = batch(sku, "L1", "samples")
    assert (there.on_hand, there.expiry_date) == (1, EXPIRY)
    assert StockRecord.objects.get(sku=sku, location="samples").on_hand == 1


@pytest.mark.parametrize(
    "parts",
    [[], [("x", 1)], [(None, 1)], [(0, 1)], [(-1, 2)]],
    ids=["nothing", "text id", "no id", "unknown", "unknown negative"],
)
def test_bad_batches_are_refused_with_nothing_written(sku, parts):
    with pytest.raises(InventoryError):
        services.return_to_batches(sku_id=sku.pk, location=MAIN_LOCATION, parts=parts)
    assert StockRecord.objects.get(sku=sku, location=MAIN_LOCATION).on_hand == 7


def test_another_skus_batch_or_a_bad_quantity_is_refused(sku):
    other = SkuFactory(stock=0)
    services.receive_stock(sku_id=other.pk, quantity=1, batch_number="X1")
    with pytest.raises(InventoryError) as exc:
        services.return_to_batches(sku_id=sku.pk, location=MAIN_LOCATION, parts=[(batch(other, "X1").pk, 1)])
    assert exc.value.code == "unknown_batch"
    for quantity in (0, -1, True, 1.5):
        with pytest.raises(InventoryError) as exc:
            services.return_to_batches(sku_id=sku.pk, location=MAIN_LOCATION, parts=[(batch(sku, "L1").pk, quantity)])
        assert exc.value.code == "invalid_quantity"
    assert batch(sku, "L1").on_hand == 3
    assert StockRecord.objects.get(sku=sku, location=MAIN_LOCATION).on_hand == 7
