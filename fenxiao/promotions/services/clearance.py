"""临期特价: a clearance price for a SKU whose batch is near its expiry date, given as a timed discount
of the ordinary promotions pipeline (so every price, page and order sees it like any other)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku
from fenxiao.inventory.models import StockBatch
from fenxiao.promotions.models import DiscountMode, TimedDiscount

from .rules import NAME_MAX, invalid, save_timed_discount


def clearance_price(
    sku_id: int, price_fen: int, ends_at: datetime, actor: Any, *, batch_id: int | None = None, now: datetime | None = None
) -> TimedDiscount:
    """Sell the SKU at `price_fen` (above 0, below its retail price) from now until `ends_at`: a
    timed discount of retail − price per unit, named "临期特价 <batch number>" after the batch it
    clears (when given, it must be the SKU's). Overlapping timed discounts on the product are
    refused as for any timed discount (activity_overlap)."""
    now = now or timezone.now()
    sku = Sku.objects.filter(pk=sku_id).first() if isinstance(sku_id, int) and not isinstance(sku_id, bool) else None
    if sku is None:
        raise invalid(gettext("SKU 不存在"), "sku_id", sku_id=sku_id)
    if isinstance(price_fen, bool) or not isinstance(price_fen, int) or price_fen <= 0:
        raise invalid(gettext("特价须为大于 0 的金额"), "price_fen")
    if price_fen >= sku.retail_fen:
        raise invalid(gettext("特价须低于零售价"), "price_fen", retail_fen=sku.retail_fen)
    if not isinstance(ends_at, datetime) or ends_at <= now:
        raise invalid(gettext("结束时间须晚于现在"), "ends_at")
    label = ""
    if batch_id is not None:
        batch = StockBatch.objects.filter(pk=batch_id, stock_record__sku_id=sku.pk).first()
        if batch is None:
            raise invalid(gettext("批次不存在"), "batch_id", batch_id=batch_id)
        label = batch.batch_number
    name = (gettext("临期特价") + (f" {label}" if label else ""))[:NAME_MAX]
    return save_timed_discount(
        actor=actor,
        name=name,
        starts_at=now,
        ends_at=ends_at,
        items=[
            {"sku_id": sku.pk, "mode": DiscountMode.AMOUNT, "amount_off_fen": sku.retail_fen - price_fen, "percent_off_bp": 0}
        ],
    )
