"""The operator API for traceability (产品溯源): where the units of a stock batch went."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema

from fenxiao.accounts.auth import member_auth, require_staff_perm
from fenxiao.inventory.errors import InventoryCode, InventoryError
from fenxiao.inventory.models import StockBatch

from .trace import batch_trace

trace_router = Router(tags=["运营：库存 operator inventory"], auth=member_auth)


class TracedLineOut(Schema):
    order_id: int
    order_number: str
    order_status: str
    sku_id: int
    product_name: str
    sku_spec: str
    quantity: int
    buyer_id: int
    buyer_phone: str
    receiver: str
    receiver_phone: str
    region: str
    distributor_id: int | None
    distributor_name: str
    shipped_at: datetime | None
    returned: int  # of `quantity`, back in the batch after the buyer's return


class BatchTraceOut(Schema):
    batch_id: int
    batch_number: str
    sku_id: int
    location: str
    expiry_date: date | None
    units: int
    returned: int
    orders: int
    buyers: int
    distributors: int
    lines: list[TracedLineOut]


@trace_router.get("/batches/{batch_id}/trace", response=BatchTraceOut, summary="批次追溯：该批次发往哪些订单、买家和分销商")
def trace(request, batch_id: int):
    require_staff_perm(request, "orders.view_order")
    batch = StockBatch.objects.select_related("stock_record").filter(pk=batch_id).first()
    if batch is None:
        raise InventoryError(InventoryCode.UNKNOWN_BATCH, _("批次不存在"), {"batch_id": batch_id}, status=404)
    found = batch_trace(batch.pk)
    return {
        "batch_id": batch.pk,
        "batch_number": batch.batch_number,
        "sku_id": batch.stock_record.sku_id,
        "location": batch.stock_record.location,
        "expiry_date": batch.expiry_date,
        **found.totals(),
        "returned": sum(line.returned for line in found.lines),
        "lines": [line.__dict__ for line in found.lines],
    }
