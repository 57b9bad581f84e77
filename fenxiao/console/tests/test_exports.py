"""Excel exports of the console lists: the file holds exactly the list the operator saw (filters,
search, ordering), money as yuan numbers with a ¥ format, labels, local times; only staff with the
export permission and the list's view permission may start one, and only they download it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from fenxiao.console.jobs import exports, services
from fenxiao.console.models import BackgroundJob
from fenxiao.orders.models import Order
from tests.factories import (
    DistributorFactory,
    OrderRecordFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ORDERS_URL = "/admin/orders/order/"


@pytest.fixture(autouse=True)
def queue_mode(settings):
    settings.FENXIAO_CONSOLE_JOBS = "queue"


def staff(*perms: str, **fields):
    user = StaffFactory(is_superuser=False, **fields)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return type(user).objects.get(pk=user.pk)


def exporter():
    return staff("console.run_exports", "orders.view_order")


def run_last_job() -> BackgroundJob:
    job = BackgroundJob.objects.latest("pk")
    services.run(job.pk)
    job.refresh_from_db()
    return job


def sheet_rows(job: BackgroundJob) -> list[tuple]:
    with job.result_file.open("rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def sheet_cells(job: BackgroundJob):
    with job.result_file.open("rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    return book.worksheets[0]


@pytest.fixture
def orders():
    sku = SkuFactory()
    paid_early = OrderRecordFactory(
        number="FX0001",
        status=Order.Status.PAID,
        province="浙江省",
        paid_at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC),  # 2026-03-02 00:30 in Shanghai
        lines=[{"sku": sku, "quantity": 2, "unit_price_fen": 12345, "product_name": "青花瓷杯"}],
        shipping_fen=0,
    )
    paid_late = OrderRecordFactory(
        number="FX0002",
        status=Order.Status.PAID,
        province="江苏省",
        paid_at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
        lines=[{"sku": sku, "quantity": 1, "unit_price_fen": 99, "product_name": "茶巾"}],
        shipping_fen=1000,
    )
    completed = OrderRecordFactory(number="FX0003", status=Order.Status.COMPLETED, province="浙江省", goods_fen=5000)
    return paid_early, paid_late, completed


def test_the_orders_export_holds_the_filtered_list_with_yuan_labels_and_local_times(client, orders):
    paid_early, paid_late, _completed = orders
    user = exporter()
    client.force_login(user)
    response = client.post(reverse("console:export", args=["orders"]), {"query": "status__exact=paid&o=-1&p=3"})
    job = BackgroundJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:job", args=[job.pk])
    assert job.kind == "export.orders" and job.requested_by == user
    assert job.params["query"] == "status__exact=paid&o=-1"  # paging is not part of the list

    job = run_last_job()
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    assert (job.done, job.total) == (2, 2)
    rows = sheet_rows(job)
    header = rows[0]
    assert header[:2] == ("订单号", "状态")
    assert [str(column.header) for column in exports.LISTS["orders"].columns] == list(header)
    col = {name: header.index(name) for name in header}
    # Only the paid ones, in the list's own ordering (o=-1: number descending).
    assert [row[col["订单号"]] for row in rows[1:]] == ["FX0002", "FX0001"]
    first = rows[2]
    assert first[col["状态"]] == "待发货"  # the label, not "paid"
    assert first[col["实付"]] == pytest.approx(246.90)
    assert first[col["商品"]] == "青花瓷杯 ×2"
    local = datetime(2026, 3, 2, 0, 30, tzinfo=UTC).replace(tzinfo=None)
    assert first[col["支付时间"]] == local  # 16:30 UTC is 00:30 the next day in Asia/Shanghai; Excel has no zones
    assert rows[1][col["实付"]] == pytest.approx(10.99)
    cells = sheet_cells(job)
    money_cell = cells.cell(row=3, column=col["实付"] + 1)
    assert money_cell.number_format == exports.MONEY_FORMAT and "¥" in money_cell.number_format
    assert cells.cell(row=3, column=col["支付时间"] + 1).number_format == exports.TIME_FORMAT
    assert cells.cell(row=3, column=col["订单号"] + 1).number_format == "General"


def test_search_and_other_filters_are_respected(orders):
    user = exporter()
    services.start("export.orders", by=user, params={"query": "q=FX0003"})
    assert [row[0] for row in sheet_rows(run_last_job())[1:]] == ["FX0003"]
    services.start("export.orders", by=user, params={"query": "province=浙江省&o=1"})
    assert [row[0] for row in sheet_rows(run_last_job())[1:]] == ["FX0001", "FX0003"]
    services.start("export.orders", by=user, params={"query": ""})
    assert sorted(row[0] for row in sheet_rows(run_last_job())[1:]) == ["FX0001", "FX0002", "FX0003"]


def test_an_invalid_filter_fails_the_job_with_a_message(orders):
    services.start("export.orders", by=exporter(), params={"query": "nonexistent__field=1"})
    job = run_last_job()
    assert job.status == BackgroundJob.Status.FAILED
    assert "筛选条件无效" in job.error and not job.result_file


def test_starting_an_export_needs_the_export_and_the_list_permission(client, orders):
    url = reverse("console:export", args=["orders"])
    for user in (staff("orders.view_order"), staff("console.run_exports")):
        client.force_login(user)
        assert client.post(url, {"query": ""}).status_code == 403
    assert not BackgroundJob.objects.exists()
    client.force_login(exporter())
    assert client.post(reverse("console:export", args=["nothing"]), {"query": ""}).status_code == 404
    assert client.get(url).status_code == 405


def test_an_export_whose_permission_was_taken_away_fails_when_it_runs(orders):
    user = exporter()
    services.start("export.orders", by=user, params={"query": ""})
    user.user_permissions.remove(Permission.objects.get(codename="view_order"))
    job = run_last_job()
    assert job.status == BackgroundJob.Status.FAILED and "权限" in job.error


def test_another_user_cannot_download_the_file(client, orders):
    owner = exporter()
    services.start("export.orders", by=owner, params={"query": ""})
    job = run_last_job()
    download = reverse("console:job_download", args=[job.pk])
    client.force_login(owner)
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(exporter())
    assert client.get(download).status_code == 404
    assert client.get(reverse("console:job", args=[job.pk])).status_code == 404


def test_the_changelist_button_carries_the_current_list(client, orders):
    client.force_login(exporter())
    page = client.get(ORDERS_URL, {"status__exact": "paid", "q": "FX", "p": "1"}).content.decode()
    assert 'id="export-orders"' in page and "导出 Excel" in page
    assert (
        'name="query" value="status__exact=paid&amp;q=FX"' in page or 'name="query" value="q=FX&amp;status__exact=paid"' in page
    )
    client.force_login(staff("orders.view_order"))
    assert 'id="export-orders"' not in client.get(ORDERS_URL).content.decode()


def test_the_staff_groups_may_export():
    for name in ("运营", "财务", "客服", "供应链"):
        assert Group.objects.get(name=name).permissions.filter(codename="run_exports").exists(), name


@pytest.mark.parametrize("key", sorted(exports.LISTS))
def test_every_list_exports_its_declared_columns(key, client):
    spec = exports.LISTS[key]
    distributor = DistributorFactory()
    OrderRecordFactory(distributor=distributor, paid_at=datetime(2026, 3, 1, tzinfo=UTC), goods_fen=1000)
    UserFactory()
    user = StaffFactory()  # a superuser sees and exports every list
    opts = spec.model_class()._meta
    client.force_login(user)
    page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).content.decode()
    assert f'id="export-{key}"' in page
    services.start(spec.kind, by=user, params={"query": ""})
    job = run_last_job()
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    rows = sheet_rows(job)
    assert rows[0] == tuple(str(column.header) for column in spec.columns)
    assert len(rows) - 1 == spec.model_class()._default_manager.count() == job.total


def test_money_is_exact_yuan():
    column = exports.money("x", "amount_fen")

    class Row:
        amount_fen = 1999999999

    assert column.value(Row()) == Decimal("19999999.99")


def test_an_export_runs_as_many_queries_for_ten_rows_as_for_two(tmp_path):
    """Related rows are joined or fetched once per chunk: no query per row, whatever the list."""
    user = StaffFactory()  # sees every list
    sku = SkuFactory()

    def add_orders(n: int) -> None:
        for _ in range(n):
            OrderRecordFactory(
                distributor=DistributorFactory(inviter=DistributorFactory()),
                status=Order.Status.PAID,
                paid_at=datetime(2026, 3, 1, tzinfo=UTC),
                lines=[{"sku": sku, "product_name": "青花瓷杯"}, {"sku": sku, "quantity": 2, "product_name": "茶巾"}],
            )

    def export(key: str) -> tuple[int, int]:
        spec = exports.LISTS[key]
        with CaptureQueriesContext(connection) as queries:
            rows = exports.rows_for(spec, user, "").iterator(chunk_size=exports.CHUNK_ROWS)
            count = exports.write_workbook(spec, rows, tmp_path / f"{key}.xlsx")
        return count, len(queries)

    add_orders(2)
    few = {key: export(key) for key in ("orders", "distributors", "customers")}
    add_orders(8)
    many = {key: export(key) for key in few}
    for key in few:
        assert many[key][0] > few[key][0], key
        assert many[key][1] == few[key][1], key


def test_text_that_looks_like_a_formula_is_written_as_text(orders):
    Order.objects.filter(number="FX0001").update(note='=HYPERLINK("http://x")')
    services.start("export.orders", by=exporter(), params={"query": "q=FX0001"})
    sheet = sheet_cells(run_last_job())
    note = sheet.cell(row=2, column=[str(c.header) for c in exports.LISTS["orders"].columns].index("买家留言") + 1)
    assert note.value == '=HYPERLINK("http://x")' and note.data_type == "s"
