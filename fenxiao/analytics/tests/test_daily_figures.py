"""The console home's figures per closed day: a stored day is what the live selectors count for it, the
home reads the same figures with or without the rows (a missing row is counted live), the rollup can
run any number of times, and reading costs the same statements however many days and rows there are."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.accounts import selectors as accounts_selectors
from fenxiao.analytics import services, tasks
from fenxiao.analytics.models import DailyFigures
from fenxiao.analytics.selectors import daily
from fenxiao.commissions.models import Commission
from fenxiao.common.figures import comparison_windows
from fenxiao.distribution.models import Visit
from fenxiao.distribution.selectors import figures as distribution_figures
from fenxiao.orders import selectors as order_selectors
from fenxiao.orders.models import Order
from tests.factories import DistributorFactory, OrderRecordFactory, UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 15, 10, 0, tzinfo=SH)
FIRST = date(2026, 2, 1)


def seed_day(moment, index):
    """A few of every counted thing at `moment`, some of them at the edges of its day."""
    distributor = DistributorFactory(approved_at=moment)
    for offset in (timedelta(0), timedelta(seconds=1)):
        order = OrderRecordFactory(
            lines=[{}],
            status=Order.Status.PAID,
            goods_fen=9000 + index,
            paid_fen=10000 + index,
            paid_at=moment + offset,
            completed_at=None,
        )
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
            amount_fen=1000 + index,
        )
        Commission.objects.filter(order=order).update(created_at=moment + offset)
    UserFactory(date_joined=moment)
    for session in ("a", "b", f"s{index % 3}"):  # visitor "a" comes back every day
        visit = Visit.objects.create(distributor=distributor, session_key=session)
        Visit.objects.filter(pk=visit.pk).update(created_at=moment)


@pytest.fixture
def seeded():
    day, index = FIRST, 0
    while day <= NOW.date():
        midnight = datetime(day.year, day.month, day.day, tzinfo=SH)
        for moment in (midnight, midnight + timedelta(hours=23, minutes=59)):
            if moment < NOW and index % 3 != 2:
                seed_day(moment, index)
            index += 1
        day += timedelta(days=1)


def live(now=NOW):
    windows = comparison_windows(now)
    return {source: source(windows) for source in daily.SOURCES}


def test_a_stored_day_is_what_the_selectors_count_for_that_day(seeded):
    assert services.roll_up_days(FIRST, NOW.date(), now=NOW) == (NOW.date() - FIRST).days  # not today
    assert not DailyFigures.objects.filter(day=NOW.date()).exists()
    rows = {row.day: row for row in DailyFigures.objects.all()}
    for day in (FIRST, date(2026, 2, 28), date(2026, 3, 14)):
        window = {"day": daily.day_window(day)}
        sales = order_selectors.paid_sales(window)["day"]
        row = rows[day]
        assert (row.gmv_fen, row.paid_orders) == (sales["gmv_fen"], sales["orders"])
        assert row.gmv_fen > 0
        assert row.new_customers == accounts_selectors.new_customers(window)["day"]["count"]
        visitors = distribution_figures.visitors(window)["day"]
        assert (row.visits, row.visitors) == (visitors["visits"], visitors["visitors"])


@pytest.mark.parametrize("moment", [NOW, datetime(2026, 3, 31, 23, 30, tzinfo=SH), datetime(2026, 3, 1, 0, 20, tzinfo=SH)])
def test_the_home_reads_the_same_figures_with_all_some_or_no_rows(seeded, moment):
    expected = live(moment)
    windows = comparison_windows(moment)
    assert daily.windowed_figures(dict.fromkeys(daily.SOURCES, windows), moment) == expected  # no rows yet

    services.roll_up_days(FIRST, moment.date(), now=moment)
    assert daily.windowed_figures(dict.fromkeys(daily.SOURCES, windows), moment) == expected

    # The job has not run for some days: those are counted live.
    DailyFigures.objects.filter(day__in=[date(2026, 2, 3), moment.date() - timedelta(days=1)]).delete()
    DailyFigures.objects.filter(day__gte=date(2026, 3, 5), day__lte=date(2026, 3, 8)).delete()
    assert daily.windowed_figures(dict.fromkeys(daily.SOURCES, windows), moment) == expected


def test_the_trend_adds_stored_days_and_today_as_the_live_one_counts_them(seeded):
    first, last = NOW.date() - timedelta(days=29), NOW.date()
    expected = order_selectors.daily_paid_sales(first, last)
    assert daily.daily_figures(order_selectors.paid_sales, first, last, NOW) == expected
    services.roll_up_days(first, last, now=NOW)
    DailyFigures.objects.filter(day=date(2026, 3, 1)).delete()
    assert daily.daily_figures(order_selectors.paid_sales, first, last, NOW) == expected


def test_the_rollup_is_idempotent_and_counts_late_data_again(seeded):
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    before = list(DailyFigures.objects.order_by("day").values("day", *daily.FIELDS))
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    assert list(DailyFigures.objects.order_by("day").values("day", *daily.FIELDS)) == before

    # A payment of yesterday's last second committed after midnight: the next run counts it.
    OrderRecordFactory(
        status=Order.Status.PAID, goods_fen=1000, paid_fen=2000, paid_at=datetime(2026, 3, 14, 23, 59, 59, tzinfo=SH)
    )
    assert tasks.run_daily_figures(now=NOW) == {"days": 2}
    row = DailyFigures.objects.get(day=date(2026, 3, 14))
    assert row.gmv_fen == next(values for values in before if values["day"] == date(2026, 3, 14))["gmv_fen"] + 2000
    assert DailyFigures.objects.count() == len(before)
    expected = live()
    assert daily.windowed_figures(dict.fromkeys(daily.SOURCES, comparison_windows(NOW)), NOW) == expected


def _reading_statements():
    with CaptureQueriesContext(connection) as queries:
        daily.windowed_figures(dict.fromkeys(daily.SOURCES, comparison_windows(NOW)), NOW)
        daily.daily_figures(order_selectors.paid_sales, NOW.date() - timedelta(days=29), NOW.date(), NOW)
    return len(queries)


def test_reading_costs_the_same_statements_whatever_the_days_and_rows():
    seed_day(NOW - timedelta(days=1), 0)
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    few = _reading_statements()
    for days in range(2, 40, 6):
        seed_day(NOW - timedelta(days=days, hours=3), days)
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    assert _reading_statements() == few
    DailyFigures.objects.filter(day__gte=date(2026, 3, 1)).delete()  # missing rows: counted live in the same statements
    assert _reading_statements() == few
    # The rows, then each source: today with yesterday, and last month's partial day; visitors (with
    # their month's visitors) in one statement. The trend: the rows and today.
    assert few == 1 + 2 * (len(daily.SOURCES) - 1) + 1 + 2


def test_the_command_backfills_a_range_and_recounts_the_last_days(seeded, capsys):
    call_command("roll_up_daily_figures", "--from", "2026-02-01", "--to", "2026-02-28")
    assert DailyFigures.objects.count() == 28
    call_command("roll_up_daily_figures")
    assert DailyFigures.objects.count() == 30  # and the two days before today


def test_closed_days_are_read_from_their_rows_and_today_is_counted_live():
    seed_day(NOW - timedelta(days=2), 1)
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    DailyFigures.objects.filter(day=date(2026, 3, 13)).update(gmv_fen=123, paid_orders=7)
    seed_day(NOW - timedelta(hours=1), 2)
    read = daily.windowed_figures({order_selectors.paid_sales: comparison_windows(NOW)}, NOW)[order_selectors.paid_sales]
    assert read["month"] == {"gmv_fen": 123 + 2 * 10002, "orders": 7 + 2}
    assert read["today"] == {"gmv_fen": 2 * 10002, "orders": 2}
