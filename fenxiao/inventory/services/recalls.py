"""Recalls (召回): the record that a batch is being recalled, with how far it had gone."""

from __future__ import annotations

from django.utils.translation import gettext

from fenxiao.inventory.errors import InventoryCode, InventoryError
from fenxiao.inventory.models import BatchRecall, StockBatch


def record_recall(*, batch_id: int, note: str, actor=None, orders: int = 0, buyers: int = 0, units: int = 0) -> BatchRecall:
    """Record a recall of the batch with the reason and the reach the trace showed (orders, buyers,
    units shipped). Refuses an empty reason or an unknown batch."""
    note = (note or "").strip()
    if not note:
        raise InventoryError(InventoryCode.INVALID_BATCH, gettext("请填写召回说明"), {"field": "note"})
    batch = StockBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise InventoryError(InventoryCode.UNKNOWN_BATCH, gettext("批次不存在"), {"batch_id": batch_id}, status=404)
    return BatchRecall.objects.create(
        batch=batch,
        note=note[:200],
        actor=actor if getattr(actor, "pk", None) else None,
        order_count=orders,
        buyer_count=buyers,
        units=units,
    )
