"""Calendar periods in local time (the project's time zone, Asia/Shanghai): the bounds of a day, a
month or a quarter as aware datetimes, and "YYYY-MM" labels. Every app that reports or pays by month
uses these, so a month ends at the same instant for commissions, levels and leaderboards.

Each app keeps its own error for a bad label (its code and message belong to its API); this module
only says whether a label is well formed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from django.utils import timezone

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
OLDEST_YEAR = 2000


def local_midnight(day: date) -> datetime:
    """The first instant of a local calendar day."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def local_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), timezone.get_default_timezone()).date()


def month_index(day: date) -> int:
    """Months since year 0, so that months can be added and compared as integers."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    """The first day of the month with this index (see `month_index`)."""
    return date(index // 12, index % 12 + 1, 1)


def first_of_next_month(day: date) -> date:
    return month_start(month_index(day) + 1)


def month_label(day: date) -> str:
    return f"{day:%Y-%m}"


def current_month(now: datetime | None = None) -> str:
    return month_label(local_today(now))


def previous_month(now: datetime | None = None) -> str:
    return month_label(month_start(month_index(local_today(now)) - 1))


def parse_month(text: object) -> date | None:
    """The first day of a well-formed "YYYY-MM" (year 2000 or later), else None."""
    match = _MONTH.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not OLDEST_YEAR <= year <= 2999:
        return None
    return date(year, month, 1)


def shift_month(label: str, delta: int) -> str:
    """The "YYYY-MM" `delta` months after a well-formed label (before it when negative)."""
    first = parse_month(label)
    if first is None:
        raise ValueError(f"not a month label: {label!r}")
    return month_label(month_start(month_index(first) + delta))


def month_bounds(first: date) -> tuple[datetime, datetime]:
    """The first instant of the month holding `first` and the first instant of the next one."""
    first = first.replace(day=1)
    return local_midnight(first), local_midnight(first_of_next_month(first))


def is_closed_month(first: date, now: datetime | None = None) -> bool:
    """Whether the month holding `first` has ended in local time."""
    return month_index(first) < month_index(local_today(now))
