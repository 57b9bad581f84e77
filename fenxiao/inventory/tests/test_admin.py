"""The stock pages of the operator admin: quantities change only through the services."""

import pytest
from django.urls import reverse

from fenxiao.inventory.models import StockMovement, StockRecord
from fenxiao.inventory.services import reserve, set_safety_stock
from tests.factories import SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(StaffFactory())
    return client


def test_first_receipt_from_the_sku_page_creates_the_record(operator_client):
    sku = SkuFactory(stock=0)
    StockRecord.objects.filter(sku=sku).delete()
    url = reverse("admin:inventory_stockrecord_sku", args=[sku.pk])
    assert operator_client.get(url).status_code == 200
    response = operator_client.post(url, {"action": "receive", "quantity": "0", "note": ""})
    assert response.status_code == 200  # a receipt must be positive
    assert not StockRecord.objects.filter(sku=sku).exists()
    response = operator_client.post(url, {"action": "receive", "quantity": "30", "note": "首批到货"})
    record = StockRecord.objects.get(sku=sku)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:inventory_stockrecord_change", args=[record.pk])
    assert record.on_hand == 30
    page = operator_client.get(reverse("admin:inventory_stockrecord_adjust", args=[record.pk])).content.decode()
    assert "首批到货" in page  # the recent movements


def test_adjust_below_reserved_is_refused_with_the_message(operator_client):
    sku = SkuFactory(stock=10)
    reserve(reference="order:1", items=[(sku.pk, 6)])
    record = StockRecord.objects.get(sku=sku)
    url = reverse("admin:inventory_stockrecord_adjust", args=[record.pk])
    response = operator_client.post(url, {"action": "adjust", "quantity": "-5", "note": ""})
    assert response.status_code == 200
    assert "不能低于已占用的 6 件" in response.content.decode()
    record.refresh_from_db()
    assert record.on_hand == 10
    assert not StockMovement.objects.filter(kind="adjust").exists()


def test_below_safety_filter_and_read_only_trails(operator_client):
    low, fine = SkuFactory(stock=3), SkuFactory(stock=30)
    set_safety_stock(sku_id=low.pk, quantity=5)
    set_safety_stock(sku_id=fine.pk, quantity=5)
    reserve(reference="order:1", items=[(fine.pk, 1)])
    response = operator_client.get(reverse("admin:inventory_stockrecord_changelist"), {"safety": "below"})
    assert response.status_code == 200
    assert [r.sku_id for r in response.context["cl"].result_list] == [low.pk]
    for name in ("reservation", "stockmovement"):
        assert operator_client.get(reverse(f"admin:inventory_{name}_changelist")).status_code == 200
        assert operator_client.get(reverse(f"admin:inventory_{name}_add")).status_code == 403


def test_staff_without_change_permission_cannot_adjust(client):
    staff = StaffFactory(is_superuser=False)
    client.force_login(staff)
    sku = SkuFactory(stock=10)
    response = client.post(reverse("admin:inventory_stockrecord_sku", args=[sku.pk]), {"action": "receive", "quantity": "5"})
    assert response.status_code == 302
    assert StockRecord.objects.get(sku=sku).on_hand == 10


def test_receipt_into_a_batch_and_the_batches_shown_on_the_record(operator_client):
    from fenxiao.inventory.models import StockBatch

    sku = SkuFactory(stock=0)
    record = StockRecord.objects.get(sku=sku)
    url = reverse("admin:inventory_stockrecord_adjust", args=[record.pk])
    body = {"action": "receive", "quantity": "12", "batch_number": "LOT-9", "production_date": "2026-11-01"}
    bad = operator_client.post(url, {**body, "expiry_date": "2026-10-01"})
    assert bad.status_code == 200 and "到期日不能早于生产日期" in bad.content.decode()
    assert operator_client.post(url, {**body, "expiry_date": "2027-05-01"}).status_code == 302
    batch = StockBatch.objects.get(stock_record=record)
    assert (batch.batch_number, batch.on_hand, str(batch.expiry_date)) == ("LOT-9", 12, "2027-05-01")
    # a count taken from that batch
    assert operator_client.post(url, {"action": "adjust", "quantity": "-2", "batch": str(batch.pk)}).status_code == 302
    batch.refresh_from_db()
    assert batch.on_hand == 10
    page = operator_client.get(reverse("admin:inventory_stockrecord_change", args=[record.pk])).content.decode()
    assert "LOT-9" in page and "2027" in page
