"""Service levels and the scorecard: the overdue rule at its edge, the figures of a hand-built month,
the trend, the thresholds (warn vs suspend), the monthly evaluation run twice, and a query count that
does not grow with the number of suppliers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fenxiao.common import periods
from fenxiao.orders.models import AfterSale, Order, Shipment
from fenxiao.suppliers.models import Supplier, SupplierEvent, supplier_location
from fenxiao.suppliers.services import create_supplier
from fenxiao.supply.scorecard import selectors, services
from tests.factories import OrderRecordFactory, UserFactory

pytestmark = pytest.mark.django_db

NOV = periods.parse_month("2026-11")
NOW = periods.local_midnight(periods.parse_month("2026-12")) + timedelta(days=4)  # 2026-12-05 00:00 local


def local(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=timezone.get_default_timezone())


def make_supplier(name: str) -> Supplier:
    return create_supplier(name=name, user=UserFactory())


def shipment(
    supplier: Supplier | None,
    *,
    paid_at: datetime,
    shipped_after_hours: float | None,
    paid_fen: int = 10000,
    refunded_fen: int = 0,
    ship_within_hours: int = 48,
    cancelled: bool = False,
) -> Shipment:
    """An order paid at `paid_at` with one line, shipped by one route after the given hours (None:
    not shipped)."""
    shipped_at = None if shipped_after_hours is None else paid_at + timedelta(hours=shipped_after_hours)
    order = OrderRecordFactory(
        status=Order.Status.SHIPPED if shipped_at else Order.Status.PAID,
        paid_at=paid_at,
        completed_at=None,
        shipping_fen=0,
        lines=[{"unit_price_fen": paid_fen, "refunded_fen": refunded_fen}],
    )
    if shipped_at:
        status = Shipment.Status.SHIPPED
    else:
        status = Shipment.Status.CANCELLED if cancelled else Shipment.Status.TO_SHIP
    s = Shipment.objects.create(
        order=order,
        route=supplier_location(supplier.pk) if supplier else "main",
        supplier=supplier,
        status=status,
        ship_by=paid_at + timedelta(hours=ship_within_hours),
        shipped_at=shipped_at,
    )
    order.lines.update(shipment=s)
    return s


def returned(s: Shipment, status=AfterSale.Status.REFUNDED) -> AfterSale:
    line = s.order.lines.get()
    return AfterSale.objects.create(
        line=line,
        order=s.order,
        kind=AfterSale.Kind.RETURN_REFUND,
        amount_fen=line.refunded_fen or 100,
        reason="破损",
        status=status,
    )


@pytest.fixture
def month():
    """Supplier A's November, by hand:
    s1 paid 11-02 10:00, shipped after 24 h (on time);
    s2 paid 11-10, shipped after 72 h (late), ¥50 of ¥200 refunded, returned;
    s3 paid 11-20, not shipped: ship_by 11-22 passed → late (and overdue now);
    s4 paid 10-30, ship_by 11-01 10:00, shipped exactly at ship_by (on time; paid in October);
    s5 paid 11-25, cancelled before shipping (left out).
    The platform warehouse: one on-time shipment."""
    a = make_supplier("甲供应商")
    s1 = shipment(a, paid_at=local(11, 2), shipped_after_hours=24)
    s2 = shipment(a, paid_at=local(11, 10), shipped_after_hours=72, paid_fen=20000, refunded_fen=5000)
    returned(s2)
    s3 = shipment(a, paid_at=local(11, 20), shipped_after_hours=None)
    s4 = shipment(a, paid_at=local(10, 30), shipped_after_hours=48)
    shipment(a, paid_at=local(11, 25), shipped_after_hours=None, cancelled=True)
    platform = shipment(None, paid_at=local(11, 3), shipped_after_hours=5)
    return {"a": a, "s1": s1, "s2": s2, "s3": s3, "s4": s4, "platform": platform}


def test_overdue_starts_strictly_after_ship_by(month):
    s3 = month["s3"]
    at = s3.ship_by
    assert not selectors.overdue_shipments(at).filter(pk=s3.pk).exists()
    assert selectors.overdue_shipments(at + timedelta(microseconds=1)).filter(pk=s3.pk).exists()
    assert selectors.overdue_counts(at + timedelta(seconds=1)) == {month["a"].pk: 1}


def test_overdue_by_supplier_and_platform(month):
    late_platform = shipment(None, paid_at=local(11, 28), shipped_after_hours=None)
    assert list(selectors.overdue_shipments(NOW, month["a"].pk)) == [month["s3"]]
    assert list(selectors.overdue_shipments(NOW, platform=True)) == [late_platform]
    assert selectors.overdue_counts(NOW) == {month["a"].pk: 1, None: 1}
    # shipped or cancelled ones are never overdue
    Shipment.objects.filter(pk=month["s3"].pk).update(status=Shipment.Status.SHIPPED, shipped_at=NOW)
    assert selectors.overdue_counts(NOW) == {None: 1}


def test_figures_of_a_hand_built_month(month):
    f = selectors.month_figures(NOV, now=NOW)[month["a"].pk]
    assert f.month == "2026-11"
    assert (f.shipments, f.shipped) == (3, 2)  # s1, s2, s3 (s4 paid in October, s5 cancelled)
    assert f.avg_seconds_to_ship == 48 * 3600  # (24 + 72) / 2
    assert f.avg_hours_to_ship == 48.0
    assert (f.due, f.on_time) == (4, 2)  # s1..s4 due in November; s1 and s4 on time
    assert f.on_time_bp == 5000
    assert (f.lines, f.paid_fen, f.refunded_fen) == (3, 40000, 5000)
    assert f.refund_bp == 1250
    assert f.returned_lines == 1 and f.return_bp == 3333
    assert f.complaints is None
    assert f.verdict == selectors.WARN and f.reasons == ["on_time", "refund"]
    platform = selectors.month_figures(NOV, now=NOW)[None]
    assert (platform.shipments, platform.on_time_bp, platform.refund_bp, platform.verdict) == (1, 10000, 0, selectors.OK)


def test_a_rejected_return_is_not_counted_and_a_future_ship_by_is_not_judged(month):
    s1 = month["s1"]
    returned(s1, status=AfterSale.Status.REJECTED)
    pending = shipment(month["a"], paid_at=local(11, 29, 20), shipped_after_hours=None)  # ship_by 12-01 20:00
    f = selectors.month_figures(NOV, now=NOW)[month["a"].pk]
    assert f.returned_lines == 1
    assert f.shipments == 4 and f.due == 4  # the new one is paid in November, due in December
    # exactly at ship_by it is not late yet: nothing to judge in December
    assert month["a"].pk not in selectors.month_figures(periods.parse_month("2026-12"), now=pending.ship_by)
    f_dec = selectors.month_figures(periods.parse_month("2026-12"), now=NOW)[month["a"].pk]
    assert (f_dec.due, f_dec.on_time) == (1, 0)


def test_trend_and_change_against_the_month_before(month):
    months = selectors.trend(month["a"].pk, NOV, now=NOW)
    assert [f.month for f in months] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert [f.shipments for f in months] == [0, 0, 0, 0, 1, 3]
    october = months[-2]
    assert october.due == 0 and october.on_time_bp is None and october.refund_bp == 0
    rows = {r.supplier_id: r for r in selectors.scorecards(NOV, now=NOW)}
    row = rows[month["a"].pk]
    assert row.figures.overdue == 1
    assert row.change_bp("refund_bp") == 1250
    assert row.change_bp("on_time_bp") is None  # nothing was due in October


def test_scorecards_sorted_worst_first_and_by_name(month):
    b = make_supplier("乙供应商")
    shipment(b, paid_at=local(11, 4), shipped_after_hours=1)
    make_supplier("丙供应商")  # nothing in the month
    rows = selectors.scorecards(NOV, now=NOW)
    assert rows[0].supplier_id == month["a"].pk  # 50% on time
    assert {r.supplier_id for r in rows} == {None, month["a"].pk, b.pk, Supplier.objects.get(name="丙供应商").pk}
    by_name = selectors.scorecards(NOV, now=NOW, sort="name")
    assert by_name[0].supplier is None


def test_query_count_does_not_grow_with_suppliers(month):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            rows = selectors.scorecards(NOV, now=NOW)
        return len(ctx.captured_queries), len(rows)

    few, n_few = count()
    for i in range(4):
        s = make_supplier(f"供应商{i}")
        shipment(s, paid_at=local(11, 5 + i), shipped_after_hours=10)
        shipment(s, paid_at=local(10, 5 + i), shipped_after_hours=60, refunded_fen=100)
    many, n_many = count()
    assert n_many == n_few + 4
    assert many == few


def test_thresholds_warn_and_suspend():
    limits = selectors.Thresholds(9500, 500, 8000, 1500, 20)
    f = selectors.Figures(supplier_id=1, month="2026-11", shipments=20, due=20, on_time=19, paid_fen=100, lines=1)
    assert selectors.judge(f, limits).verdict == selectors.OK  # 95% exactly, 0% refunded
    f.on_time = 18
    assert selectors.judge(f, limits).verdict == selectors.WARN  # 90%
    f.on_time = 15
    assert selectors.judge(f, limits).verdict == selectors.SUSPEND  # 75% with 20 shipments
    f.shipments = 19
    assert selectors.judge(f, limits).verdict == selectors.WARN  # too few to suspend
    f.shipments, f.on_time, f.refunded_fen = 20, 20, 16
    assert selectors.judge(f, limits).verdict == selectors.SUSPEND  # 16% refunded
    f.refunded_fen = 15
    assert selectors.judge(f, limits).verdict == selectors.WARN  # 15% exactly: above 5, not above 15


def test_monthly_evaluation_warns_suspends_and_runs_once(month):
    bad = make_supplier("丁供应商")
    for day in range(1, 21):
        shipment(bad, paid_at=local(11, day), shipped_after_hours=10, paid_fen=1000, refunded_fen=200)  # 20% refunded
    good = make_supplier("戊供应商")
    shipment(good, paid_at=local(11, 6), shipped_after_hours=2)

    counts = services.evaluate_suppliers(month="2026-11", now=NOW)
    assert counts == {"evaluated": 3, "warned": 1, "suspended": 1, "skipped": 0}
    bad.refresh_from_db()
    month["a"].refresh_from_db()
    assert bad.status == Supplier.Status.SUSPENDED
    assert month["a"].status == Supplier.Status.APPROVED
    warning = SupplierEvent.objects.get(supplier=month["a"], note__contains="[2026-11]")
    assert "[2026-11]" in warning.note and "50%" in warning.note
    assert SupplierEvent.objects.filter(supplier=good, note__contains="[2026-11]").count() == 1

    events = SupplierEvent.objects.count()
    again = services.evaluate_suppliers(now=NOW)  # the month before now's: November again
    assert again == {"evaluated": 0, "warned": 0, "suspended": 0, "skipped": 3}
    assert SupplierEvent.objects.count() == events


def test_evaluation_of_an_invalid_month_is_refused():
    from fenxiao.supply.errors import SupplyError

    with pytest.raises(SupplyError) as info:
        services.evaluate_suppliers(month="2026-13")
    assert info.value.status == 422 and info.value.code == "invalid_month"
