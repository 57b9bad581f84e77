"""The scorecard through its API (operator list and trend, the supplier's own), the console page and
the supplier's page; and the monthly job through the jobs table and the management command."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from fenxiao.accounts.services import ensure_staff_groups, issue_token
from fenxiao.common.periods import local_midnight, parse_month
from fenxiao.jobs.schedule import job_named
from fenxiao.orders.models import Order, Shipment
from fenxiao.suppliers.models import Supplier, SupplierEvent, supplier_location
from fenxiao.suppliers.services import create_supplier
from tests.factories import OrderRecordFactory, UserFactory, clock

pytestmark = pytest.mark.django_db

# Mid-month, so that every shipment below falls in the month whatever day the tests run.
NOW = local_midnight(parse_month("2026-11")) + timedelta(days=14, hours=12)


@pytest.fixture(autouse=True)
def _frozen():
    with clock(NOW):
        yield


def shipment(supplier, *, paid_at, shipped_after_hours, refunded_fen=0):
    shipped_at = None if shipped_after_hours is None else paid_at + timedelta(hours=shipped_after_hours)
    order = OrderRecordFactory(
        status=Order.Status.SHIPPED if shipped_at else Order.Status.PAID,
        paid_at=paid_at,
        completed_at=None,
        shipping_fen=0,
        lines=[{"unit_price_fen": 10000, "refunded_fen": refunded_fen}],
    )
    s = Shipment.objects.create(
        order=order,
        route=supplier_location(supplier.pk) if supplier else "main",
        supplier=supplier,
        status=Shipment.Status.SHIPPED if shipped_at else Shipment.Status.TO_SHIP,
        ship_by=paid_at + timedelta(hours=48),
        shipped_at=shipped_at,
    )
    order.lines.update(shipment=s)
    return s


@pytest.fixture
def world():
    ensure_staff_groups()
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="供应链"))
    now = timezone.now()
    good = create_supplier(name="好供应商", user=UserFactory())
    late = create_supplier(name="慢供应商", user=UserFactory())
    shipment(good, paid_at=now - timedelta(hours=30), shipped_after_hours=3)
    overdue = shipment(late, paid_at=now - timedelta(hours=60), shipped_after_hours=None, refunded_fen=1000)
    return {"staff": staff, "good": good, "late": late, "overdue": overdue}


def _h(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def test_operator_list_sorted_and_flagged(client, world):
    response = client.get("/api/v1/operator/supplier-scorecards", headers=_h(world["staff"]))
    assert response.status_code == 200, response.content
    rows = response.json()["rows"]
    assert rows[0]["supplier_name"] == "慢供应商"  # 0% on time comes first
    late = rows[0]
    assert late["overdue"] == 1 and late["figures"]["on_time_bp"] == 0 and late["figures"]["refund_bp"] == 1000
    assert late["figures"]["verdict"] == "warn" and late["figures"]["complaints"] is None
    names = [
        r["supplier_name"]
        for r in client.get("/api/v1/operator/supplier-scorecards?sort=name", headers=_h(world["staff"])).json()["rows"]
    ]
    assert names[0] == "平台仓" and set(names) == {"平台仓", "好供应商", "慢供应商"}
    bad = client.get("/api/v1/operator/supplier-scorecards?month=2026-1", headers=_h(world["staff"]))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_month"


def test_operator_trend_and_missing_supplier(client, world):
    response = client.get(f"/api/v1/operator/supplier-scorecards/{world['late'].pk}", headers=_h(world["staff"]))
    assert response.status_code == 200
    data = response.json()
    assert len(data["months"]) == 6 and data["overdue"] == 1
    missing = client.get("/api/v1/operator/supplier-scorecards/987654", headers=_h(world["staff"]))
    assert missing.status_code == 404 and missing.json()["code"] == "supplier_not_found"


def test_supplier_sees_only_its_own(client, world):
    mine = client.get("/api/v1/supplier/scorecard", headers=_h(world["good"].user))
    assert mine.status_code == 200
    assert mine.json()["supplier_id"] == world["good"].pk and mine.json()["overdue"] == 0
    assert mine.json()["months"][-1]["on_time_bp"] in (None, 10000)
    assert client.get("/api/v1/supplier/scorecard", headers=_h(UserFactory())).status_code == 403


def test_console_page_highlights_and_lists_overdue(client, world):
    client.force_login(world["staff"])
    page = client.get("/admin/console/suppliers/scorecard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "慢供应商" in html and world["overdue"].order.number in html and 'class="warn"' in html
    trend = client.get(f"/admin/console/suppliers/scorecard/{world['late'].pk}/")
    assert trend.status_code == 200 and world["overdue"].order.number in trend.content.decode()
    assert client.get("/admin/console/suppliers/scorecard/platform/").status_code == 200
    assert client.get("/admin/console/suppliers/scorecard/987654/").status_code == 404
    finance = UserFactory(is_staff=True)
    finance.groups.add(Group.objects.get(name="财务"))
    client.force_login(finance)
    assert client.get("/admin/console/suppliers/scorecard/").status_code == 403


def test_supplier_page_renders_the_trend(client, world):
    client.force_login(world["late"].user)
    page = client.get("/supplier/scorecard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="scorecard-data"' in html and "echarts.min.js" in html
    assert 'id="overdue-count">1<' in html and world["overdue"].order.number in html
    client.force_login(UserFactory())
    assert client.get("/supplier/scorecard/").status_code == 403


def test_the_monthly_job_and_the_command(world):
    job = job_named("supply.evaluate_suppliers")
    assert job.arguments("2026-11") == {"month": "2026-11"}
    result = job.task.call(month="2026-10")
    assert result == {"suppliers_evaluated": 0, "suppliers_warned": 0, "suppliers_suspended": 0, "suppliers_skipped": 0}
    # the current month, judged by hand: the slow supplier gets a warning, once
    this_month = "2026-11"
    call_command("evaluate_suppliers", "--month", this_month)
    call_command("evaluate_suppliers", "--month", this_month)
    assert SupplierEvent.objects.filter(supplier=world["late"], note__contains=f"[{this_month}]").count() == 1
    assert Supplier.objects.get(pk=world["late"].pk).status == Supplier.Status.APPROVED
    json.dumps(result)  # a task result must be JSON
