"""Local calendar periods: month bounds fall at local midnight (16:00 UTC the day before), December
rolls into the next year, and labels are parsed strictly."""

from datetime import UTC, date, datetime

import pytest

from fenxiao.common import periods


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_month_bounds_are_local_midnights():
    start, end = periods.month_bounds(date(2026, 11, 17))
    assert start == utc(2026, 10, 31, 16, 0)
    assert end == utc(2026, 11, 30, 16, 0)


def test_december_rolls_into_next_year():
    start, end = periods.month_bounds(date(2026, 12, 1))
    assert (start, end) == (utc(2026, 11, 30, 16, 0), utc(2026, 12, 31, 16, 0))
    assert periods.first_of_next_month(date(2026, 12, 31)) == date(2027, 1, 1)


def test_previous_and_current_month_follow_local_time():
    # 2026-12-31 17:00 UTC is already 1 January 2027 in Shanghai.
    now = utc(2026, 12, 31, 17, 0)
    assert periods.current_month(now) == "2027-01"
    assert periods.previous_month(now) == "2026-12"
    assert periods.previous_month(utc(2026, 12, 31, 15, 0)) == "2026-11"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", date(2026, 11, 1)),
        (" 2026-01 ", date(2026, 1, 1)),
        ("2026-13", None),
        ("2026-00", None),
        ("1999-12", None),
        ("2026-1", None),
        ("26-11", None),
        ("", None),
        (None, None),
        (202611, None),
    ],
)
def test_parse_month(text, expected):
    assert periods.parse_month(text) == expected


def test_is_closed_month():
    now = utc(2026, 11, 30, 15, 59)  # 23:59 on 30 November, local
    assert periods.is_closed_month(date(2026, 10, 1), now)
    assert not periods.is_closed_month(date(2026, 11, 1), now)
    assert periods.is_closed_month(date(2026, 11, 1), utc(2026, 11, 30, 16, 0))


def test_month_index_round_trip():
    for day in (date(2000, 1, 1), date(2026, 12, 1), date(2027, 6, 1)):
        assert periods.month_start(periods.month_index(day)) == day


def test_shift_month():
    assert periods.shift_month("2026-12", 1) == "2027-01"
    assert periods.shift_month("2026-01", -1) == "2025-12"
    assert periods.shift_month("2026-05", -13) == "2025-04"
