"""Batch shipping by file: reading the file, the preview's per-row checks, applying the valid rows only
when asked, applying twice, who may do it; and the packing list."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from fenxiao.common.errors import DomainError
from fenxiao.console.jobs import services as jobs
from fenxiao.console.models import BackgroundJob
from fenxiao.console.shipping import imports
from fenxiao.orders.models import Order, OrderEvent
from fenxiao.orders.services import cancel_order
from tests.factories import OrderFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = ["订单号", "快递公司", "快递单号"]


def staff_in(group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return type(user).objects.get(pk=user.pk)


def csv_bytes(rows, header=HEADER):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows, header=HEADER):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.fixture
def sku(db):
    return SkuFactory(stock=100)


@pytest.fixture
def paid_orders(sku):
    return [OrderFactory(paid=True, items=[(sku, 1)]) for _ in range(3)]


@pytest.fixture
def shipper(client):
    user = staff_in("供应链")
    client.force_login(user)
    return user


def by_row(preview):
    return {row.row: row for row in preview.rows}


# --- reading the file -------------------------------------------------------------------------


def test_csv_and_xlsx_read_the_same_rows(paid_orders):
    rows = [[o.number, "顺丰速运", f"SF{i}"] for i, o in enumerate(paid_orders)]
    for name, content in (("a.csv", csv_bytes(rows)), ("a.xlsx", xlsx_bytes(rows))):
        parsed = imports.parse_rows(name, content)
        assert [(r.row, r.number, r.company, r.tracking) for r in parsed] == [
            (i + 2, o.number, "顺丰速运", f"SF{i}") for i, o in enumerate(paid_orders)
        ]


def test_columns_may_come_in_any_order_and_blank_rows_are_skipped(paid_orders):
    content = csv_bytes([["SF1", paid_orders[0].number, "中通"], ["", "", ""]], header=["快递单号", "订单号", "快递公司"])
    (row,) = imports.parse_rows("a.csv", content)
    assert (row.number, row.company, row.tracking) == (paid_orders[0].number, "中通", "SF1")


@pytest.mark.parametrize(
    "header, missing",
    [
        (["订单号", "快递公司"], "快递单号"),
        (["订单编号", "快递公司", "快递单号"], "订单号"),
        (["order", "company", "no"], "订单号、快递公司、快递单号"),
    ],
)
def test_wrong_columns_refuse_the_file_naming_the_missing_one(header, missing):
    for name, content in (("a.csv", csv_bytes([["1", "2", "3"]], header)), ("a.xlsx", xlsx_bytes([["1", "2", "3"]], header))):
        with pytest.raises(DomainError) as caught:
            imports.parse_rows(name, content)
        assert f"缺少列：{missing}" in caught.value.message


def test_old_excel_and_empty_files_are_refused():
    with pytest.raises(DomainError, match="xls"):
        imports.parse_rows("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(DomainError, match="空"):
        imports.parse_rows("a.csv", b"")


# --- the preview --------------------------------------------------------------------------------


def test_preview_checks_every_row_per_field(sku, paid_orders):
    unpaid = OrderFactory(items=[(sku, 1)])
    cancelled = OrderFactory(paid=True, items=[(sku, 1)])
    cancel_order(order_id=cancelled.pk, actor=StaffFactory(), as_buyer=False)
    shipped_other = OrderFactory(shipped=True, items=[(sku, 1)])  # shipped with 顺丰速运 SF1234567890
    shipped_same = OrderFactory(shipped=True, items=[(sku, 1)])
    rows = [
        [paid_orders[0].number, "顺丰速运", "SF100"],  # row 2: ready
        ["NO-SUCH-ORDER", "顺丰速运", "SF101"],  # 3: unknown
        [unpaid.number, "顺丰速运", "SF102"],  # 4: not paid
        [cancelled.number, "顺丰速运", "SF103"],  # 5: cancelled
        [paid_orders[1].number, "顺丰速运", ""],  # 6: empty tracking
        [paid_orders[2].number, "顺丰速运", "SF104"],  # 7: duplicate with 8
        [paid_orders[2].number, "中通快递", "ZT105"],  # 8
        [shipped_other.number, "中通快递", "ZT106"],  # 9: shipped with another number
        [shipped_same.number, "顺丰速运", "SF1234567890"],  # 10: already done
        ["", "顺丰速运", "SF107"],  # 11: no order number
    ]
    preview = imports.check_rows(imports.parse_rows("a.csv", csv_bytes(rows)))
    rows = by_row(preview)
    assert rows[2].state == imports.READY and rows[2].errors == []
    assert rows[3].errors == [("订单号", "订单 NO-SUCH-ORDER 不存在")]
    assert rows[4].errors[0][0] == "订单号" and "待付款" in rows[4].errors[0][1]
    assert rows[5].errors[0][0] == "订单号" and "已取消" in rows[5].errors[0][1]
    assert rows[6].errors == [("快递单号", "快递单号为空")]
    assert rows[7].errors == rows[8].errors == [("订单号", "订单号在文件中重复（第 7、8 行）")]
    assert rows[9].errors[0][0] == "快递单号" and "SF1234567890" in rows[9].errors[0][1]
    assert rows[10].state == imports.DONE and rows[10].errors == []
    assert rows[11].errors == [("订单号", "订单号为空")]
    assert (preview.ready, preview.done, preview.errors) == (1, 1, 8)
    assert not Order.objects.filter(status=Order.Status.SHIPPED).exclude(pk__in=[shipped_other.pk, shipped_same.pk]).exists()


def test_upload_shows_the_preview_with_errors_per_row_and_ships_nothing(client, shipper, paid_orders):
    content = csv_bytes([[paid_orders[0].number, "顺丰速运", "SF1"], ["NOPE", "顺丰速运", "SF2"]])
    response = client.post(reverse("console:ship_import"), {"file": upload("ship.csv", content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-row="3"' in page and 'data-field="订单号"' in page and "订单 NOPE 不存在" in page
    assert 'id="apply-valid"' in page and 'id="apply-all"' not in page
    assert response.context["preview"].ready == 1
    assert not Order.objects.filter(status=Order.Status.SHIPPED).exists()


def test_upload_with_wrong_columns_names_the_missing_one(client, shipper):
    content = csv_bytes([["1", "2"]], header=["订单号", "快递公司"])
    response = client.post(reverse("console:ship_import"), {"file": upload("ship.csv", content)})
    assert response.status_code == 200
    assert "缺少列：快递单号" in response.content.decode()
    assert "preview" not in response.context or not response.context.get("preview")


# --- applying -----------------------------------------------------------------------------------


def _preview_payload(client, content, name="ship.csv"):
    response = client.post(reverse("console:ship_import"), {"file": upload(name, content)})
    return response.context["payload"]


def _apply(client, payload, valid_only):
    return client.post(reverse("console:ship_import_apply"), {"payload": payload, "valid_only": "1" if valid_only else "0"})


def test_a_file_with_errors_applies_nothing_unless_the_valid_rows_are_chosen(client, shipper, paid_orders):
    content = csv_bytes([[paid_orders[0].number, "顺丰速运", "SF1"], ["NOPE", "顺丰速运", "SF2"]])
    payload = _preview_payload(client, content)
    response = _apply(client, payload, valid_only=False)
    assert response.status_code == 200 and "未发货任何订单" in response.content.decode()
    assert not BackgroundJob.objects.exists()
    with pytest.raises(DomainError, match="未发货任何订单"):
        imports.apply_rows(imports.parse_rows("a.csv", content), actor=shipper)
    assert not Order.objects.filter(status=Order.Status.SHIPPED).exists()

    response = _apply(client, payload, valid_only=True)
    job = BackgroundJob.objects.get()
    assert response.status_code == 302 and job.kind == "orders.ship_import" and job.requested_by == shipper
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    assert job.summary["本次发货"] == 1 and job.summary["错误行（未处理）"] == 1
    assert "第 3 行 NOPE：订单号：订单 NOPE 不存在" in job.summary["未发货的行"]
    assert (job.done, job.total) == (1, 1)
    shipped = Order.objects.get(pk=paid_orders[0].pk)
    assert (shipped.status, shipped.tracking_company, shipped.tracking_number) == ("shipped", "顺丰速运", "SF1")
    event = OrderEvent.objects.get(order=shipped, to_status="shipped")
    assert event.actor_id == shipper.pk
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 1


def test_applying_the_same_file_twice_ships_each_order_once(client, shipper, paid_orders):
    content = xlsx_bytes([[o.number, "顺丰速运", f"SF{i}"] for i, o in enumerate(paid_orders)])
    for _ in range(2):
        _apply(client, _preview_payload(client, content, "ship.xlsx"), valid_only=False)
        jobs.run(BackgroundJob.objects.order_by("-pk").first().pk)
    first, second = BackgroundJob.objects.order_by("pk")
    assert (first.summary["本次发货"], first.summary["已发货（跳过）"]) == (3, 0)
    assert (second.summary["本次发货"], second.summary["已发货（跳过）"]) == (0, 3)
    assert OrderEvent.objects.filter(order__in=paid_orders, to_status="shipped").count() == 3
    # the second preview already said so
    response = client.post(reverse("console:ship_import"), {"file": upload("ship.xlsx", content)})
    assert response.context["preview"].done == 3 and 'id="apply-all"' not in response.content.decode()


def test_an_order_shipped_between_preview_and_apply_is_checked_again(client, shipper, paid_orders):
    payload = _preview_payload(client, csv_bytes([[paid_orders[0].number, "顺丰速运", "SF1"]]))
    from fenxiao.orders.services import ship_order

    ship_order(order_id=paid_orders[0].pk, actor=StaffFactory(), tracking_company="中通快递", tracking_number="ZT9")
    response = _apply(client, payload, valid_only=False)
    assert response.status_code == 200 and "未发货任何订单" in response.content.decode()
    assert Order.objects.get(pk=paid_orders[0].pk).tracking_number == "ZT9"


def test_a_tampered_payload_is_refused(client, shipper, paid_orders):
    payload = _preview_payload(client, csv_bytes([[paid_orders[0].number, "顺丰速运", "SF1"]]))
    response = _apply(client, payload[:-2] + "xx", valid_only=False)
    assert "预览已过期或无效" in response.content.decode()
    assert not BackgroundJob.objects.exists()


def test_the_template_has_the_three_columns(client, shipper):
    response = client.get(reverse("console:ship_template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == HEADER
    assert imports.parse_rows("t.xlsx", response.content)[0].company


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("group, allowed", [("供应链", True), ("运营", False), ("财务", False), ("客服", False)])
def test_only_the_shipping_group_may_import(client, group, allowed, paid_orders):
    client.force_login(staff_in(group))
    expected = 200 if allowed else 403
    assert client.get(reverse("console:ship_import")).status_code == expected
    assert client.get(reverse("console:ship_template")).status_code == expected
    content = csv_bytes([[paid_orders[0].number, "顺丰速运", "SF1"]])
    assert client.post(reverse("console:ship_import"), {"file": upload("a.csv", content)}).status_code == expected
    assert client.post(reverse("console:ship_import_apply"), {"payload": "x"}).status_code == expected
    assert not Order.objects.filter(status=Order.Status.SHIPPED).exists()


def test_a_customer_is_sent_to_the_login(client):
    client.force_login(UserFactory())
    response = client.get(reverse("console:ship_import"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- packing list -------------------------------------------------------------------------------


def test_packing_list_shows_full_address_phone_and_lines(client, sku, paid_orders):
    other = SkuFactory(stock=10)
    big = OrderFactory(paid=True, items=[(sku, 2), (other, 3)])
    client.force_login(staff_in("供应链"))
    response = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "packing_list", "_selected_action": [big.pk, paid_orders[0].pk]},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    slips = page.context["orders"]
    assert [o.number for o in slips] == sorted([big.number, paid_orders[0].number])
    assert "13812345678" in html and "王小明" in html and big.address_detail in html and big.province in html
    assert f'<td class="sku">{sku.code}</td>' in html and f'<td class="sku">{other.code}</td>' in html
    assert '<td class="qty">2</td>' in html and '<td class="qty">3</td>' in html
    assert paid_orders[1].number not in html


def test_packing_list_needs_order_view_and_valid_ids(client, paid_orders):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("console:packing_list"), {"ids": paid_orders[0].pk}).status_code == 403
    client.force_login(staff_in("客服"))
    assert client.get(reverse("console:packing_list"), {"ids": "1,x"}).status_code == 400
    assert client.get(reverse("console:packing_list"), {"ids": str(paid_orders[0].pk)}).status_code == 200


@pytest.mark.parametrize("group, shown", [("供应链", True), ("运营", False)])
def test_the_order_list_links_to_batch_shipping_for_the_shipping_group(client, group, shown):
    client.force_login(staff_in(group))
    page = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert ('id="ship-import-link"' in page) is shown
