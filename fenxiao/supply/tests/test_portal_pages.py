"""The supplier's phone pages and the console's list of shipment exceptions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fenxiao.accounts.services import ensure_staff_groups
from fenxiao.orders.models import Shipment
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.models import ShipmentException
from fenxiao.supply.portal import services
from fenxiao.supply.tests.portal_world import carrier, make_supplier, ship, supplier_order, supplier_sku, tracking_number
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "supplier_home",
    "supplier_shipments",
    "supplier_returns",
    "supplier_stock",
    "supplier_exceptions",
    "supplier_shipment_import",
]


@pytest.fixture
def supplier():
    return make_supplier()


@pytest.mark.parametrize("name", PAGES)
def test_pages_need_a_supplier(client, name):
    url = reverse(f"web:{name}")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 403
    assert "仅限合作中的供应商使用" in response.content.decode()
    client.force_login(make_supplier(status=Supplier.Status.APPLIED).user)
    assert "正在审核中" in client.get(url).content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_for_a_supplier(client, supplier, name):
    sku = supplier_sku(supplier)
    supplier_order(supplier, sku)
    client.force_login(supplier.user)
    assert client.get(reverse(f"web:{name}")).status_code == 200


@pytest.mark.parametrize("status", ["to_ship", "shipped", "received", "completed", "cancelled"])
def test_shipment_pages_for_each_status(client, supplier, status):
    sku = supplier_sku(supplier)
    order, shipment = supplier_order(supplier, sku)
    Shipment.objects.filter(pk=shipment.pk).update(status=status)
    client.force_login(supplier.user)
    listed = client.get(reverse("web:supplier_shipments"), {"tab": status}).content.decode()
    assert order.number in listed
    detail = client.get(reverse("web:supplier_shipment", args=[shipment.pk])).content.decode()
    assert order.number in detail
    if status == "to_ship":
        assert "13812345678" in detail and "文三路" in detail and 'name="tracking_number"' in detail
    else:
        assert "13812345678" not in detail and "文三路" not in detail and 'name="tracking_number"' not in detail


def test_another_suppliers_shipment_page_is_not_found(client, supplier):
    other = make_supplier()
    _order, shipment = supplier_order(other, supplier_sku(other))
    client.force_login(supplier.user)
    assert client.get(reverse("web:supplier_shipment", args=[shipment.pk])).status_code == 404
    response = client.post(
        reverse("web:supplier_shipment_ship", args=[shipment.pk]), {"carrier": "zhongtong", "tracking_number": tracking_number()}
    )
    assert response.status_code == 404
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.TO_SHIP


def test_ship_from_the_page_and_report_an_exception(client, supplier):
    sku = supplier_sku(supplier)
    _o1, first = supplier_order(supplier, sku)
    _o2, second = supplier_order(supplier, sku)
    carrier()
    client.force_login(supplier.user)
    number = tracking_number()
    response = client.post(
        reverse("web:supplier_shipment_ship", args=[first.pk]), {"carrier": "zhongtong", "tracking_number": number}
    )
    assert response.status_code == 302
    assert Shipment.objects.get(pk=first.pk).tracking_number == number
    bad = client.post(
        reverse("web:supplier_shipment_ship", args=[second.pk]), {"carrier": "zhongtong", "tracking_number": "x"}, follow=True
    )
    assert "快递单号格式不正确" in bad.content.decode()
    client.post(reverse("web:supplier_shipment_exception", args=[second.pk]), {"kind": "address", "note": "门牌号缺失"})
    assert ShipmentException.objects.get().note == "门牌号缺失"
    home = client.get(reverse("web:supplier_home")).content.decode()
    assert 'id="count-exceptions"' in home


def test_import_page_shows_each_row(client, supplier):
    sku = supplier_sku(supplier)
    order, _shipment = supplier_order(supplier, sku)
    carrier()
    client.force_login(supplier.user)
    text = f"订单号,快递公司,快递单号\n{order.number},中通快递,{tracking_number()}\nNOPE,zhongtong,{tracking_number()}\n"
    upload = SimpleUploadedFile("t.csv", text.encode())
    page = client.post(reverse("web:supplier_shipment_import"), {"file": upload}).content.decode()
    assert "已发货 1，此前已发货 0，未发货 1" in page
    assert "发货单不存在" in page


def test_console_lists_open_exceptions_and_resolves_them(client, supplier):
    ensure_staff_groups()
    sku = supplier_sku(supplier)
    _order, shipment = supplier_order(supplier, sku)
    exception = services.report_exception(
        supplier=supplier, shipment_id=shipment.pk, actor=supplier.user, kind="out_of_stock", note="缺货"
    )
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="供应链"))
    client.force_login(staff)
    listing = client.get("/admin/supply/shipmentexception/")
    assert listing.status_code == 200
    assert "待处理 1 条" in listing.content.decode()
    form = client.post("/admin/supply/shipmentexception/", {"action": "resolve", "_selected_action": [exception.pk]})
    assert form.status_code == 200 and "处理发货异常" in form.content.decode()
    done = client.post(
        "/admin/supply/shipmentexception/",
        {"action": "resolve", "_selected_action": [exception.pk], "apply": "1", "resolution": "已补货，明日发出"},
    )
    assert done.status_code == 302
    exception.refresh_from_db()
    assert exception.status == "resolved" and exception.resolved_by_id == staff.pk
    client.force_login(supplier.user)
    assert "已补货，明日发出" in client.get(reverse("web:supplier_exceptions")).content.decode()


def test_operations_staff_cannot_resolve(client, supplier):
    ensure_staff_groups()
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="财务"))
    client.force_login(staff)
    assert client.get("/admin/supply/shipmentexception/").status_code == 403


def test_shipped_status_page_hides_the_form(client, supplier):
    sku = supplier_sku(supplier)
    _order, shipment = supplier_order(supplier, sku)
    carrier()
    ship(supplier, shipment)
    client.force_login(supplier.user)
    page = client.get(reverse("web:supplier_shipment", args=[shipment.pk])).content.decode()
    assert "138****5678" in page
