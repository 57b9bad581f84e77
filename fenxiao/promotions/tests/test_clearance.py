"""临期特价: a clearance price is a timed discount of the ordinary pipeline, named after the batch,
above zero and below retail, from now until its end."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.catalog.models import Sku
from fenxiao.inventory.services import receive_stock
from fenxiao.promotions import pricing
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import TimedDiscount
from fenxiao.promotions.services.clearance import clearance_price
from tests.factories import SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku():
    sku = SkuFactory(retail_fen=10000, suggested_retail_fen=10000, control_fen=1, cost_fen=1, stock=0)
    receive_stock(sku_id=sku.pk, quantity=5, batch_number="B2601", expiry_date=timezone.localdate() + timedelta(days=9))
    return Sku.objects.select_related("product").get(pk=sku.pk)


def batch_id(sku):
    return sku.stock_records.get().batches.get().pk


def test_clearance_price_is_a_timed_discount_the_pricing_applies(sku, buyer):
    operator = StaffFactory(is_superuser=True)
    ends = timezone.now() + timedelta(days=3)
    discount = clearance_price(sku.pk, 6800, ends, operator, batch_id=batch_id(sku))
    assert discount.name == "临期特价 B2601"
    assert (discount.ends_at, discount.created_by, discount.status) == (ends, operator, "active")
    item = discount.items.get()
    assert (item.sku_id, item.mode, item.amount_off_fen) == (sku.pk, "amount", 3200)
    quote = pricing.price(user=buyer, items=[(sku, 2)])
    assert quote.lines[0].paid_fen == 6800 * 2
    assert quote.lines[0].stage_fen("timed") == 3200 * 2
    # after its end the list price is back
    later = pricing.price(user=buyer, items=[(sku, 1)], now=ends + timedelta(seconds=1))
    assert later.lines[0].paid_fen == 10000


@pytest.mark.parametrize("price_fen", [0, -1, 10000, 12000, 68.0, True])
def test_price_must_be_above_zero_and_below_retail(sku, price_fen):
    with pytest.raises(PromotionError) as exc:
        clearance_price(sku.pk, price_fen, timezone.now() + timedelta(days=1), StaffFactory())
    assert (exc.value.code, exc.value.detail["field"]) == ("invalid_promotion", "price_fen")
    assert not TimedDiscount.objects.exists()


def test_refuses_a_past_end_an_unknown_sku_or_another_skus_batch(sku):
    other = SkuFactory()
    operator = StaffFactory()
    cases = [
        ({"sku_id": sku.pk, "ends_at": timezone.now() - timedelta(minutes=1)}, "ends_at"),
        ({"sku_id": 987654, "ends_at": timezone.now() + timedelta(days=1)}, "sku_id"),
        ({"sku_id": other.pk, "ends_at": timezone.now() + timedelta(days=1), "batch_id": batch_id(sku)}, "batch_id"),
    ]
    for kwargs, field in cases:
        batch = kwargs.pop("batch_id", None)
        with pytest.raises(PromotionError) as exc:
            clearance_price(kwargs["sku_id"], 5000, kwargs["ends_at"], operator, batch_id=batch)
        assert exc.value.detail["field"] == field


def test_a_second_overlapping_clearance_is_refused(sku):
    operator = StaffFactory()
    clearance_price(sku.pk, 8000, timezone.now() + timedelta(days=2), operator)
    with pytest.raises(PromotionError) as exc:
        clearance_price(sku.pk, 7000, timezone.now() + timedelta(days=2), operator)
    assert exc.value.code == "activity_overlap"
