"""The operator API for stock: read a SKU's stock per location, receive goods and adjust counts
through inventory.services, like the console's 库存调整 page (each change leaves a movement)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.catalog.models import Sku

from . import selectors, services
from .errors import InventoryCode, InventoryError
from .models import MAIN_LOCATION, StockBatch, StockRecord
from .schemas import OperatorBatchOut, OperatorStockAdjustIn, OperatorStockOut, OperatorStockReceiveIn

operator_router = Router(tags=["运营：库存 operator inventory"], auth=member_auth)


def _out(record: StockRecord) -> dict:
    return {
        "sku_id": record.sku_id,
        "location": record.location,
        "on_hand": record.on_hand,
        "reserved": record.reserved,
        "available": record.available,
        "safety_stock": record.safety_stock,
    }


def _known_sku(sku_id: int) -> None:
    if not Sku.objects.filter(pk=sku_id).exists():
        raise InventoryError(InventoryCode.UNKNOWN_SKU, _("SKU 不存在"), {"sku_id": sku_id}, status=404)


@operator_router.get("/skus/{sku_id}/stock", response=list[OperatorStockOut], summary="SKU 各库位库存（平台仓 main 总在其中）")
def sku_stock(request, sku_id: int):
    require_staff_perm(request, "inventory.view_stockrecord")
    _known_sku(sku_id)
    records = list(selectors.stock_records_for_sku(sku_id))
    if not any(r.location == MAIN_LOCATION for r in records):
        records.insert(0, StockRecord(sku_id=sku_id, location=MAIN_LOCATION))
    return [_out(r) for r in records]


@operator_router.post("/skus/{sku_id}/stock/receive", response=OperatorStockOut, summary="入库")
def receive(request, sku_id: int, payload: OperatorStockReceiveIn):
    require_staff_perm(request, "inventory.change_stockrecord")
    record = services.receive_stock(
        sku_id=sku_id,
        quantity=payload.quantity,
        location=payload.location,
        actor=current_user(request),
        note=payload.note,
        batch_number=payload.batch_number,
        production_date=payload.production_date,
        expiry_date=payload.expiry_date,
    )
    return _out(record)


@operator_router.post("/skus/{sku_id}/stock/adjust", response=OperatorStockOut, summary="盘点调整（不低于已占用）")
def adjust(request, sku_id: int, payload: OperatorStockAdjustIn):
    require_staff_perm(request, "inventory.change_stockrecord")
    record = services.adjust_stock(
        sku_id=sku_id,
        delta=payload.delta,
        location=payload.location,
        actor=current_user(request),
        note=payload.note,
        batch_id=payload.batch_id,
    )
    return _out(record)


class BatchFilters(Schema):
    sku: int | None = Field(None, ge=1, le=2**63 - 1, description="SKU id")
    location: str = Field("", max_length=32, description="库位，例如 main、supplier:3")
    near_expiry: bool = Field(False, description="只看临期（含已过期）且有可用库存的批次")
    limit: int = Field(100, ge=1, le=500)


def batch_out(batch: StockBatch, *, today, near_days: int) -> dict:
    record = batch.stock_record
    days_left = (batch.expiry_date - today).days if batch.expiry_date else None
    return {
        "id": batch.pk,
        "sku_id": record.sku_id,
        "sku_code": record.sku.code,
        "product_name": record.sku.product.name,
        "location": record.location,
        "batch_number": batch.batch_number,
        "production_date": batch.production_date,
        "expiry_date": batch.expiry_date,
        "days_left": days_left,
        "on_hand": batch.on_hand,
        "reserved": batch.reserved,
        "available": batch.on_hand - batch.reserved,
        "near_expiry": days_left is not None and days_left <= near_days,
    }


@operator_router.get("/batches", response=list[OperatorBatchOut], summary="库存批次（先到期的在前；可筛选 SKU、库位、临期）")
def batches(request, filters: Query[BatchFilters]):
    require_staff_perm(request, "inventory.view_stockrecord")
    today = timezone.localdate()
    rows = selectors.batches(sku_id=filters.sku, location=filters.location, near_expiry=filters.near_expiry, today=today)
    near_days = selectors.near_expiry_days()
    return [batch_out(b, today=today, near_days=near_days) for b in rows[: filters.limit]]
