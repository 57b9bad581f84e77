"""Writes of the supplier portal. Each first makes sure the object is the supplier's own (anybody
else's is a 404, like a missing one), then hands the change to the service that owns it: shipping to
orders, stock to inventory, cost prices to catalog. The portal's own rows are the shipment exceptions
a supplier reports to the operator.

Listeners are told about exceptions through `exception_events` (see `fenxiao.common.hooks`):
`on_reported(exception)` when a supplier reports one, `on_resolved(exception)` when the operator
resolves it; both run inside the writing transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.costs import schedule_cost_change
from fenxiao.common.duties import refuse_own
from fenxiao.common.errors import CommonCode, DomainError
from fenxiao.common.hooks import Hooks
from fenxiao.inventory.services import adjust_stock, import_stock_file, receive_stock
from fenxiao.logistics import services as logistics
from fenxiao.orders.models import Shipment
from fenxiao.orders.services.aftersales import receive_return_and_refund
from fenxiao.orders.services.shipments import ship_shipment
from fenxiao.suppliers.models import Supplier

from ..errors import SupplyCode, SupplyError
from ..models import ShipmentException
from . import files, selectors

S = Shipment.Status
SHIPPED_STATES = (S.SHIPPED, S.RECEIVED, S.COMPLETED)
MAX_NOTE = 200

exception_events = Hooks("supply.exceptions", events=("on_reported", "on_resolved"))


# --- shipping -------------------------------------------------------------------------------------


def ship(*, supplier: Supplier, shipment_id: int, actor, carrier: str, tracking_number: str) -> Shipment:
    """Ship one of the supplier's shipments with a carrier (code or name) and tracking number."""
    selectors.shipment_for(supplier, shipment_id)
    ship_shipment(shipment_id=shipment_id, actor=actor, carrier=carrier, tracking_number=tracking_number, supplier=supplier)
    return selectors.shipment_for(supplier, shipment_id)


COL_NUMBER, COL_CARRIER, COL_TRACKING = "订单号", "快递公司", "快递单号"
TRACKING_COLUMNS = (COL_NUMBER, COL_CARRIER, COL_TRACKING)
SHIPPED, ALREADY, ERROR = "shipped", "already", "error"


@dataclass
class TrackingRow:
    row: int  # the row number in the file, the header being row 1
    order_number: str
    carrier: str
    tracking_number: str
    outcome: str = ERROR
    code: str = ""
    message: str = ""
    shipment_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _same_number(a: str, b: str) -> bool:
    return (a or "").strip().replace(" ", "").upper() == (b or "").strip().replace(" ", "").upper()


def _ship_row(supplier: Supplier, actor, row: TrackingRow) -> None:
    if not row.order_number:
        raise DomainError(CommonCode.INVALID_INPUT, gettext("订单号为空"), {"column": COL_NUMBER}, status=422)
    shipment = Shipment.objects.filter(supplier=supplier, order__number=row.order_number).select_related("carrier").first()
    if shipment is None:
        raise selectors.shipment_not_found(None)
    row.shipment_id = shipment.pk
    carrier = logistics.active_carrier(row.carrier)
    if shipment.status in SHIPPED_STATES:
        if shipment.carrier_id == carrier.pk and _same_number(shipment.tracking_number, row.tracking_number):
            row.outcome, row.message = ALREADY, gettext("已发货（同一单号），未重复发货")
            return
        raise SupplyError(
            SupplyCode.SHIPMENT_NOT_OPEN,
            gettext("已发货，快递单号为 %(number)s") % {"number": shipment.tracking_number},
            {"status": shipment.status},
            status=409,
        )
    ship(supplier=supplier, shipment_id=shipment.pk, actor=actor, carrier=carrier.code, tracking_number=row.tracking_number)
    row.outcome = SHIPPED


def import_tracking(*, supplier: Supplier, actor, filename: str, content: bytes) -> list[TrackingRow]:
    """Ship from a file of 订单号, 快递公司 (code or name), 快递单号. Rows are independent, each in its
    own transaction; a row already shipped with the same carrier and number answers `already`, so the
    same file twice ships nothing twice. Wrong columns refuse the whole file."""
    table = files.read_rows(filename, content)
    if not table:
        raise files.bad_file(gettext("文件是空的"))
    where = files.header_index(table[0], TRACKING_COLUMNS)

    def cell(values: list[str], column: str) -> str:
        index = where[column]
        return values[index].strip() if index < len(values) else ""

    results = []
    for number, values in enumerate(table[1:], start=2):
        row = TrackingRow(
            row=number,
            order_number=cell(values, COL_NUMBER)[:40],
            carrier=cell(values, COL_CARRIER)[:40],
            tracking_number=cell(values, COL_TRACKING)[:60],
        )
        try:
            with transaction.atomic():
                _ship_row(supplier, actor, row)
        except DomainError as exc:
            row.outcome, row.code, row.message = ERROR, exc.code, exc.message
        results.append(row)
    return results


# --- exceptions -----------------------------------------------------------------------------------


def _clean_note(note: str, field: str) -> str:
    text = (note or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise DomainError(
            CommonCode.INVALID_INPUT,
            gettext("请填写说明（不超过 %(max)s 字）") % {"max": MAX_NOTE},
            {"field": field},
            status=422,
        )
    return text


@transaction.atomic
def report_exception(*, supplier: Supplier, shipment_id: int, actor, kind: str, note: str) -> ShipmentException:
    """A problem with a shipment waiting to ship (out of stock, address, other), for the operator."""
    shipment = Shipment.objects.select_for_update().filter(pk=shipment_id, supplier=supplier).first()
    if shipment is None:
        raise selectors.shipment_not_found(shipment_id)
    if kind not in ShipmentException.Kind.values:
        raise DomainError(CommonCode.INVALID_INPUT, gettext("异常类型不正确"), {"field": "kind"}, status=422)
    note = _clean_note(note, "note")
    if shipment.status != S.TO_SHIP:
        raise SupplyError(
            SupplyCode.SHIPMENT_NOT_OPEN,
            gettext("只有待发货的发货单可以报告异常"),
            {"shipment_id": shipment_id, "status": shipment.status},
            status=409,
        )
    if ShipmentException.objects.filter(shipment=shipment, status=ShipmentException.Status.OPEN).exists():
        raise SupplyError(
            SupplyCode.EXCEPTION_OPEN, gettext("该发货单已有待处理的异常"), {"shipment_id": shipment_id}, status=409
        )
    exception = ShipmentException.objects.create(shipment=shipment, supplier=supplier, kind=kind, note=note, reported_by=actor)
    exception_events.fire("on_reported", exception)
    return exception


@transaction.atomic
def resolve_exception(*, exception_id: int, actor, resolution: str) -> ShipmentException:
    """The operator resolved a reported exception (what was done goes in `resolution`)."""
    exception = ShipmentException.objects.select_for_update().filter(pk=exception_id).first()
    if exception is None:
        raise SupplyError(SupplyCode.EXCEPTION_NOT_FOUND, gettext("发货异常不存在"), {"exception_id": exception_id}, status=404)
    refuse_own(actor, exception.reported_by_id, what=gettext("发货异常"))
    resolution = _clean_note(resolution, "resolution")
    if exception.status != ShipmentException.Status.OPEN:
        raise SupplyError(SupplyCode.EXCEPTION_RESOLVED, gettext("该异常已处理"), {"exception_id": exception_id}, status=409)
    exception.status = ShipmentException.Status.RESOLVED
    exception.resolution = resolution
    exception.resolved_by = actor
    exception.resolved_at = timezone.now()
    exception.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    exception_events.fire("on_resolved", exception)
    return exception


# --- returns --------------------------------------------------------------------------------------


def receive_return(*, supplier: Supplier, aftersale_id: int, actor):
    """The supplier got the goods of a return back: the buyer is refunded (by the orders service)."""
    selectors.return_for(supplier, aftersale_id)
    return receive_return_and_refund(aftersale_id=aftersale_id, actor=actor, supplier=supplier)


# --- stock ----------------------------------------------------------------------------------------


def receive_batch(
    *,
    supplier: Supplier,
    sku_id: int,
    quantity: int,
    batch_number: str,
    production_date: date | None,
    expiry_date: date | None,
    actor,
    note: str = "",
):
    """Goods of one of its SKUs received into its own location, as a batch."""
    selectors.own_sku(supplier, sku_id)
    return receive_stock(
        sku_id=sku_id,
        quantity=quantity,
        location=supplier.location,
        actor=actor,
        note=note,
        batch_number=batch_number,
        production_date=production_date,
        expiry_date=expiry_date,
    )


def adjust(*, supplier: Supplier, sku_id: int, delta: int, actor, note: str = "", batch_id: int | None = None):
    """A count or correction of one of its SKUs at its own location (never below what orders hold),
    in one batch or first-expiring first."""
    selectors.own_sku(supplier, sku_id)
    return adjust_stock(sku_id=sku_id, delta=delta, location=supplier.location, actor=actor, note=note, batch_id=batch_id)


def import_stock(*, supplier: Supplier, file, actor):
    """A stock file for its own location (the inventory service reads it and answers per row)."""
    return import_stock_file(location=supplier.location, file=file, actor=actor)


# --- cost prices ----------------------------------------------------------------------------------


def schedule_cost(*, supplier: Supplier, sku_id: int, cost_fen: int, effective_at: datetime, actor):
    """A new cost price of one of its SKUs from `effective_at` on (orders placed before keep theirs)."""
    selectors.own_sku(supplier, sku_id)
    return schedule_cost_change(sku_id=sku_id, cost_fen=cost_fen, effective_at=effective_at, actor=actor, supplier=supplier)
