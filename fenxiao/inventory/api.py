"""The operator API for stock: read a SKU's stock per location, receive goods and adjust counts
through inventory.services, like the console's 库存调整 page (each change leaves a movement)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.catalog.models import Sku

from . import selectors, services
from .errors import InventoryCode, InventoryError
from .models import MAIN_LOCATION, StockRecord
from .schemas import OperatorStockAdjustIn, OperatorStockOut, OperatorStockReceiveIn

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
        sku_id=sku_id, quantity=payload.quantity, location=payload.location, actor=current_user(request), note=payload.note
    )
    return _out(record)


@operator_router.post("/skus/{sku_id}/stock/adjust", response=OperatorStockOut, summary="盘点调整（不低于已占用）")
def adjust(request, sku_id: int, payload: OperatorStockAdjustIn):
    require_staff_perm(request, "inventory.change_stockrecord")
    record = services.adjust_stock(
        sku_id=sku_id, delta=payload.delta, location=payload.location, actor=current_user(request), note=payload.note
    )
    return _out(record)
