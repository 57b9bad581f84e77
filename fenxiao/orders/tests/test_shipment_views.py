"""Shipments as the buyer and the operator see them: the order API (buyer and operator), the buyer's
order pages and the console's order page."""

import json

import pytest
from django.urls import reverse

from fenxiao.accounts.services import issue_token
from fenxiao.logistics.models import Carrier, TrackingEvent
from fenxiao.orders import services
from fenxiao.orders.models import Order, OrderLine, Shipment
from fenxiao.suppliers.models import supplier_location

from .shipment_world import make_supplier, supplier_sku

pytestmark = pytest.mark.django_db
SH = Shipment.Status


def call(client, user, method, url, data=None):
    headers = {"Authorization": f"Bearer {issue_token(user=user)}"}
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, json.dumps(data or {}), content_type="application/json", headers=headers)


@pytest.fixture
def mixed(buyer, address, sku, operator):
    """A paid order of a platform SKU and a supplier's SKU; the supplier's parcel shipped."""
    supplier = make_supplier("甲供应商")
    supplier_item = supplier_sku(supplier)
    order = services.place_order(user=buyer, items=[(sku.pk, 1), (supplier_item.pk, 1)], address=address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    parcel = Shipment.objects.get(order=order, route=supplier_location(supplier.pk))
    services.ship_shipment(
        shipment_id=parcel.pk, actor=supplier.user, carrier="shunfeng", tracking_number="SF123456789012", supplier=supplier
    )
    TrackingEvent.objects.create(
        carrier=Carrier.objects.get(code="shunfeng"),
        tracking_number="SF123456789012",
        occurred_at=parcel.order.created_at,
        description="已揽收",
        location="广州",
    )
    return {"order": order, "supplier": supplier, "parcel": parcel, "sku": supplier_item}


def test_buyer_api_lists_the_parcels_without_the_supplier(client, buyer, mixed):
    body = call(client, buyer, "get", f"/api/v1/orders/{mixed['order'].pk}").json()
    assert body["status"] == "paid"
    platform, supplier = body["shipments"]
    assert (platform["shipper"], platform["status"], platform["tracking_number"]) == ("platform", "to_ship", "")
    assert (supplier["shipper"], supplier["status"], supplier["carrier_code"]) == ("supplier", "shipped", "shunfeng")
    assert "SF123456789012" in supplier["tracking_url"]
    assert [e["description"] for e in supplier["tracking_events"]] == ["已揽收"]
    assert supplier["line_ids"] == [OrderLine.objects.get(order=mixed["order"], sku=mixed["sku"]).pk]
    text = json.dumps(body, ensure_ascii=False)
    assert "甲供应商" not in text and "supplier_id" not in text and "unit_cost_fen" not in text


def test_buyer_api_receives_one_parcel(client, buyer, mixed, operator):
    order = mixed["order"]
    url = f"/api/v1/orders/{order.pk}/confirm-receipt"
    other = Shipment.objects.exclude(order=order).first()
    assert other is None or call(client, buyer, "post", f"{url}?shipment_id={other.pk}").status_code == 404
    r = call(client, buyer, "post", f"{url}?shipment_id={mixed['parcel'].pk}")
    assert r.status_code == 200, r.content
    assert [s["status"] for s in r.json()["shipments"]] == ["to_ship", "received"]
    r = call(client, buyer, "post", f"{url}?shipment_id=987654")
    assert r.status_code == 404 and r.json()["code"] == "shipment_not_found"


def test_operator_api_detail_and_cancel_one_shipment(client, mixed, operator):
    order = mixed["order"]
    body = call(client, operator, "get", f"/api/v1/operator/orders/{order.pk}").json()
    platform, supplier = body["shipments"]
    assert (platform["route"], platform["supplier_id"], platform["overdue"]) == ("main", None, False)
    assert platform["ship_by"] is not None
    assert (supplier["supplier_name"], supplier["status"]) == ("甲供应商", "shipped")
    r = call(client, operator, "post", f"/api/v1/operator/shipments/{supplier['id']}/cancel", {"reason": "缺货"})
    assert r.status_code == 409 and r.json()["code"] == "already_shipped"
    r = call(client, operator, "post", f"/api/v1/operator/shipments/{platform['id']}/cancel", {"reason": "缺货"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert [s["status"] for s in body["shipments"]] == ["cancelled", "shipped"]
    assert body["status"] == "shipped"  # what is left has all shipped
    assert body["refunded_fen"] == OrderLine.objects.get(order=order, sku__product__supplier__isnull=True).paid_fen


def test_order_pages_show_parcels_and_partial_shipping(client, buyer, mixed):
    client.force_login(buyer)
    order = mixed["order"]
    page = client.get(reverse("web:orders")).content.decode()
    assert "部分发货" in page
    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert 'id="parcels"' in page and "平台发货" in page and "供应商发货" in page
    assert "SF123456789012" in page and "已揽收" in page and "甲供应商" not in page
    r = client.post(reverse("web:order_receive", args=[order.pk]), {"shipment_id": mixed["parcel"].pk})
    assert r.status_code == 302
    assert Shipment.objects.get(pk=mixed["parcel"].pk).status == SH.RECEIVED
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


def test_console_order_page_shows_shipments(client, mixed, operator):
    client.force_login(operator)
    page = client.get(reverse("admin:orders_order_change", args=[mixed["order"].pk])).content.decode()
    assert "发货单" in page and "supplier:" in page and "SF123456789012" in page
