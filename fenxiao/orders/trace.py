"""产品溯源: where the units of a stock batch went — the shipped lines that took them, with their
orders, buyers (phone masked) and distributors — read in one query from ShippedBatch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from fenxiao.common.phone import mask_name, mask_phone
from fenxiao.inventory.models import StockBatch

from .models import ShippedBatch


@dataclass(frozen=True)
class TracedLine:
    order_id: int
    order_number: str
    order_status: str
    line_id: int
    sku_id: int
    product_name: str
    sku_spec: str
    quantity: int
    buyer_id: int
    buyer_phone: str  # masked
    receiver: str  # masked
    receiver_phone: str  # masked
    region: str  # province city district (no street)
    distributor_id: int | None
    distributor_name: str
    shipped_at: datetime | None
    returned: int = 0  # of `quantity`, put back into the batch after buyers' returns


@dataclass
class BatchTrace:
    batch_id: int
    lines: list[TracedLine] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def order_count(self) -> int:
        return len({line.order_id for line in self.lines})

    @property
    def buyer_count(self) -> int:
        return len({line.buyer_id for line in self.lines})

    @property
    def distributor_count(self) -> int:
        return len({line.distributor_id for line in self.lines if line.distributor_id})

    def totals(self) -> dict[str, int]:
        return {
            "units": self.units,
            "orders": self.order_count,
            "buyers": self.buyer_count,
            "distributors": self.distributor_count,
        }


def batch_trace(batch_id: int) -> BatchTrace:
    """Every shipped line that took units of the batch, newest shipment first, with the totals
    (units, orders, buyers, distributors). One query whatever the number of lines."""
    rows = (
        ShippedBatch.objects.filter(batch_id=batch_id)
        .select_related("line__order__user", "line__order__distributor__user", "line__shipment")
        .order_by("-line__order__id", "line_id", "id")
    )
    trace = BatchTrace(batch_id=batch_id)
    for row in rows:
        line, order = row.line, row.line.order
        distributor = order.distributor
        shipment = line.shipment
        trace.lines.append(
            TracedLine(
                order_id=order.pk,
                order_number=order.number,
                order_status=order.status,
                line_id=line.pk,
                sku_id=line.sku_id,
                product_name=line.product_name,
                sku_spec=line.sku_spec,
                quantity=row.quantity,
                buyer_id=order.user_id,
                buyer_phone=mask_phone(order.user.phone),
                receiver=mask_name(order.receiver),
                receiver_phone=mask_phone(order.receiver_phone),
                region=" ".join(part for part in (order.province, order.city, order.district) if part),
                distributor_id=order.distributor_id,
                distributor_name=(distributor.real_name or distributor.user.display_name) if distributor else "",
                shipped_at=(shipment.shipped_at if shipment and shipment.shipped_at else order.shipped_at),
                returned=row.returned,
            )
        )
    return trace


def find_batches(batch_number: str, sku_id: int | None = None, sku_code: str = "") -> list[StockBatch]:
    """Batches with this number at any location (optionally of one SKU, by id or code), for the
    recall search; newest first."""
    number = (batch_number or "").strip()
    if not number:
        return []
    qs = StockBatch.objects.filter(batch_number__iexact=number)
    if sku_id is not None:
        qs = qs.filter(stock_record__sku_id=sku_id)
    if sku_code:
        qs = qs.filter(Q(stock_record__sku__code__iexact=sku_code.strip()))
    return list(qs.select_related("stock_record__sku__product").order_by("-id")[:50])
