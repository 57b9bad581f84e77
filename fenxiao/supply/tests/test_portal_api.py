"""The supplier portal's API: who may use it, isolation between suppliers, what a supplier sees of the
buyer at each status, shipping one by one and by file, exceptions, returns, stock and cost prices."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fenxiao.inventory.models import StockBatch, StockRecord
from fenxiao.orders.models import Shipment
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.models import ShipmentException
from fenxiao.supply.portal import services
from fenxiao.supply.tests.portal_world import (
    carrier,
    make_supplier,
    returned_aftersale,
    ship,
    supplier_order,
    supplier_sku,
    tracking_number,
)
from tests.factories import DistributorFactory, OrderFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/supplier"
# Keys that would reveal what the buyer paid, the discounts, the commission or the distributor.
FORBIDDEN_KEYS = {
    "unit_price_fen",
    "line_total_fen",
    "discount_fen",
    "paid_fen",
    "refunded_fen",
    "total_fen",
    "goods_fen",
    "shipping_fen",
    "amount_fen",
    "price_breakdown",
    "commission",
    "commission_fen",
    "distributor",
    "distributor_id",
    "unit_cost_fen",
}


def keys_of(data) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            found.add(key)
            found |= keys_of(value)
    elif isinstance(data, list):
        for value in data:
            found |= keys_of(value)
    return found


@pytest.fixture
def supplier_a():
    return make_supplier()


@pytest.fixture
def supplier_b():
    return make_supplier()


@pytest.fixture
def as_supplier(client):
    def login(supplier):
        client.force_login(supplier.user)
        return client

    return login


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


# --- who may use it ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["consumer", "distributor", "staff", "applied", "rejected"])
def test_anyone_but_a_supplier_is_refused(client, who):
    if who == "consumer":
        user = UserFactory()
    elif who == "distributor":
        user = DistributorFactory().user
    elif who == "staff":
        user = StaffFactory()
    else:
        user = make_supplier(status=who).user
    client.force_login(user)
    for url in (f"{API}/profile", f"{API}/shipments", f"{API}/stock", f"{API}/returns"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "not_supplier"


def test_anonymous_is_asked_to_sign_in(client):
    assert client.get(f"{API}/shipments").status_code == 401


def test_a_suspended_supplier_still_reads_its_shipments(as_supplier):
    supplier = make_supplier()
    sku = supplier_sku(supplier)
    _order, shipment = supplier_order(supplier, sku)
    Supplier.objects.filter(pk=supplier.pk).update(status=Supplier.Status.SUSPENDED)
    response = as_supplier(supplier).get(f"{API}/shipments")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [shipment.pk]


def test_profile_masks_the_bank_account(as_supplier, supplier_a):
    data = as_supplier(supplier_a).get(f"{API}/profile").json()
    assert data["bank_account_masked"].endswith("4567")
    assert "6222021202041234567" not in json.dumps(data)
    assert "bank_account_number" not in data


# --- isolation -----------------------------------------------------------------------------------


def test_another_suppliers_and_platform_shipments_are_not_found(as_supplier, supplier_a, supplier_b):
    _order_b, shipment_b = supplier_order(supplier_b, supplier_sku(supplier_b))
    platform_order = OrderFactory(paid=True, items=[(SkuFactory(), 1)])
    platform = Shipment.objects.get(order=platform_order)
    client = as_supplier(supplier_a)
    assert client.get(f"{API}/shipments").json()["items"] == []
    for shipment in (shipment_b, platform):
        detail = client.get(f"{API}/shipments/{shipment.pk}")
        assert detail.status_code == 404
        assert detail.json()["code"] == "shipment_not_found"
        shipped = post_json(
            client, f"{API}/shipments/{shipment.pk}/ship", {"carrier": "zhongtong", "tracking_number": "73100000000001"}
        )
        assert shipped.status_code == 404
        reported = post_json(client, f"{API}/shipments/{shipment.pk}/exceptions", {"kind": "other", "note": "看看"})
        assert reported.status_code == 404
    missing = client.get(f"{API}/shipments/987654321")
    assert missing.status_code == 404 and missing.json()["code"] == "shipment_not_found"
    assert Shipment.objects.get(pk=shipment_b.pk).status == Shipment.Status.TO_SHIP
    assert not ShipmentException.objects.exists()


def test_a_mixed_order_shows_each_supplier_only_its_lines(as_supplier, supplier_a, supplier_b):
    sku_a, sku_b = supplier_sku(supplier_a), supplier_sku(supplier_b)
    order = OrderFactory(paid=True, items=[(sku_a, 2), (sku_b, 1), (SkuFactory(), 1)])
    assert order.shipments.count() == 3
    items = as_supplier(supplier_a).get(f"{API}/shipments").json()["items"]
    assert len(items) == 1
    assert [(line["sku_code"], line["quantity"]) for line in items[0]["lines"]] == [(sku_a.code, 2)]


def test_no_price_commission_or_distributor_in_any_answer(as_supplier, supplier_a):
    sku = supplier_sku(supplier_a)
    _order, shipment = supplier_order(supplier_a, sku, user=DistributorFactory().user)
    client = as_supplier(supplier_a)
    answers = [
        client.get(f"{API}/shipments").json(),
        client.get(f"{API}/shipments/{shipment.pk}").json(),
        client.get(f"{API}/summary").json(),
        client.get(f"{API}/returns").json(),
        client.get(f"{API}/returns?state=history").json(),
        client.get(f"{API}/exceptions").json(),
    ]
    for answer in answers:
        assert not (keys_of(answer) & FORBIDDEN_KEYS), keys_of(answer) & FORBIDDEN_KEYS


# --- the buyer's address and phone -----------------------------------------------------------------


def test_full_address_and_phone_only_while_to_ship(as_supplier, supplier_a):
    sku = supplier_sku(supplier_a)
    _order, shipment = supplier_order(supplier_a, sku)
    client = as_supplier(supplier_a)
    receiver = client.get(f"{API}/shipments/{shipment.pk}").json()["receiver"]
    assert receiver["phone"] == "13812345678"
    assert receiver["address"] == "浙江省杭州市西湖区文三路 100 号 3 幢 501"
    assert receiver["name"] == "王小明" and receiver["masked"] is False

    Shipment.objects.filter(pk=shipment.pk).update(status=Shipment.Status.SHIPPED)
    receiver = client.get(f"{API}/shipments/{shipment.pk}").json()["receiver"]
    assert receiver["phone"] == "138****5678"
    assert receiver["address"] == "浙江省杭州市" and receiver["detail"] == "" and receiver["district"] == ""
    assert receiver["name"] == "王小明" and receiver["masked"] is True

    Shipment.objects.filter(pk=shipment.pk).update(status=Shipment.Status.COMPLETED)
    data = client.get(f"{API}/shipments/{shipment.pk}").json()
    assert data["receiver"]["name"] == "王**"
    assert data["receiver"]["phone"] == "138****5678"
    assert "13812345678" not in json.dumps(data) and "文三路" not in json.dumps(data)


def test_filters_overdue_and_search(as_supplier, supplier_a):
    sku = supplier_sku(supplier_a)
    late_order, late = supplier_order(supplier_a, sku)
    _fresh_order, fresh = supplier_order(supplier_a, sku)
    Shipment.objects.filter(pk=late.pk).update(ship_by=timezone.now() - timedelta(hours=1))
    Shipment.objects.filter(pk=fresh.pk).update(ship_by=timezone.now() + timedelta(hours=47))
    client = as_supplier(supplier_a)
    overdue = client.get(f"{API}/shipments?status=overdue").json()
    assert [item["id"] for item in overdue["items"]] == [late.pk] and overdue["items"][0]["overdue"] is True
    assert {item["id"] for item in client.get(f"{API}/shipments?status=to_ship").json()["items"]} == {late.pk, fresh.pk}
    assert client.get(f"{API}/shipments?status=shipped").json()["count"] == 0
    found = client.get(f"{API}/shipments", {"q": late_order.number[-6:]}).json()["items"]
    assert [item["id"] for item in found] == [late.pk]
    summary = client.get(f"{API}/summary").json()
    assert summary["to_ship"] == 2 and summary["overdue"] == 1


def test_list_query_count_does_not_grow_with_the_page(as_supplier, supplier_a, django_assert_max_num_queries):
    sku, other = supplier_sku(supplier_a), supplier_sku(supplier_a)
    client = as_supplier(supplier_a)
    supplier_order(supplier_a, sku, extra=[(other, 1)])
    client.get(f"{API}/shipments")  # session and user are read once per request
    with django_assert_max_num_queries(8) as few:
        client.get(f"{API}/shipments")
    for _ in range(5):
        supplier_order(supplier_a, sku, extra=[(other, 2)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{API}/shipments")
    assert len(response.json()["items"]) == 6


# --- pick list ------------------------------------------------------------------------------------


def test_pick_list_lists_every_line_to_ship(as_supplier, supplier_a):
    from openpyxl import load_workbook

    sku, other = supplier_sku(supplier_a), supplier_sku(supplier_a)
    order, shipment = supplier_order(supplier_a, sku, quantity=2, extra=[(other, 1)])
    second_order, second = supplier_order(supplier_a, sku)
    client = as_supplier(supplier_a)
    response = client.get(f"{API}/shipments/pick-list.xlsx")
    assert response.status_code == 200
    assert f"pick-list-{timezone.localdate():%Y%m%d}.xlsx" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("订单号", "SKU 编码", "商品", "规格", "数量")
    body = {(r[0], r[1], r[4]) for r in rows[1:]}
    assert body == {(order.number, sku.code, "2"), (order.number, other.code, "1"), (second_order.number, sku.code, "1")}
    assert all(r[6] == "13812345678" and "文三路" in r[7] for r in rows[1:])

    chosen = client.get(f"{API}/shipments/pick-list.xlsx", {"ids": [second.pk]})
    rows = list(load_workbook(io.BytesIO(chosen.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [second_order.number]
    assert shipment.pk != second.pk


# --- shipping -------------------------------------------------------------------------------------


def test_ship_one(as_supplier, supplier_a):
    sku = supplier_sku(supplier_a)
    _order, shipment = supplier_order(supplier_a, sku)
    client = as_supplier(supplier_a)
    number = tracking_number()
    carrier()
    url = f"{API}/shipments/{shipment.pk}/ship"
    bad = post_json(client, url, {"carrier": "zhongtong", "tracking_number": "abc"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_tracking_number"
    unknown = post_json(client, url, {"carrier": "nobody", "tracking_number": number})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_carrier"
    response = post_json(client, url, {"carrier": "zhongtong", "tracking_number": number})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "shipped" and data["tracking_number"] == number
    assert data["receiver"]["phone"] == "138****5678"
    again = post_json(client, url, {"carrier": "zhongtong", "tracking_number": number})
    assert again.status_code == 409 and again.json()["code"] == "already_shipped"


def _csv(rows) -> SimpleUploadedFile:
    text = "订单号,快递公司,快递单号\n" + "".join(",".join(row) + "\n" for row in rows)
    return SimpleUploadedFile("tracking.csv", text.encode("utf-8"), content_type="text/csv")


def test_ship_by_file_mixed_rows_and_twice(as_supplier, supplier_a, supplier_b):
    sku = supplier_sku(supplier_a)
    one, _s1 = supplier_order(supplier_a, sku)
    two, s2 = supplier_order(supplier_a, sku)
    three, s3 = supplier_order(supplier_a, sku)
    theirs, _sb = supplier_order(supplier_b, supplier_sku(supplier_b))
    carrier()
    ship(supplier_a, s3, "73999999999999")
    n1, n2 = tracking_number(), tracking_number()
    rows = [
        (one.number, "zhongtong", n1),  # shipped
        (two.number, "中通快递", n2),  # shipped, carrier by name
        (three.number, "zhongtong", "73111111111111"),  # already shipped with another number
        (theirs.number, "zhongtong", tracking_number()),  # another supplier's: not found
        ("NOPE123", "zhongtong", tracking_number()),  # no such order
        (one.number + "X", "顺风", tracking_number()),  # not found
    ]
    client = as_supplier(supplier_a)
    first = client.post(f"{API}/shipments/tracking-import", {"file": _csv(rows)}).json()
    outcomes = [(r["outcome"], r["code"]) for r in first["rows"]]
    assert outcomes == [
        ("shipped", ""),
        ("shipped", ""),
        ("error", "shipment_not_open"),
        ("error", "shipment_not_found"),
        ("error", "shipment_not_found"),
        ("error", "shipment_not_found"),
    ]
    assert (first["shipped"], first["already"], first["errors"]) == (2, 0, 4)
    assert Shipment.objects.get(pk=s2.pk).tracking_number == n2
    assert Shipment.objects.get(order=theirs).status == Shipment.Status.TO_SHIP

    second = client.post(f"{API}/shipments/tracking-import", {"file": _csv(rows)}).json()
    assert [r["outcome"] for r in second["rows"]][:2] == ["already", "already"]
    assert (second["shipped"], second["already"]) == (0, 2)


def test_ship_by_file_bad_carrier_and_number(as_supplier, supplier_a):
    sku = supplier_sku(supplier_a)
    one, _ = supplier_order(supplier_a, sku)
    two, _ = supplier_order(supplier_a, sku)
    carrier()
    rows = [(one.number, "飞鸽传书", tracking_number()), (two.number, "zhongtong", "12")]
    result = as_supplier(supplier_a).post(f"{API}/shipments/tracking-import", {"file": _csv(rows)}).json()
    assert [r["code"] for r in result["rows"]] == ["unknown_carrier", "invalid_tracking_number"]


def test_tracking_file_refused_whole(as_supplier, supplier_a):
    client = as_supplier(supplier_a)
    wrong = SimpleUploadedFile("t.csv", "订单号,单号\n1,2\n".encode(), content_type="text/csv")
    response = client.post(f"{API}/shipments/tracking-import", {"file": wrong})
    assert response.status_code == 400 and response.json()["detail"]["missing"] == ["快递公司", "快递单号"]
    many = "订单号,快递公司,快递单号\n" + "N,zhongtong,1\n" * 2001
    response = client.post(f"{API}/shipments/tracking-import", {"file": SimpleUploadedFile("t.csv", many.encode())})
    assert response.status_code == 400 and response.json()["code"] == "invalid_file"
    big = SimpleUploadedFile("t.csv", b"x" * (2 * 1024 * 1024 + 1))
    assert client.post(f"{API}/shipments/tracking-import", {"file": big}).status_code == 413


# --- exceptions -----------------------------------------------------------------------------------


def test_report_an_exception_then_the_operator_resolves_it(as_supplier, supplier_a):
    sku = supplier_sku(supplier_a)
    _order, shipment = supplier_order(supplier_a, sku)
    client = as_supplier(supplier_a)
    url = f"{API}/shipments/{shipment.pk}/exceptions"
    heard = []
    services.exception_events.register("portal_test", on_reported=heard.append)
    try:
        response = post_json(client, url, {"kind": "out_of_stock", "note": "本批次缺货，预计三天后到"})
    finally:
        services.exception_events.unregister("portal_test")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "open" and len(heard) == 1
    again = post_json(client, url, {"kind": "address", "note": "地址不全"})
    assert again.status_code == 409 and again.json()["code"] == "exception_open"
    bad = post_json(client, url, {"kind": "weather", "note": "x"})
    assert bad.status_code == 422

    exception = ShipmentException.objects.get()
    assert exception.supplier_id == supplier_a.pk and exception.reported_by_id == supplier_a.user_id
    services.resolve_exception(exception_id=exception.pk, actor=StaffFactory(), resolution="已联系买家改为下周发货")
    listed = client.get(f"{API}/exceptions").json()
    assert listed[0]["status"] == "resolved" and listed[0]["resolution"] == "已联系买家改为下周发货"
    with pytest.raises(Exception) as twice:
        services.resolve_exception(exception_id=exception.pk, actor=StaffFactory(), resolution="再次")
    assert getattr(twice.value, "code", "") == "exception_resolved"


def test_no_exception_on_a_shipped_shipment(as_supplier, supplier_a):
    sku = supplier_sku(supplier_a)
    _order, shipment = supplier_order(supplier_a, sku)
    Shipment.objects.filter(pk=shipment.pk).update(status=Shipment.Status.SHIPPED)
    response = post_json(as_supplier(supplier_a), f"{API}/shipments/{shipment.pk}/exceptions", {"kind": "other", "note": "x"})
    assert response.status_code == 409 and response.json()["code"] == "shipment_not_open"


# --- returns --------------------------------------------------------------------------------------


def test_receive_a_return(as_supplier, supplier_a, supplier_b):
    sku = supplier_sku(supplier_a)
    order, shipment = supplier_order(supplier_a, sku)
    aftersale = returned_aftersale(supplier_a, order, shipment)
    order_b, shipment_b = supplier_order(supplier_b, supplier_sku(supplier_b))
    theirs = returned_aftersale(supplier_b, order_b, shipment_b)
    client = as_supplier(supplier_a)
    pending = client.get(f"{API}/returns").json()
    assert [r["id"] for r in pending] == [aftersale.pk] and pending[0]["return_tracking_number"] == "YT1234567890"
    assert client.post(f"{API}/returns/{theirs.pk}/receive").status_code == 404
    response = client.post(f"{API}/returns/{aftersale.pk}/receive")
    assert response.status_code == 200, response.content
    assert response.json()["status"] in ("refunded", "refunding", "awaiting_approval")
    assert client.get(f"{API}/returns").json() == []
    assert [r["id"] for r in client.get(f"{API}/returns?state=history").json()] == [aftersale.pk]


# --- stock ----------------------------------------------------------------------------------------


def test_stock_receipt_adjustment_and_isolation(as_supplier, supplier_a, supplier_b):
    sku = supplier_sku(supplier_a, stock=0)
    theirs = supplier_sku(supplier_b, stock=0)
    platform = SkuFactory()
    client = as_supplier(supplier_a)
    body = {
        "sku_id": sku.pk,
        "quantity": 30,
        "batch_number": "L2026-01",
        "production_date": "2026-11-01",
        "expiry_date": "2027-05-01",
    }
    response = post_json(client, f"{API}/stock/receipts", body)
    assert response.status_code == 201, response.content
    batch = StockBatch.objects.get(stock_record__sku=sku, stock_record__location=supplier_a.location, batch_number="L2026-01")
    assert batch.on_hand == 30 and str(batch.expiry_date) == "2027-05-01"
    for other in (theirs, platform):
        refused = post_json(client, f"{API}/stock/receipts", {**body, "sku_id": other.pk})
        assert refused.status_code == 404 and refused.json()["code"] == "sku_not_found"
    adjusted = post_json(client, f"{API}/stock/adjustments", {"sku_id": sku.pk, "delta": -5, "note": "盘点"})
    assert adjusted.status_code == 200 and adjusted.json()["on_hand"] == 25
    rows = client.get(f"{API}/stock").json()
    assert [row["sku_id"] for row in rows] == [sku.pk]
    assert rows[0]["on_hand"] == 25 and rows[0]["batches"][0]["batch_number"] == "L2026-01"
    assert not StockRecord.objects.filter(sku=theirs, location=supplier_a.location).exists()


def test_stock_file_import_goes_to_its_own_location(as_supplier, supplier_a, monkeypatch):
    called = {}

    def fake_import(*, location, file, actor):
        called.update(location=location, name=file.name, actor=actor)
        return {"received": 1}

    monkeypatch.setattr(services, "import_stock_file", fake_import)
    upload = SimpleUploadedFile("stock.csv", "SKU 编码,数量\nX,1\n".encode(), content_type="text/csv")
    response = as_supplier(supplier_a).post(f"{API}/stock/import", {"file": upload})
    assert response.status_code == 200
    assert called == {"location": supplier_a.location, "name": "stock.csv", "actor": supplier_a.user}


# --- cost prices ----------------------------------------------------------------------------------


def test_cost_change(as_supplier, supplier_a, supplier_b):
    sku = supplier_sku(supplier_a, stock=0)
    theirs = supplier_sku(supplier_b, stock=0)
    client = as_supplier(supplier_a)
    later = (timezone.now() + timedelta(days=3)).isoformat()
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = post_json(client, f"{API}/skus/{sku.pk}/cost-changes", {"cost": "42.50", "effective_at": later})
    assert response.status_code == 201, response.content
    assert response.json()["cost_fen"] == 4250 and response.json()["status"] == "scheduled"
    in_past = post_json(client, f"{API}/skus/{sku.pk}/cost-changes", {"cost": "40", "effective_at": past})
    assert in_past.status_code == 422 and in_past.json()["code"] == "cost_change_in_past"
    bad = post_json(client, f"{API}/skus/{sku.pk}/cost-changes", {"cost": "4.555", "effective_at": later})
    assert bad.status_code == 422
    other = post_json(client, f"{API}/skus/{theirs.pk}/cost-changes", {"cost": "40", "effective_at": later})
    assert other.status_code == 404
    assert [c["cost_fen"] for c in client.get(f"{API}/cost-changes").json()] == [4250]
