"""Console batch pages: 临期批次 with a clearance price, 批次追溯 with a recall that tells 运营."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from fenxiao.growth.models import Notification
from fenxiao.inventory.models import BatchRecall, StockBatch
from fenxiao.inventory.services import receive_stock
from fenxiao.orders.models import ShippedBatch
from fenxiao.promotions.models import TimedDiscount
from tests.factories import OrderRecordFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff_in(*groups):
    user = UserFactory(is_staff=True)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def soon():
    sku = SkuFactory(stock=0, code="MILK-1", retail_fen=5000, suggested_retail_fen=5000, control_fen=1, cost_fen=1)
    receive_stock(sku_id=sku.pk, quantity=8, batch_number="M2601", expiry_date=timezone.localdate() + timedelta(days=4))
    receive_stock(sku_id=sku.pk, quantity=8, batch_number="M2609", expiry_date=timezone.localdate() + timedelta(days=400))
    return StockBatch.objects.get(batch_number="M2601")


def test_near_expiry_page_lists_the_batch_and_clearance_creates_a_discount(client, soon):
    client.force_login(staff_in("供应链", "运营"))
    page = client.get(reverse("console:batches_near_expiry"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "M2601" in html and "M2609" not in html
    assert reverse("console:batches_clearance", args=[soon.pk]) in html

    url = reverse("console:batches_clearance", args=[soon.pk])
    assert client.get(url).status_code == 200
    ends = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    too_high = client.post(url, {"price_fen": "60", "ends_at": ends})
    assert too_high.status_code == 200 and "低于零售价" in too_high.content.decode()
    done = client.post(url, {"price_fen": "29.90", "ends_at": ends})
    assert done.status_code == 302
    discount = TimedDiscount.objects.get()
    assert discount.name == "临期特价 M2601"
    assert discount.items.get().amount_off_fen == 5000 - 2990


def test_near_expiry_pages_need_their_permissions(client, soon):
    client.force_login(staff_in("财务"))
    assert client.get(reverse("console:batches_near_expiry")).status_code == 403
    client.force_login(staff_in("供应链"))  # sees the list, cannot price
    assert client.get(reverse("console:batches_clearance", args=[soon.pk])).status_code == 403


def test_trace_page_and_recall(client, soon):
    operations = staff_in("运营")
    order = OrderRecordFactory(lines=[{"sku": soon.stock_record.sku, "quantity": 2}])
    ShippedBatch.objects.create(line=order.lines.get(), batch=soon, quantity=2, returned=1)
    supply = staff_in("供应链")
    client.force_login(supply)
    page = client.get(reverse("console:batches_trace"), {"batch_number": "m2601"})
    html = page.content.decode()
    assert page.status_code == 200 and order.number in html and 'id="recall-form"' in html
    assert '<td class="trace-returned">1</td>' in html  # one of the two came back

    url = reverse("console:batches_recall", args=[soon.pk])
    assert client.post(url, {"note": " "}).status_code == 302
    assert not BatchRecall.objects.exists()
    assert client.post(url, {"note": "包装漏气"}).status_code == 302
    recall = BatchRecall.objects.get()
    assert (recall.order_count, recall.buyer_count, recall.units, recall.actor) == (1, 1, 2, supply)
    notice = Notification.objects.get(user=operations, kind="batch_recall")
    assert "1 个订单" in notice.body and "包装漏气" in notice.body
    assert "包装漏气" in client.get(reverse("console:batches_trace"), {"batch": soon.pk}).content.decode()


def test_recall_needs_the_permission(client, soon):
    client.force_login(staff_in("财务"))
    assert client.post(reverse("console:batches_recall", args=[soon.pk]), {"note": "x"}).status_code == 403
    assert not BatchRecall.objects.exists()


def test_stock_list_links_to_the_batch_pages(client):
    client.force_login(staff_in("供应链"))
    html = client.get(reverse("admin:inventory_stockrecord_changelist")).content.decode()
    assert reverse("console:batches_near_expiry") in html and reverse("console:batches_trace") in html
