"""Figures over time windows, for the reports that compare a period with the one before it.

`comparison_windows(now)` gives today and this month so far beside the same stretch of yesterday and of
last month (local time), so that a figure at 10:00 is compared with yesterday until 10:00, not with a
whole day. `windowed(queryset, field, windows, **measures)` computes every measure for every window in
one statement (one conditional aggregate per window and measure, over the rows of the widest span);
`daily(queryset, field, start, end, **measures)` the same measures per local calendar day, one
statement too. A measure is a function from the window's condition to an aggregate, for example
`lambda inside: Sum("paid_fen", filter=inside)`. Counting the window's own column (`Count("paid_at")`)
rather than the primary key lets an index on (column, amount) answer without reading the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Aggregate, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .periods import local_midnight, local_today, month_index, month_start

Window = tuple[datetime, datetime]
Measure = Callable[[Q], Aggregate]

TODAY, YESTERDAY, MONTH, LAST_MONTH = "today", "yesterday", "month", "last_month"


def comparison_windows(now: datetime | None = None) -> dict[str, Window]:
    """Today and this month until `now`, and the same stretch of yesterday and of last month.

    Last month runs from its first day for as long as this month has run so far, and stops at its
    own end when it is shorter (on 31 March, February is compared whole)."""
    now = now or timezone.now()
    today = local_today(now)
    day_start = local_midnight(today)
    yesterday_start = local_midnight(today - timedelta(days=1))
    month_first = local_midnight(today.replace(day=1))
    last_first = local_midnight(month_start(month_index(today) - 1))
    last_end = min(last_first + (now - month_first), month_first)
    return {
        TODAY: (day_start, now),
        YESTERDAY: (yesterday_start, yesterday_start + (now - day_start)),
        MONTH: (month_first, now),
        LAST_MONTH: (last_first, last_end),
    }


def windowed(
    queryset: QuerySet[Any], field: str, windows: Mapping[str, Window], **measures: Measure
) -> dict[str, dict[str, int]]:
    """{window: {measure: value}} for rows whose `field` lies in [start, end) of each window; an empty
    window counts 0."""
    if not windows:
        return {}
    aggregates = {}
    for name, (start, end) in windows.items():
        inside = Q(**{f"{field}__gte": start, f"{field}__lt": end})
        for measure, build in measures.items():
            aggregates[f"{name}_{measure}"] = build(inside)
    lowest = min(start for start, _end in windows.values())
    highest = max(end for _start, end in windows.values())
    row = queryset.filter(**{f"{field}__gte": lowest, f"{field}__lt": highest}).aggregate(**aggregates)
    return {name: {measure: row[f"{name}_{measure}"] or 0 for measure in measures} for name in windows}


def spans_of(windows: Iterable[Window]) -> list[Window]:
    """The disjoint spans that cover these windows, in order: overlapping or touching windows are
    merged and empty ones dropped."""
    spans: list[Window] = []
    for start, end in sorted(window for window in windows if window[0] < window[1]):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def daily(queryset: QuerySet[Any], field: str, first: date, last: date, **measures: Measure) -> dict[date, dict[str, int]]:
    """{day: {measure: value}} for every local day from `first` to `last` (both included), days
    without rows included with 0."""
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    rows = (
        queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})
        .annotate(day=TruncDate(field, tzinfo=timezone.get_default_timezone()))
        .values("day")
        .annotate(**{measure: build(Q()) for measure, build in measures.items()})
        .order_by("day")
    )
    found = {row["day"]: row for row in rows}
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return {day: {measure: (found.get(day) or {}).get(measure) or 0 for measure in measures} for day in days}


def change_bp(current: int, previous: int) -> int | None:
    """The change from `previous` to `current` in basis points of `previous` (None when it was 0)."""
    if not previous:
        return None
    return (current - previous) * 10000 // previous
