"""The product page's label (产品标签): only the fields that are set, and the production date of the
batch a buyer would get (the first-expiring one with free units, at the SKU's route)."""

from datetime import date

import pytest
from django.urls import reverse

from fenxiao.inventory.models import StockBatch, StockRecord
from fenxiao.shop.selectors import product_label, shop_product
from fenxiao.suppliers import services as suppliers
from fenxiao.suppliers.models import supplier_location
from tests.factories import ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


def batch(sku, number, *, location="main", produced=None, expires=None, on_hand=10, reserved=0):
    record, _ = StockRecord.objects.get_or_create(sku=sku, location=location)
    StockRecord.objects.filter(pk=record.pk).update(on_hand=record.on_hand + on_hand, reserved=record.reserved + reserved)
    return StockBatch.objects.create(
        stock_record=record,
        batch_number=number,
        production_date=produced,
        expiry_date=expires,
        on_hand=on_hand,
        reserved=reserved,
    )


def test_only_the_fields_that_are_set_are_shown(client):
    product = ProductFactory(ingredients="洋槐蜂蜜", manufacturer="某某蜂业有限公司", storage="")
    SkuFactory(product=product)
    page = client.get(reverse("web:product", args=[product.pk])).content.decode()
    assert 'id="product-label"' in page
    assert "洋槐蜂蜜" in page and "某某蜂业有限公司" in page
    for absent in ('id="label-storage"', 'id="label-licence"', 'id="label-shelf-life"', 'id="label-production-date"'):
        assert absent not in page
    bare = ProductFactory()
    SkuFactory(product=bare)
    assert 'id="product-label"' not in client.get(reverse("web:product", args=[bare.pk])).content.decode()


def test_every_field_with_the_production_date_of_the_first_expiring_batch_with_free_units(client):
    product = ProductFactory(
        ingredients="蜂蜜",
        shelf_life_days=730,
        manufacturer="某某蜂业",
        manufacturer_address="浙江省江山市",
        licence_number="SC12633010600001",
        storage="阴凉干燥处",
    )
    sku = SkuFactory(product=product, stock=0)
    batch(sku, "B-LATE", produced=date(2026, 9, 1), expires=date(2028, 9, 1))
    batch(sku, "B-GONE", produced=date(2026, 1, 1), expires=date(2027, 1, 1), on_hand=5, reserved=5)  # nothing free
    batch(sku, "B-NEXT", produced=date(2026, 3, 1), expires=date(2027, 3, 1))
    page = client.get(reverse("web:product", args=[product.pk])).content.decode()
    for text in ("730 天", "某某蜂业", "浙江省江山市", "SC12633010600001", "阴凉干燥处", "2026-03-01"):
        assert text in page, text


def test_a_supplier_fulfilled_product_dates_from_the_suppliers_batches():
    supplier = suppliers.create_supplier(name="蜂场", user=UserFactory())
    product = ProductFactory(supplier=supplier, shelf_life_days=365)
    sku = SkuFactory(product=product)  # its platform stock carries no date
    batch(sku, "S-1", location=supplier_location(supplier.pk), produced=date(2026, 5, 20), expires=date(2027, 5, 20))
    label = product_label(shop_product(product.pk))
    assert label.production_date == date(2026, 5, 20)
    assert label.shelf_life_days == 365


def test_an_unknown_production_date_is_left_out():
    product = ProductFactory(manufacturer="某厂")
    SkuFactory(product=product)  # the opening batch has no dates
    label = product_label(shop_product(product.pk))
    assert label and label.production_date is None
