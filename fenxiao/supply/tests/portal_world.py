"""Suppliers, their SKUs and the orders routed to them, made through the real services: for the portal
tests and the authorization matrix."""

from __future__ import annotations

import itertools

from fenxiao.inventory.services import receive_stock
from fenxiao.logistics.models import Carrier
from fenxiao.orders import services as orders
from fenxiao.orders.models import AfterSale, Order, Shipment
from fenxiao.orders.services.shipments import ship_shipment
from fenxiao.suppliers.models import Supplier
from tests.factories import OrderFactory, ProductFactory, SkuFactory, StaffFactory, UserFactory

_numbers = itertools.count(1)


def carrier() -> Carrier:
    found, _ = Carrier.objects.get_or_create(
        code="zhongtong", defaults={"name": "中通快递", "number_pattern": r"(ZTO)?\d{12,15}", "is_active": True}
    )
    return found


def tracking_number() -> str:
    return f"7{next(_numbers):013d}"


def make_supplier(*, status: str = Supplier.Status.APPROVED, user=None) -> Supplier:
    n = next(_numbers)
    return Supplier.objects.create(
        name=f"供应商{n}",
        user=user or UserFactory(),
        status=status,
        company_name=f"杭州好物{n}有限公司",
        return_receiver="李仓管",
        return_phone="13700001111",
        return_province="浙江省",
        return_city="杭州市",
        return_district="余杭区",
        return_detail="仓前街道 1 号",
        bank_account_name=f"杭州好物{n}有限公司",
        bank_account_number="6222021202041234567",
        bank_name="工商银行杭州分行",
    )


def supplier_sku(supplier: Supplier, *, stock: int = 100, batch: str = "B-OPEN"):
    """A SKU of a product the supplier fulfils, with `stock` units at the supplier's location."""
    sku = SkuFactory(product=ProductFactory(supplier=supplier), stock=0)
    if stock:
        receive_stock(sku_id=sku.pk, quantity=stock, location=supplier.location, batch_number=batch)
    return sku


def supplier_order(supplier: Supplier, sku, *, user=None, quantity: int = 1, extra=()) -> tuple[Order, Shipment]:
    """A paid order of `sku` (and `extra` (sku, quantity) pairs), and the supplier's shipment of it."""
    order = OrderFactory(paid=True, user=user or UserFactory(), items=[(sku, quantity), *extra])
    return order, Shipment.objects.get(order=order, supplier=supplier)


def ship(supplier: Supplier, shipment: Shipment, number: str | None = None) -> Shipment:
    return ship_shipment(
        shipment_id=shipment.pk,
        actor=supplier.user,
        carrier=carrier().code,
        tracking_number=number or tracking_number(),
        supplier=supplier,
    )


def returned_aftersale(supplier: Supplier, order: Order, shipment: Shipment) -> AfterSale:
    """The shipment shipped, then a return-and-refund of its first line, approved and sent back by the buyer."""
    if shipment.status == Shipment.Status.TO_SHIP:
        ship(supplier, shipment)
    line = shipment.lines.order_by("pk").first()
    aftersale = orders.request_aftersale(
        user=order.user,
        line_id=line.pk,
        kind=AfterSale.Kind.RETURN_REFUND,
        amount_fen=line.paid_fen,
        reason="尺码不合",
        quantity=line.quantity,
    )
    aftersale = orders.review_aftersale(aftersale_id=aftersale.pk, actor=StaffFactory(), approve=True)
    return orders.submit_return(aftersale_id=aftersale.pk, user=order.user, tracking_number="YT1234567890")
