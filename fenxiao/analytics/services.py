"""The one write of analytics: the console home's figures per closed local day (`DailyFigures`) and the
visitors of each month (`MonthVisitor`).

A day's row is what the live selectors count for that day (`selectors.daily.count_days`), written over
whatever row the day had, so running it twice, or again after late data, leaves the same rows. Only
closed days are kept: today is always counted live.

A month's `MonthVisitor` rows are, for the days of that month that have their row, each visitor who
came on one of them and the first such day. In the same transaction as a chunk of days, each month the
chunk touches is counted again from the chunk's first day in it: its rows with a first day from then on
are deleted and the visitors of its rolled-up days from then on inserted with their first day there,
leaving alone those who already came earlier (their first day stays the earlier one). That holds
whatever order days are rolled up in — the periodic run recounts two days, a backfill of an earlier
stretch recounts the rest of its month — and each day's `month_new_visitors` (how many rows have it
as first day) is written again for the same days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from fenxiao.common.figures import spans_of
from fenxiao.common.periods import first_of_next_month, local_today
from fenxiao.distribution.selectors import figures as distribution_figures

from .models import DailyFigures, MonthVisitor
from .selectors import daily

CHUNK_DAYS = 31
INSERT_BATCH = 5000
# Each run counts the last two closed days again: a payment committed just after midnight still lands
# on the day it was paid.
RECOUNT_DAYS = 2


def roll_up_days(first: date, last: date, now: datetime | None = None) -> int:
    """(Re)compute the rows of the closed days from `first` to `last`; returns how many were written.
    Days from today on are left out."""
    now = now or timezone.now()
    last = min(last, local_today(now) - timedelta(days=1))
    written = 0
    day = first
    while day <= last:
        chunk_end = min(last, day + timedelta(days=CHUNK_DAYS - 1))
        counted = daily.count_days(day + timedelta(days=offset) for offset in range((chunk_end - day).days + 1))
        computed_at = timezone.now()
        rows = [DailyFigures(day=key, computed_at=computed_at, **values) for key, values in counted.items()]
        with transaction.atomic():
            DailyFigures.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["day"],
                update_fields=[*daily.FIELDS, "computed_at"],
            )
            month_day = day
            while month_day <= chunk_end:
                _count_month_visitors(month_day)
                month_day = first_of_next_month(month_day)
        written += len(rows)
        day = chunk_end + timedelta(days=1)
    return written


def _count_month_visitors(since: date) -> None:
    """Count the visitors of the month holding `since` again from that day on (see the module's
    docstring), over the days of the month that have their row."""
    month = since.replace(day=1)
    rows = list(DailyFigures.objects.filter(day__gte=since, day__lt=first_of_next_month(month)).order_by("day"))
    MonthVisitor.objects.filter(month=month, first_day__gte=since).delete()
    spans = spans_of(daily.day_window(row.day) for row in rows)
    if spans:
        first_visits = (
            distribution_figures.visits_in(spans)
            .filter(key__isnull=False)  # type: ignore[misc]  # annotated by visits_in
            .order_by()
            .values("key")
            .annotate(first=Min("created_at"))
            .values_list("key", "first")
        )
        MonthVisitor.objects.bulk_create(
            (MonthVisitor(month=month, key=key, first_day=local_today(first)) for key, first in list(first_visits)),
            batch_size=INSERT_BATCH,
            ignore_conflicts=True,
        )
    new = dict(
        MonthVisitor.objects.filter(month=month, first_day__gte=since)
        .order_by()
        .values("first_day")
        .annotate(n=Count("pk"))
        .values_list("first_day", "n")
    )
    for row in rows:
        row.month_new_visitors = new.get(row.day, 0)
    DailyFigures.objects.bulk_update(rows, ["month_new_visitors"], batch_size=INSERT_BATCH)


def roll_up_recent(now: datetime | None = None) -> int:
    """The last closed days (see `RECOUNT_DAYS`): what the periodic job runs."""
    now = now or timezone.now()
    today = local_today(now)
    return roll_up_days(today - timedelta(days=RECOUNT_DAYS), today - timedelta(days=1), now=now)
