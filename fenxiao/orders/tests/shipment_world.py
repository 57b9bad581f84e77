"""A small supply world for the shipment tests: suppliers with their own stock, and orders that mix
platform and supplier SKUs."""

from __future__ import annotations

from fenxiao.inventory.models import StockBatch, StockRecord
from fenxiao.suppliers.models import Supplier, supplier_location
from tests.factories import ProductFactory, SkuFactory, UserFactory

RETURN_ADDRESS = {
    "return_receiver": "李仓管",
    "return_phone": "13900001111",
    "return_province": "广东省",
    "return_city": "广州市",
    "return_district": "白云区",
    "return_detail": "太和镇 88 号仓库",
}


def make_supplier(name: str, **fields) -> Supplier:
    fields = {"user": UserFactory(), **RETURN_ADDRESS, **fields}
    return Supplier.objects.create(name=name, status=Supplier.Status.APPROVED, **fields)


def supplier_sku(supplier: Supplier, *, units: int = 10, retail_fen: int = 10000, cost_fen: int = 4000):
    """A SKU whose product the supplier fulfils, with `units` in the supplier's own stock."""
    sku = SkuFactory(product=ProductFactory(supplier=supplier), stock=0, retail_fen=retail_fen, cost_fen=cost_fen)
    stock_at(sku, supplier_location(supplier.pk), units)
    return sku


def stock_at(sku, location: str, units: int) -> StockRecord:
    record, _ = StockRecord.objects.get_or_create(sku=sku, location=location)
    if units:
        StockRecord.objects.filter(pk=record.pk).update(on_hand=units)
        StockBatch.objects.create(stock_record=record, batch_number=f"B-{sku.pk}", on_hand=units)
        record.refresh_from_db()
    return record


def record(sku, location: str) -> StockRecord:
    return StockRecord.objects.get(sku=sku, location=location)
