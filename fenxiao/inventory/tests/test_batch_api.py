"""The operator batch API: batches with their expiry (filters: SKU, location, near expiry), receipts
into a batch, and where a batch went (trace)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.inventory.models import StockBatch
from fenxiao.inventory.selectors import near_expiry_batches
from fenxiao.inventory.services import receive_stock, reserve
from fenxiao.orders.models import ShippedBatch
from tests.api_helpers import assert_error
from tests.factories import OrderRecordFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

INV = "/api/v1/operator/inventory"


def bearer(group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


@pytest.fixture
def stocked():
    today = timezone.localdate()
    sku = SkuFactory(stock=0)
    receive_stock(sku_id=sku.pk, quantity=5, batch_number="SOON", expiry_date=today + timedelta(days=10))
    receive_stock(sku_id=sku.pk, quantity=5, batch_number="PAST", expiry_date=today - timedelta(days=1))
    receive_stock(sku_id=sku.pk, quantity=5, batch_number="LATER", expiry_date=today + timedelta(days=200))
    receive_stock(sku_id=sku.pk, quantity=5, batch_number="S1", location="supplier:9", expiry_date=today + timedelta(days=5))
    return sku


def test_near_expiry_selector(stocked):
    today = timezone.localdate()
    assert [b.batch_number for b in near_expiry_batches()] == ["PAST", "S1", "SOON"]
    assert [b.batch_number for b in near_expiry_batches(days=7)] == ["PAST", "S1"]
    assert [b.batch_number for b in near_expiry_batches(days=300, today=today)] == ["PAST", "S1", "SOON", "LATER"]
    reserve(reference="order:1", items=[(stocked.pk, 10)])  # PAST and SOON fully held: no free units
    assert [(b.batch_number, b.free) for b in near_expiry_batches()] == [("S1", 5)]


def test_batches_list_and_filters(client, stocked):
    headers = bearer("供应链")
    rows = client.get(f"{INV}/batches", {"sku": stocked.pk}, headers=headers).json()
    assert [r["batch_number"] for r in rows] == ["PAST", "S1", "SOON", "LATER"]
    soon = next(r for r in rows if r["batch_number"] == "SOON")
    assert (soon["days_left"], soon["available"], soon["near_expiry"], soon["location"]) == (10, 5, True, "main")
    assert next(r for r in rows if r["batch_number"] == "LATER")["near_expiry"] is False
    rows = client.get(f"{INV}/batches", {"location": "supplier:9"}, headers=headers).json()
    assert [r["batch_number"] for r in rows] == ["S1"]
    rows = client.get(f"{INV}/batches", {"near_expiry": "true", "location": "main"}, headers=headers).json()
    assert [r["batch_number"] for r in rows] == ["PAST", "SOON"]
    assert client.get(f"{INV}/batches", {"limit": 0}, headers=headers).status_code == 422
    assert client.get(f"{INV}/batches", headers=bearer("财务")).status_code == 403


def test_receive_into_a_batch_through_the_api(client, stocked):
    headers = bearer("供应链")
    body = {"quantity": 3, "batch_number": "API-1", "production_date": "2026-10-01", "expiry_date": "2027-10-01"}
    response = client.post(f"{INV}/skus/{stocked.pk}/stock/receive", body, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    batch = StockBatch.objects.get(batch_number="API-1")
    assert (batch.on_hand, str(batch.expiry_date)) == (3, "2027-10-01")
    body = {"quantity": 1, "batch_number": "API-2", "production_date": "2027-10-02", "expiry_date": "2027-10-01"}
    response = client.post(f"{INV}/skus/{stocked.pk}/stock/receive", body, content_type="application/json", headers=headers)
    assert_error(response, 400, "invalid_batch")
    body = {"delta": -1, "batch_id": batch.pk}
    response = client.post(f"{INV}/skus/{stocked.pk}/stock/adjust", body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.on_hand == 2


def test_trace_api(client, stocked):
    batch = StockBatch.objects.get(batch_number="SOON")
    order = OrderRecordFactory(lines=[{"sku": stocked, "quantity": 2}])
    ShippedBatch.objects.create(line=order.lines.get(), batch=batch, quantity=2, returned=1)
    response = client.get(f"{INV}/batches/{batch.pk}/trace", headers=bearer("运营"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["batch_number"], body["units"], body["returned"], body["orders"], body["buyers"]) == ("SOON", 2, 1, 1, 1)
    assert (body["lines"][0]["order_number"], body["lines"][0]["returned"]) == (order.number, 1)
    assert "****" in body["lines"][0]["receiver_phone"]
    assert_error(client.get(f"{INV}/batches/987654/trace", headers=bearer("运营")), 404, "unknown_batch")
