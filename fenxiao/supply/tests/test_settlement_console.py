"""Finance's console pages for supplier statements and payout batches."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.supply.models import SupplierPayoutBatch, SupplierStatement
from fenxiao.supply.settlement import payouts, services

from .test_settlement import at, completed_line, finance_member, make_supplier, result_csv
from .test_settlement_api import staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed():
    supplier = make_supplier()
    completed_line(supplier, completed_at=at(2026, 11, 10), cost=3000, quantity=2)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    statement = SupplierStatement.objects.get()
    services.confirm_statement(statement.pk, supplier, supplier.user)
    return statement


def test_statement_pages_render_with_lines(client, confirmed):
    client.force_login(finance_member())
    listed = client.get("/admin/supply/supplierstatement/")
    assert listed.status_code == 200 and confirmed.number in listed.content.decode()
    page = client.get(f"/admin/supply/supplierstatement/{confirmed.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "¥60.00" in body and confirmed.lines.get().order_number in body


def test_finance_creates_exports_and_imports_a_batch_in_the_console(client, confirmed):
    maker, checker = finance_member(), finance_member()
    client.force_login(maker)
    assert "新建供应商打款批次" in client.get("/admin/supply/supplierpayoutbatch/").content.decode()
    form = client.get("/admin/supply/supplierpayoutbatch/create/")
    assert form.status_code == 200 and confirmed.number in form.content.decode()
    created = client.post("/admin/supply/supplierpayoutbatch/create/")
    batch = SupplierPayoutBatch.objects.get()
    assert created.status_code == 302 and created["Location"].endswith(f"/{batch.pk}/change/")
    assert client.get(f"/admin/supply/supplierpayoutbatch/{batch.pk}/change/").status_code == 200

    # not approved yet: back to the batch with the reason
    refused = client.get(f"/admin/supply/supplierpayoutbatch/{batch.pk}/export/")
    assert refused.status_code == 302
    approvals.approve(request_id=ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL).pk, actor=checker)
    client.force_login(checker)
    exported = client.get(f"/admin/supply/supplierpayoutbatch/{batch.pk}/export/")
    assert exported.status_code == 200
    rows = list(load_workbook(io.BytesIO(exported.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][1] == confirmed.number

    assert client.get(f"/admin/supply/supplierpayoutbatch/{batch.pk}/import/").status_code == 200
    upload = SimpleUploadedFile("r.csv", result_csv([(confirmed.number, "成功", "")]), content_type="text/csv")
    imported = client.post(f"/admin/supply/supplierpayoutbatch/{batch.pk}/import/", {"file": upload})
    assert imported.status_code == 200 and "新处理 1 笔" in imported.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.status == SupplierStatement.Status.PAID


@pytest.mark.parametrize("group", ["运营", "客服", "供应链"])
def test_other_groups_cannot_make_or_export_batches(client, confirmed, group):
    client.force_login(staff_of(group))
    assert client.get("/admin/supply/supplierpayoutbatch/create/").status_code == 403
    assert client.post("/admin/supply/supplierpayoutbatch/create/").status_code == 403
    assert SupplierPayoutBatch.objects.count() == 0
