"""Reads of the supplier portal. Everything is scoped to one supplier: a shipment, a return or a SKU of
another supplier (or of the platform warehouse) is answered exactly like one that does not exist.

What a supplier sees of an order is what it needs to ship it: the lines (product, spec, SKU code,
quantity), the order number and times, the buyer's note and address. Never prices paid, discounts,
commission or the distributor. The buyer's address and phone are shown in full only while the
shipment waits to be shipped; after that the phone is masked and the address reduced to province and
city; once the shipment is complete (or cancelled) the receiver's name is masked too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku, SkuCostChange
from fenxiao.common.phone import mask_name, mask_phone
from fenxiao.inventory.models import StockBatch, StockRecord
from fenxiao.orders.models import AfterSale, OrderLine, Shipment
from fenxiao.orders.selectors import is_overdue, overdue_q
from fenxiao.suppliers.models import Supplier

from ..errors import SupplyCode, SupplyError
from ..models import ShipmentException

S = Shipment.Status
A = AfterSale.Status

# The list filters: key → (label, filter on Shipment)
SHIPMENT_FILTERS: dict[str, str] = {
    "to_ship": S.TO_SHIP,
    "overdue": S.TO_SHIP,
    "shipped": S.SHIPPED,
    "received": S.RECEIVED,
    "completed": S.COMPLETED,
    "cancelled": S.CANCELLED,
}
MAX_PAGE_SIZE = 50
MAX_SEARCH = 32

# Returns waiting for the supplier: the buyer sent the goods back.
RETURN_PENDING = (A.RETURNED,)


# --- shipments ------------------------------------------------------------------------------------


def _lines_prefetch() -> Prefetch:
    return Prefetch(
        "lines",
        queryset=OrderLine.objects.select_related("sku")
        .only("id", "shipment_id", "order_id", "product_name", "sku_spec", "quantity", "sku__id", "sku__code")
        .order_by("id"),
        to_attr="portal_lines",
    )


def shipments_for(supplier: Supplier, *, status: str = "", search: str = "", now: datetime | None = None) -> QuerySet[Shipment]:
    """The supplier's shipments, newest order first, with their lines; `status` one of
    SHIPMENT_FILTERS (anything else: all), `search` part of an order number."""
    qs = Shipment.objects.filter(supplier=supplier).select_related("order", "carrier").prefetch_related(_lines_prefetch())
    if status in SHIPMENT_FILTERS:
        qs = qs.filter(status=SHIPMENT_FILTERS[status])
        if status == "overdue":
            qs = qs.filter(overdue_q(now))
    search = (search or "").strip()[:MAX_SEARCH]
    if search:
        qs = qs.filter(order__number__icontains=search)
    if status in ("to_ship", "overdue"):
        return qs.order_by("ship_by", "id")  # the most urgent first
    return qs.order_by("-order__created_at", "-id")


def shipment_for(supplier: Supplier, shipment_id: int) -> Shipment:
    """One of the supplier's shipments; 404 `shipment_not_found` for a missing one and for anybody
    else's alike."""
    shipment = shipments_for(supplier).filter(pk=shipment_id).first()
    if shipment is None:
        raise shipment_not_found(shipment_id)
    return shipment


def shipment_not_found(shipment_id) -> SupplyError:
    return SupplyError(SupplyCode.SHIPMENT_NOT_FOUND, gettext("发货单不存在"), {"shipment_id": shipment_id}, status=404)


def receiver_view(shipment: Shipment) -> dict:
    """The buyer's name, phone and address as the supplier may see them at the shipment's status."""
    order = shipment.order
    if shipment.status == S.TO_SHIP:
        return {
            "name": order.receiver,
            "phone": order.receiver_phone,
            "province": order.province,
            "city": order.city,
            "district": order.district,
            "detail": order.address_detail,
            "address": f"{order.province}{order.city}{order.district}{order.address_detail}",
            "masked": False,
        }
    finished = shipment.status in (S.COMPLETED, S.CANCELLED)
    return {
        "name": mask_name(order.receiver) if finished else order.receiver,
        "phone": mask_phone(order.receiver_phone),
        "province": order.province,
        "city": order.city,
        "district": "",
        "detail": "",
        "address": f"{order.province}{order.city}",
        "masked": True,
    }


def line_view(line: OrderLine) -> dict:
    return {
        "id": line.pk,
        "product_name": line.product_name,
        "spec": line.sku_spec,
        "sku_code": line.sku.code,
        "quantity": line.quantity,
    }


def shipment_view(shipment: Shipment, now: datetime | None = None) -> dict:
    """What the portal shows of one shipment (no price, discount, commission or distributor)."""
    order = shipment.order
    carrier = shipment.carrier
    lines = getattr(shipment, "portal_lines", None)
    if lines is None:
        lines = list(shipment.lines.select_related("sku").order_by("id"))
    return {
        "id": shipment.pk,
        "order_number": order.number,
        "status": shipment.status,
        "status_label": shipment.get_status_display(),
        "placed_at": order.created_at,
        "paid_at": order.paid_at,
        "ship_by": shipment.ship_by,
        "overdue": is_overdue(shipment, now),
        "note": order.note if shipment.status == S.TO_SHIP else "",
        "receiver": receiver_view(shipment),
        "carrier_code": carrier.code if carrier is not None else "",
        "carrier_name": carrier.name if carrier is not None else shipment.tracking_company,
        "tracking_number": shipment.tracking_number,
        "tracking_url": carrier.tracking_url(shipment.tracking_number)
        if carrier is not None and shipment.tracking_number
        else "",
        "shipped_at": shipment.shipped_at,
        "received_at": shipment.received_at,
        "completed_at": shipment.completed_at,
        "cancelled_at": shipment.cancelled_at,
        "lines": [line_view(line) for line in lines],
    }


def page_of(qs, page: int, page_size: int):
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    start = (max(1, page) - 1) * size
    return list(qs[start : start + size])


def pick_list_shipments(supplier: Supplier, ids: list[int] | None = None) -> list[Shipment]:
    """The shipments a pick list covers: the chosen ones (of those waiting to ship), else all waiting."""
    qs = shipments_for(supplier, status="to_ship")
    if ids:
        qs = qs.filter(pk__in=ids)
    return list(qs)


# --- the home counts ------------------------------------------------------------------------------


@dataclass
class PortalCounts:
    to_ship: int = 0
    overdue: int = 0
    returns_to_receive: int = 0
    open_exceptions: int = 0
    by_status: dict = field(default_factory=dict)


def counts(supplier: Supplier, now: datetime | None = None) -> PortalCounts:
    now = now or timezone.now()
    figures = Shipment.objects.filter(supplier=supplier).aggregate(
        to_ship=Count("id", filter=Q(status=S.TO_SHIP)),
        overdue=Count("id", filter=overdue_q(now)),
        shipped=Count("id", filter=Q(status=S.SHIPPED)),
        received=Count("id", filter=Q(status=S.RECEIVED)),
    )
    return PortalCounts(
        to_ship=figures["to_ship"],
        overdue=figures["overdue"],
        returns_to_receive=returns_for(supplier, pending=True).count(),
        open_exceptions=ShipmentException.objects.filter(supplier=supplier, status=ShipmentException.Status.OPEN).count(),
        by_status={"shipped": figures["shipped"], "received": figures["received"]},
    )


# --- exceptions -----------------------------------------------------------------------------------


def exceptions_for(supplier: Supplier, *, status: str = "") -> QuerySet[ShipmentException]:
    qs = ShipmentException.objects.filter(supplier=supplier, shipment__supplier=supplier).select_related("shipment__order")
    if status in ShipmentException.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def exception_view(exc: ShipmentException) -> dict:
    return {
        "id": exc.pk,
        "shipment_id": exc.shipment_id,
        "order_number": exc.shipment.order.number,
        "kind": exc.kind,
        "kind_label": exc.get_kind_display(),
        "note": exc.note,
        "status": exc.status,
        "status_label": exc.get_status_display(),
        "resolution": exc.resolution,
        "created_at": exc.created_at,
        "resolved_at": exc.resolved_at,
    }


# --- returns --------------------------------------------------------------------------------------


def returns_for(supplier: Supplier, *, pending: bool) -> QuerySet[AfterSale]:
    """Return-and-refund after-sales of the supplier's lines: waiting for it to receive the goods
    (`pending`), or every other one (the history)."""
    qs = AfterSale.objects.filter(kind=AfterSale.Kind.RETURN_REFUND, line__shipment__supplier=supplier)
    qs = qs.filter(status__in=RETURN_PENDING) if pending else qs.exclude(status__in=RETURN_PENDING)
    return qs.select_related("order", "line__sku").order_by("-updated_at", "-id")


def return_for(supplier: Supplier, aftersale_id: int) -> AfterSale:
    aftersale = returns_for(supplier, pending=True).filter(pk=aftersale_id).first() or (
        returns_for(supplier, pending=False).filter(pk=aftersale_id).first()
    )
    if aftersale is None:
        raise SupplyError(SupplyCode.AFTERSALE_NOT_FOUND, gettext("退货不存在"), {"aftersale_id": aftersale_id}, status=404)
    return aftersale


def return_view(aftersale: AfterSale) -> dict:
    line = aftersale.line
    return {
        "id": aftersale.pk,
        "order_number": aftersale.order.number,
        "shipment_id": line.shipment_id,
        "product_name": line.product_name,
        "spec": line.sku_spec,
        "sku_code": line.sku.code,
        "quantity": aftersale.quantity,
        "reason": aftersale.reason,
        "status": aftersale.status,
        "status_label": aftersale.get_status_display(),
        "return_tracking_number": aftersale.return_tracking_number,
        "created_at": aftersale.created_at,
        "updated_at": aftersale.updated_at,
    }


# --- stock ----------------------------------------------------------------------------------------


def own_skus(supplier: Supplier) -> QuerySet[Sku]:
    """The SKUs this supplier fulfils: its own, or its product's when the SKU names no supplier."""
    return Sku.objects.filter(Q(supplier=supplier) | Q(supplier__isnull=True, product__supplier=supplier))


def own_sku(supplier: Supplier, sku_id: int) -> Sku:
    sku = own_skus(supplier).select_related("product").filter(pk=sku_id).first()
    if sku is None:
        raise SupplyError(SupplyCode.SKU_NOT_FOUND, gettext("商品规格不存在"), {"sku_id": sku_id}, status=404)
    return sku


def stock_view(supplier: Supplier) -> list[dict]:
    """Each of its SKUs with the stock at its location and the batches (first to expire first)."""
    skus = list(own_skus(supplier).select_related("product").order_by("product_id", "id"))
    records = {
        r.sku_id: r
        for r in StockRecord.objects.filter(sku__in=[s.pk for s in skus], location=supplier.location).prefetch_related(
            Prefetch("batches", queryset=StockBatch.objects.order_by("expiry_date", "id"))
        )
    }
    rows = []
    for sku in skus:
        record = records.get(sku.pk)
        batches = list(record.batches.all()) if record is not None else []
        rows.append(
            {
                "sku_id": sku.pk,
                "sku_code": sku.code,
                "product_name": sku.product.name,
                "spec": sku.spec,
                "is_active": sku.is_active,
                "on_hand": record.on_hand if record else 0,
                "reserved": record.reserved if record else 0,
                "available": record.available if record else 0,
                "safety_stock": record.safety_stock if record else 0,
                "low_stock": record.below_safety if record else False,
                "batches": [
                    {
                        "id": b.pk,
                        "batch_number": b.batch_number,
                        "production_date": b.production_date,
                        "expiry_date": b.expiry_date,
                        "on_hand": b.on_hand,
                        "reserved": b.reserved,
                    }
                    for b in batches
                    if b.on_hand or b.reserved
                ],
            }
        )
    return rows


# --- cost prices ----------------------------------------------------------------------------------


def cost_changes_for(supplier: Supplier) -> QuerySet[SkuCostChange]:
    """The cost changes of the SKUs it fulfils that it asked for, latest effective first."""
    return (
        SkuCostChange.objects.filter(supplier=supplier, sku__in=own_skus(supplier))
        .select_related("sku__product")
        .order_by("-effective_at", "-id")
    )


def cost_change_view(change: SkuCostChange) -> dict:
    return {
        "id": change.pk,
        "sku_id": change.sku_id,
        "sku_code": change.sku.code,
        "product_name": change.sku.product.name,
        "spec": change.sku.spec,
        "cost_fen": change.cost_fen,
        "previous_cost_fen": change.previous_cost_fen,
        "effective_at": change.effective_at,
        "status": change.status,
        "status_label": change.get_status_display(),
        "applied_at": change.applied_at,
        "created_at": change.created_at,
    }


# --- profile --------------------------------------------------------------------------------------


def mask_account(number: str) -> str:
    number = (number or "").replace(" ", "")
    if not number:
        return ""
    return "*" * max(len(number) - 4, 0) + number[-4:]


def profile_view(supplier: Supplier) -> dict:
    return {
        "id": supplier.pk,
        "name": supplier.name,
        "status": supplier.status,
        "status_label": supplier.get_status_display(),
        "status_reason": supplier.status_reason,
        "contact_name": supplier.contact_name,
        "contact_phone": supplier.contact_phone,
        "company_name": supplier.company_name,
        "credit_code": supplier.credit_code,
        "licence_number": supplier.licence_number,
        "category": supplier.category,
        "return_receiver": supplier.return_receiver,
        "return_phone": supplier.return_phone,
        "return_address": supplier.return_address,
        "bank_account_name": supplier.bank_account_name,
        "bank_name": supplier.bank_name,
        "bank_account_masked": mask_account(supplier.bank_account_number),
        "settlement_cycle": supplier.settlement_cycle,
        "settlement_cycle_label": supplier.get_settlement_cycle_display(),
    }
