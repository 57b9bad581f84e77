"""The console's home: to-do counts that link to lists showing exactly those rows, today's and this
month's figures against the period before, the 30-day trend, each part shown by permission, and a
constant number of statements whatever the amount of data."""

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fenxiao.commissions.models import Commission
from fenxiao.common.figures import comparison_windows
from fenxiao.distribution.models import Distributor, Visit
from fenxiao.inventory.models import MAIN_LOCATION, StockRecord
from fenxiao.orders.models import AfterSale, Order, Shipment
from fenxiao.orders.services.shipments import set_ship_by
from fenxiao.orders.tests.shipment_world import make_supplier
from fenxiao.suppliers.models import supplier_location
from fenxiao.withdrawals.models import PayoutBatch, Withdrawal
from tests.factories import DistributorFactory, OrderRecordFactory, SkuFactory, StaffFactory, UserFactory, clock

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 15, 10, 0, tzinfo=SH)


def staff_in(group_name):
    user = UserFactory(is_staff=True, phone=None, username=f"staff-{group_name}")
    user.groups.add(Group.objects.get(name=group_name))
    return user


def paid_order(paid_at, paid_fen=10000, status=Order.Status.PAID, **kwargs):
    return OrderRecordFactory(
        status=status, goods_fen=paid_fen - 1000, paid_at=paid_at, completed_at=None, paid_fen=paid_fen, **kwargs
    )


def parcel(order, *, supplier=None, status=Shipment.Status.TO_SHIP):
    """The order's shipment from the platform warehouse (or `supplier`), due FENXIAO_SHIP_WITHIN_HOURS
    after payment."""
    shipment = Shipment.objects.create(
        order=order, route=supplier_location(supplier.pk) if supplier else MAIN_LOCATION, supplier=supplier, status=status
    )
    set_ship_by(order)
    shipment.refresh_from_db()
    return shipment


def waits_for_supplier(paid_at):
    """A paid order whose warehouse parcel left; its supplier's parcel is late."""
    order = paid_order(paid_at)
    parcel(order, status=Shipment.Status.SHIPPED)
    parcel(order, supplier=make_supplier(f"供应商{order.pk}"))
    return order


def aftersale(status):
    order = OrderRecordFactory(lines=[{}], status=Order.Status.SHIPPED, completed_at=None)
    line = order.lines.get()
    return AfterSale.objects.create(
        line=line, order=order, kind=AfterSale.Kind.RETURN_REFUND, amount_fen=100, quantity=1, reason="坏了", status=status
    )


def withdrawal(status, batch=None, line=None):
    distributor = DistributorFactory()
    return Withdrawal.objects.create(
        number=f"W{distributor.pk:08d}",
        distributor=distributor,
        status=status,
        channel="bank",
        amount_fen=10000,
        fee_bp=0,
        fee_fen=0,
        net_fen=10000,
        payee_name="王小明",
        account_kind=Withdrawal.AccountKind.CARD,
        account_masked="6222****1234",
        account_encrypted="x",
        requested_at=NOW,
        requested_on=NOW.date(),
        batch=batch,
        batch_line=line,
    )


def payout_batch(status, number):
    return PayoutBatch.objects.create(number=number, status=status, line_count=1, amount_fen=100, fee_fen=0, net_fen=100)


def build_backlog(scale=1):
    """`scale` copies of every kind of waiting work, and as many rows that are not waiting."""
    for _ in range(scale):
        paid_order(NOW - timedelta(hours=1))  # no shipment yet: the warehouse's
        parcel(paid_order(NOW - timedelta(hours=50)))  # past its ship-by time
        waits_for_supplier(NOW - timedelta(hours=60))  # the warehouse's parcel left: not counted
        paid_order(NOW - timedelta(hours=2), status=Order.Status.SHIPPED)
        DistributorFactory(status=Distributor.Status.PENDING, approved_at=None)
        DistributorFactory(status=Distributor.Status.AWAITING_PURCHASE, approved_at=None)
        aftersale(AfterSale.Status.REQUESTED)
        aftersale(AfterSale.Status.RETURNED)
        aftersale(AfterSale.Status.AWAITING_RETURN)
        withdrawal(Withdrawal.Status.REQUESTED)
        withdrawal(Withdrawal.Status.PAID)
        low = SkuFactory(stock=2)
        StockRecord.objects.filter(sku=low).update(safety_stock=5)
        SkuFactory(stock=50)


def todos_in(html):
    return dict(re.findall(r'data-todo="([a-z_]+)">\s*<a href="[^"]*"><span class="console-todo-count" data-count>(\d+)<', html))


def figure_keys(html):
    return set(re.findall(r'data-figure="([a-z_]+)"', html))


def get_home(client, user):
    client.force_login(user)
    with clock(NOW):
        response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response


def test_todo_counts_link_to_lists_of_exactly_those_rows(client):
    build_backlog()
    batch = payout_batch(PayoutBatch.Status.EXPORTED, "B1")
    payout_batch(PayoutBatch.Status.CLOSED, "B2")
    withdrawal(Withdrawal.Status.APPROVED, batch=batch, line=1)
    admin_user = StaffFactory()
    response = get_home(client, admin_user)
    html = response.content.decode()
    counts = {key: int(count) for key, count in todos_in(html).items()}
    assert counts == {
        "applications": 1,
        "aftersales": 1,
        "returns": 1,
        "withdrawals": 1,
        "payout_batches": 1,
        "to_ship": 2,
        "below_safety": 1,
        "failed_tasks": 0,
        "failed_jobs": 0,
    }
    late = re.search(r'class="console-todo-detail is-late" href="([^"]+)" data-detail="(\d+)"', html)
    assert late and late.group(2) == "1"

    # every link opens its changelist filtered to the rows counted
    todos = {todo.key: todo for todo in response.context["todos"]}
    for key, count in counts.items():
        if key == "failed_jobs":
            continue
        with clock(NOW):
            page = client.get(todos[key].url)
        assert page.status_code == 200, key
        assert page.context["cl"].result_count == count, key
    with clock(NOW):
        page = client.get(todos["to_ship"].detail_url)
    assert [order.paid_at for order in page.context["cl"].result_list] == [NOW - timedelta(hours=50)]


def warehouse_list(client, value):
    with clock(NOW):
        page = client.get(reverse("admin:orders_order_changelist"), {"warehouse": value})
    assert page.status_code == 200
    return page.context["cl"]


def test_to_ship_counts_the_warehouse_parcels_its_lists_show(client):
    no_parcel = paid_order(NOW - timedelta(hours=70))
    on_time = parcel(paid_order(NOW - timedelta(hours=47))).order
    late = parcel(paid_order(NOW - timedelta(hours=49))).order
    supplier_only = waits_for_supplier(NOW - timedelta(hours=90))
    parcel(paid_order(NOW - timedelta(hours=80), status=Order.Status.SHIPPED), status=Shipment.Status.SHIPPED)
    todo = next(todo for todo in get_home(client, StaffFactory()).context["todos"] if todo.key == "to_ship")
    assert (todo.count, todo.detail_count) == (3, 1)
    assert todo.url.endswith("?warehouse=to_ship") and todo.detail_url.endswith("?warehouse=overdue")

    listed = warehouse_list(client, "to_ship")
    assert listed.result_count == todo.count
    assert {order.pk for order in listed.result_list} == {no_parcel.pk, on_time.pk, late.pk}
    overdue = warehouse_list(client, "overdue")
    assert overdue.result_count == todo.detail_count
    assert [order.pk for order in overdue.result_list] == [late.pk]
    # the supplier's parcel is late, but the order waits only for the supplier: on neither list
    assert supplier_only.pk not in {order.pk for order in listed.result_list}
    with clock(NOW):
        everything = client.get(reverse("admin:orders_order_changelist"), {"warehouse": "x"})
    assert everything.context["cl"].result_count == 0
    assert "仓库待发货" in everything.content.decode() and "仓库发货超时" in everything.content.decode()


def test_the_ship_within_setting_moves_the_cutoff_and_the_label(client, settings):
    settings.FENXIAO_SHIP_WITHIN_HOURS = 24
    parcel(paid_order(NOW - timedelta(hours=30)))
    parcel(paid_order(NOW - timedelta(hours=20)))
    html = get_home(client, StaffFactory()).content.decode()
    assert re.search(r'data-detail="1">超过 24 小时：1<', html)
    assert warehouse_list(client, "overdue").result_count == 1

    settings.FENXIAO_SHIP_WITHIN_HOURS = 1
    parcel(paid_order(NOW - timedelta(hours=2)))  # due one hour after payment: late
    todo = next(todo for todo in get_home(client, StaffFactory()).context["todos"] if todo.key == "to_ship")
    assert (str(todo.detail_label), todo.detail_count) == ("超过 1 小时", 2)
    assert warehouse_list(client, "overdue").result_count == 2


def test_each_group_sees_the_parts_its_permissions_allow(client):
    build_backlog()
    seen = {}
    for name in ("运营", "财务", "客服", "供应链"):
        html = get_home(client, staff_in(name)).content.decode()
        seen[name] = (set(todos_in(html)), figure_keys(html), 'id="console-trend-data"' in html)
    superuser = get_home(client, StaffFactory()).content.decode()

    operations, finance, service, supply = seen["运营"], seen["财务"], seen["客服"], seen["供应链"]
    assert operations[0] == {"applications", "below_safety", "failed_jobs"}
    assert finance[0] == {"withdrawals", "payout_batches", "failed_jobs"}
    assert service[0] == {"aftersales", "failed_jobs"}
    assert supply[0] == {"to_ship", "returns", "below_safety", "failed_jobs"}
    assert set(todos_in(superuser)) == {
        "applications",
        "aftersales",
        "returns",
        "withdrawals",
        "payout_batches",
        "to_ship",
        "below_safety",
        "failed_tasks",
        "failed_jobs",
    }

    everything = {"gmv", "paid_orders", "visitors", "new_customers", "new_distributors", "commission"}
    assert figure_keys(superuser) == everything
    assert "commission" in finance[1] and "commission" not in operations[1]
    assert supply[1] == {"gmv", "paid_orders"}  # no customers, distributors or visits
    assert all(trend for _todos, _figures, trend in seen.values())  # every group reads orders


def test_staff_without_order_permission_sees_no_figures_or_trend(client):
    user = UserFactory(is_staff=True, phone=None, username="nobody")
    html = get_home(client, user).content.decode()
    assert set(todos_in(html)) == {"failed_jobs"}
    assert figure_keys(html) == set()
    assert "console-trend-data" not in html
    assert "echarts.min.js" not in html


def test_figures_compare_today_and_month_with_the_same_stretch_before(client):
    # today until 10:00: two orders; yesterday until 10:00: one (the one at 11:00 is later in the day)
    paid_order(NOW - timedelta(hours=1), paid_fen=30000)
    paid_order(NOW - timedelta(hours=2), paid_fen=10000)
    paid_order(NOW - timedelta(days=1, hours=1), paid_fen=20000)
    paid_order(NOW - timedelta(days=1) + timedelta(hours=1), paid_fen=99900)
    # last month until the same point: 14 days and 10 hours into it
    paid_order(datetime(2026, 2, 10, 9, 0, tzinfo=SH), paid_fen=50000)
    paid_order(datetime(2026, 2, 20, 9, 0, tzinfo=SH), paid_fen=70000)  # beyond the same point
    paid_order(datetime(2026, 1, 20, 9, 0, tzinfo=SH), paid_fen=80000)  # two months ago
    for joined in (NOW - timedelta(hours=3), NOW - timedelta(days=1, hours=3), NOW - timedelta(days=1, hours=4)):
        UserFactory(date_joined=joined)  # one customer today, two yesterday morning
    DistributorFactory(approved_at=NOW - timedelta(minutes=5))
    distributor = DistributorFactory(approved_at=datetime(2026, 2, 3, tzinfo=SH))
    for session in ("a", "a", "b"):
        visit = Visit.objects.create(distributor=distributor, session_key=session)
        Visit.objects.filter(pk=visit.pk).update(created_at=NOW - timedelta(minutes=30))
    order = paid_order(NOW - timedelta(hours=1), lines=[{}])
    Commission.objects.create(
        order=order,
        order_line=order.lines.get(),
        distributor=distributor,
        depth=1,
        base_fen=10000,
        source="level",
        mode=Commission.Mode.RATE,
        rate_bp=1000,
        uncapped_fen=1000,
        amount_fen=1000,
    )
    Commission.objects.filter(order=order).update(created_at=NOW - timedelta(hours=1))

    response = get_home(client, StaffFactory())
    figures = {figure["key"]: figure for figure in response.context["figures"]}
    gmv = figures["gmv"]
    assert (gmv["today"], gmv["yesterday"]) == ("¥500.00", "¥200.00")
    assert gmv["month"] == "¥1,699.00"  # today and yesterday, nothing else paid in March
    assert gmv["last_month"] == "¥500.00"
    assert gmv["today_change"] == {"text": "+150%", "up": True, "down": False}
    assert gmv["month_change"] == {"text": "+239.8%", "up": True, "down": False}
    assert figures["paid_orders"]["today"] == "3" and figures["paid_orders"]["yesterday"] == "1"
    assert (figures["new_customers"]["today"], figures["new_customers"]["yesterday"]) == ("1", "2")
    assert figures["new_customers"]["today_change"] == {"text": "-50%", "up": False, "down": True}
    assert figures["new_distributors"]["today"] == "1" and figures["new_distributors"]["last_month"] == "1"
    assert figures["visitors"]["today"] == "2"  # two sessions, three visits
    assert figures["commission"]["today"] == "¥10.00" and figures["commission"]["today_change"] is None

    trend = json.loads(re.search(r'id="console-trend-data"[^>]*>(.*?)</script>', response.content.decode()).group(1))
    assert len(trend["days"]) == 30 and trend["days"][-1] == "03-15" and trend["days"][0] == "02-14"
    assert trend["gmv_yuan"][-1] == "500.00" and trend["orders"][-1] == 3
    assert trend["gmv_yuan"][-2] == "1199.00" and trend["orders"][-2] == 2
    assert trend["gmv_yuan"][0] == "0.00"


def test_comparison_windows_stop_at_the_end_of_a_shorter_month():
    end_of_march = datetime(2026, 3, 31, 12, 0, tzinfo=SH)
    windows = comparison_windows(end_of_march)
    assert windows["last_month"] == (datetime(2026, 2, 1, tzinfo=SH), datetime(2026, 3, 1, tzinfo=SH))
    assert windows["yesterday"] == (datetime(2026, 3, 30, tzinfo=SH), datetime(2026, 3, 30, 12, 0, tzinfo=SH))
    assert windows["month"] == (datetime(2026, 3, 1, tzinfo=SH), end_of_march)


def _home_queries(client, user):
    client.force_login(user)
    with clock(NOW), CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:index")).status_code == 200
    return len(queries)


def test_the_home_costs_the_same_statements_whatever_the_data(client):
    user = StaffFactory()
    build_backlog(scale=1)
    small = _home_queries(client, user)
    build_backlog(scale=4)
    for hours in range(0, 24 * 40, 7):
        paid_order(NOW - timedelta(hours=hours))
    large = _home_queries(client, user)
    assert small == large
    assert large <= 25


def test_the_home_reads_closed_days_from_the_daily_figures_in_the_same_statements(client):
    from fenxiao.analytics import services as analytics_services

    user = StaffFactory()
    for hours in range(0, 24 * 40, 7):
        paid_order(NOW - timedelta(hours=hours), paid_fen=10000 + hours)
    build_backlog(scale=1)
    without_rows = get_home(client, user)
    analytics_services.roll_up_days(NOW.date() - timedelta(days=60), NOW.date(), now=NOW)
    with_rows = get_home(client, user)
    assert with_rows.context["figures"] == without_rows.context["figures"]
    assert with_rows.context["trend"] == without_rows.context["trend"]
    counted = _home_queries(client, user)
    for hours in range(3, 24 * 40, 5):
        paid_order(NOW - timedelta(hours=hours))
    build_backlog(scale=2)
    analytics_services.roll_up_days(NOW.date() - timedelta(days=60), NOW.date(), now=NOW)
    assert _home_queries(client, user) == counted <= 25
