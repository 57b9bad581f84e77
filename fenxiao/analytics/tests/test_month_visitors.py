"""The month's distinct visitors read from the visitors kept per month (`MonthVisitor`) and today's
visits: the same number the live count gives, whatever the visitors, the days rolled up, their order
and the days without a row."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.analytics import services
from fenxiao.analytics.models import DailyFigures, MonthVisitor
from fenxiao.analytics.selectors import daily
from fenxiao.common.figures import comparison_windows
from fenxiao.distribution.models import Visit
from fenxiao.distribution.selectors import figures as distribution_figures
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 15, 10, 0, tzinfo=SH)
FIRST = date(2026, 1, 25)


def visit(moment, *, session="", user=None, distributor=None):
    row = Visit.objects.create(distributor=distributor or DistributorFactory(), session_key=session, visitor=user)
    Visit.objects.filter(pk=row.pk).update(created_at=moment)


def seed(rng, now=NOW, count=160):
    """Visits from `FIRST` until `now` by a small crowd, so that most come back on other days: sessions,
    signed-in users (some with a session too) and visits with neither."""
    distributor = DistributorFactory()
    users = [UserFactory() for _ in range(6)]
    span = (now - datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=SH)).total_seconds()
    for _ in range(count):
        moment = now - timedelta(seconds=rng.randrange(1, int(span)))
        kind = rng.random()
        if kind < 0.45:
            visit(moment, session=f"s{rng.randrange(12)}", distributor=distributor)
        elif kind < 0.9:
            user = rng.choice(users)
            visit(moment, session=rng.choice(["", f"s{rng.randrange(12)}"]), user=user, distributor=distributor)
        else:
            visit(moment, distributor=distributor)


def read(now, windows=None):
    windows = windows or comparison_windows(now)
    return daily.windowed_figures({daily.VISITORS: windows}, now)[daily.VISITORS]


def live(now, windows=None):
    return distribution_figures.visitors(windows or comparison_windows(now))


def kept():
    return sorted(MonthVisitor.objects.values_list("month", "key", "first_day"))


def expected_kept(first, last):
    """What the table must hold once every day from `first` to `last` has its row: each visitor of each
    month with the first of those days it came."""
    rows = {}
    visits = distribution_figures.visits_in([(daily.day_window(first)[0], daily.day_window(last)[1])])
    for key, moment in visits.filter(key__isnull=False).values_list("key", "created_at"):
        day = moment.astimezone(SH).date()
        slot = (day.replace(day=1), key)
        rows[slot] = min(rows.get(slot, day), day)
    return sorted((month, key, day) for (month, key), day in rows.items())


MOMENTS = [
    NOW,
    datetime(2026, 3, 31, 23, 30, tzinfo=SH),  # last month (February) compared whole
    datetime(2026, 3, 1, 0, 20, tzinfo=SH),  # just after midnight on the 1st
    datetime(2026, 3, 2, 0, 5, tzinfo=SH),
    datetime(2026, 2, 28, 15, 0, tzinfo=SH),
]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("seed_value", [1, 2])
def test_the_month_visitors_are_the_live_count_with_all_some_or_no_rows(moment, seed_value):
    seed(random.Random(seed_value), now=moment)
    expected = live(moment)
    assert read(moment) == expected  # no rows yet
    services.roll_up_days(FIRST, moment.date(), now=moment)
    assert kept() == expected_kept(FIRST, moment.date() - timedelta(days=1))
    assert read(moment) == expected

    # Days without their row: the month is read from its rows up to the first of them, the rest live.
    yesterday = moment.date() - timedelta(days=1)
    DailyFigures.objects.filter(day__in=[date(2026, 2, 3), yesterday]).delete()
    assert read(moment) == expected
    DailyFigures.objects.filter(day__gte=date(2026, 3, 5), day__lte=date(2026, 3, 8)).delete()
    DailyFigures.objects.filter(day=date(2026, 2, 1)).delete()
    assert read(moment) == expected


@pytest.mark.parametrize("seed_value", [3, 4])
def test_days_rolled_up_in_any_order_keep_each_visitor_with_its_first_day(seed_value):
    rng = random.Random(seed_value)
    seed(rng)
    last = NOW.date() - timedelta(days=1)
    days = [FIRST + timedelta(days=offset) for offset in range((last - FIRST).days + 1)]
    rng.shuffle(days)
    for day in days[: len(days) // 2]:
        services.roll_up_days(day, day, now=NOW)
        assert read(NOW) == live(NOW)
    services.roll_up_days(date(2026, 3, 3), last, now=NOW)  # a stretch, then what is left, backwards
    assert read(NOW) == live(NOW)
    for day in reversed(sorted(days[len(days) // 2 :])):
        services.roll_up_days(day, day, now=NOW)
    assert kept() == expected_kept(FIRST, last)
    assert read(NOW) == live(NOW)
    new = dict(DailyFigures.objects.values_list("day", "month_new_visitors"))
    for day, count in new.items():
        assert count == MonthVisitor.objects.filter(month=day.replace(day=1), first_day=day).count()

    # The periodic run recounts the last days: nothing changes, and a late visit is counted.
    before = kept()
    services.roll_up_recent(now=NOW)
    assert kept() == before
    visit(datetime(2026, 3, 13, 23, 59, 59, tzinfo=SH), session="late")
    visit(datetime(2026, 3, 14, 8, 0, tzinfo=SH), session="s1")
    services.roll_up_recent(now=NOW)
    assert kept() == expected_kept(FIRST, last)
    assert read(NOW) == live(NOW)


def test_a_visitor_is_counted_once_in_a_month_and_in_each_month_it_came():
    user = UserFactory()
    visit(datetime(2026, 2, 10, 9, 0, tzinfo=SH), session="old")  # last month only
    visit(datetime(2026, 2, 12, 9, 0, tzinfo=SH), session="back")
    visit(datetime(2026, 3, 1, 0, 0, tzinfo=SH), session="back")  # the first instant of the month
    visit(datetime(2026, 3, 2, 9, 0, tzinfo=SH), user=user, session="phone")
    visit(datetime(2026, 3, 15, 9, 0, tzinfo=SH), user=user)  # today again, signed in
    visit(datetime(2026, 3, 15, 9, 30, tzinfo=SH), session="phone")  # the same browser, signed out
    visit(datetime(2026, 3, 15, 9, 40, tzinfo=SH), session="today")
    visit(datetime(2026, 3, 15, 9, 50, tzinfo=SH))  # nobody to tell
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    assert set(MonthVisitor.objects.values_list("month", "key", "first_day")) == {
        (date(2026, 2, 1), "old", date(2026, 2, 10)),
        (date(2026, 2, 1), "back", date(2026, 2, 12)),
        (date(2026, 3, 1), "back", date(2026, 3, 1)),
        (date(2026, 3, 1), str(user.pk), date(2026, 3, 2)),
    }
    figures = read(NOW)
    assert figures == live(NOW)
    # This month: back, the user, "phone" signed out, "today"; last month until the 15th, 10:00: old, back.
    assert figures["month"] == {"visits": 6, "visitors": 4}
    assert figures["last_month"] == {"visits": 2, "visitors": 2}
    assert figures["today"] == {"visits": 4, "visitors": 3}


def test_windows_of_other_shapes_are_counted_live():
    seed(random.Random(5))
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    windows = {
        "across": (datetime(2026, 2, 20, tzinfo=SH), datetime(2026, 3, 10, tzinfo=SH)),
        "mid_month": (datetime(2026, 3, 3, tzinfo=SH), NOW),
        "whole_february": (datetime(2026, 2, 1, tzinfo=SH), datetime(2026, 3, 1, tzinfo=SH)),
        "until_noon": (datetime(2026, 3, 1, tzinfo=SH), datetime(2026, 3, 9, 12, 0, tzinfo=SH)),
        "empty": (NOW, NOW),
    }
    assert read(NOW, windows) == live(NOW, windows)
    for name, window in windows.items():
        assert distribution_figures.visitor_keys(window).count() == live(NOW, windows)[name]["visitors"]
    days = daily.daily_figures(daily.VISITORS, date(2026, 2, 25), NOW.date(), NOW)
    assert days == {
        date.fromisoformat(name): values
        for name, values in live(NOW, daily.day_windows(date(2026, 2, 25), NOW.date(), NOW)).items()
    }


def test_the_month_visitors_cost_the_same_statements_whatever_the_visits():
    seed(random.Random(6), count=20)
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    with CaptureQueriesContext(connection) as few:
        read(NOW)
    seed(random.Random(7), count=120)
    services.roll_up_days(FIRST, NOW.date(), now=NOW)
    with CaptureQueriesContext(connection) as many:
        read(NOW)
    # The rows, then the visits counted live: today, yesterday, this month's today and the part of
    # last month's day, in one statement.
    assert len(few) == len(many) == 2
