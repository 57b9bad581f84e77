"""The console home's figures per closed local day, and any figure over time windows read from those
days where it can be.

`FIELDS` names what a `DailyFigures` row keeps and which selector counts it: a stored day is exactly
what that selector returns for the day's window, so a figure has one definition whether it is read live
or from the table. `windowed_figures({source: windows}, now)` answers like each source called with
its windows, but splits every window into the whole closed days it covers, read from the table, and the
rest (today so far, the part of a day where a window stops), counted live by the source.
A day without its row yet is counted live too, so a late or failed rollup is slower, never wrong.

Distinct visitors do not add up over days; they are read from the month's visitors (`MonthVisitor`,
kept by the rollup) for a window that starts at the first local midnight of a month and ends within it
(this month so far, last month's same stretch). With D the first day of the window that is not closed
or has no row, the visitors are those whose first day of the month is before D — the sum of the rows'
`month_new_visitors` — plus those counted live from D's midnight to the window's end that have no
month visitor row before D (a NOT EXISTS on the (month, key) index); the visits of the window likewise
add up the rows before D and count the rest live. Any other window (today, yesterday, one crossing
months) is counted live whole. The live pieces of every window are counted by one statement that reads
only their spans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from fenxiao.accounts import selectors as accounts_selectors
from fenxiao.commissions.selectors import figures as commission_figures
from fenxiao.common.figures import Window, spans_of
from fenxiao.common.periods import first_of_next_month, local_midnight, local_today
from fenxiao.distribution.selectors import figures as distribution_figures
from fenxiao.orders import selectors as order_selectors

from ..models import DailyFigures, MonthVisitor

Source = Callable[[dict[str, Window]], dict[str, dict[str, int]]]

# Row field: (selector, its measure).
FIELDS: dict[str, tuple[Source, str]] = {
    "gmv_fen": (order_selectors.paid_sales, "gmv_fen"),
    "paid_orders": (order_selectors.paid_sales, "orders"),
    "visits": (distribution_figures.visitors, "visits"),
    "visitors": (distribution_figures.visitors, "visitors"),
    "new_customers": (accounts_selectors.new_customers, "count"),
    "new_distributors": (distribution_figures.new_distributors, "count"),
    "commission_fen": (commission_figures.accrued, "amount_fen"),
    "commissions": (commission_figures.accrued, "count"),
}
SOURCES: tuple[Source, ...] = tuple(dict.fromkeys(source for source, _measure in FIELDS.values()))
# A visitor on two days is one visitor of the month: days do not add up (see `_visitor_figures`).
VISITORS: Source = distribution_figures.visitors
STRETCH_GAP = timedelta(days=1)


def day_window(day: date) -> Window:
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def count_days(days: Iterable[date]) -> dict[date, dict[str, int]]:
    """{day: {field: value}} counted live by the selectors, one statement per source."""
    windows = {day.isoformat(): day_window(day) for day in sorted(set(days))}
    if not windows:
        return {}
    counted = {source: source(windows) for source in SOURCES}
    return {
        date.fromisoformat(key): {field: counted[source][key][measure] for field, (source, measure) in FIELDS.items()}
        for key in windows
    }


def stored_days(first: date, last: date) -> dict[date, dict[str, int]]:
    """{day: {field: value}} of the rows kept for days from `first` to `last` (one statement)."""
    kept = [*FIELDS, "month_new_visitors"]
    rows = DailyFigures.objects.filter(day__gte=first, day__lte=last).values("day", *kept)
    return {row["day"]: {field: row[field] for field in kept} for row in rows}


def _split(window: Window, today: date) -> tuple[list[date], list[Window]]:
    """The whole closed local days inside `window`, and the pieces of it outside them."""
    start, end = window
    if start >= end:
        return [], []
    first = local_today(start)
    if local_midnight(first) < start:
        first += timedelta(days=1)
    days: list[date] = []
    day = first
    while day < today and local_midnight(day + timedelta(days=1)) <= end:
        days.append(day)
        day += timedelta(days=1)
    if not days:
        return [], [window]
    pieces = [(start, local_midnight(days[0])), (local_midnight(days[-1] + timedelta(days=1)), end)]
    return days, [piece for piece in pieces if piece[0] < piece[1]]


def _month_days(window: Window, today: date) -> list[date]:
    """The closed days from the start of `window` when it starts at a month's first local midnight and
    ends within that month, each whole inside it; [] for any other window."""
    start, end = window
    first = local_today(start)
    if start >= end or first.day != 1 or local_midnight(first) != start:
        return []
    if end > local_midnight(first_of_next_month(first)):
        return []
    days: list[date] = []
    day = first
    while day < today and local_midnight(day + timedelta(days=1)) <= end:
        days.append(day)
        day += timedelta(days=1)
    return days


def _stretches(live: dict[str, Window]) -> list[dict[str, Window]]:
    """The live pieces in groups read by one statement each: a statement reads every row between its
    first and last piece, so pieces more than a day apart (today and a day of last month) are read
    apart. With every closed day stored that is one statement for the last days and one for last
    month's partial day."""
    groups: list[dict[str, Window]] = []
    end: datetime | None = None
    for key, (start, stop) in sorted(live.items(), key=lambda item: item[1]):
        if end is None or start - end > STRETCH_GAP:
            groups.append({})
            end = stop
        groups[-1][key] = (start, stop)
        end = max(end, stop)
    return groups


def windowed_figures(
    wanted: Mapping[Source, Mapping[str, Window]], now: datetime | None = None
) -> dict[Source, dict[str, dict[str, int]]]:
    """{source: source(windows)} for each source (among `SOURCES`) and its windows, reading closed days
    from the table: one statement for the rows of every source, and per source one for each stretch
    counted live (see `_stretches`), whatever the amount of data."""
    today = local_today(now or timezone.now())
    splits = {
        source: {name: _split(window, today) for name, window in windows.items()}
        for source, windows in wanted.items()
        if source is not VISITORS
    }
    month_days = {name: _month_days(window, today) for name, window in wanted.get(VISITORS, {}).items()}
    days = {day for split in splits.values() for whole, _pieces in split.values() for day in whole}
    days.update(day for whole in month_days.values() for day in whole)
    stored = stored_days(min(days), max(days)) if days else {}
    results: dict[Source, dict[str, dict[str, int]]] = {}
    for source, windows in wanted.items():
        if source is VISITORS:
            results[source] = _visitor_figures(windows, month_days, stored)
            continue
        fields = {measure: field for field, (owner, measure) in FIELDS.items() if owner is source}
        # Each window: its stored days, plus live pieces (its edges and its days without a row).
        live: dict[str, Window] = {}
        parts: dict[str, tuple[list[date], list[str]]] = {}
        for name, (whole, pieces) in splits[source].items():
            kept = [day for day in whole if day in stored]
            missing = [day_window(day) for day in whole if day not in stored]
            keys = []
            for index, piece in enumerate(spans_of(pieces + missing)):
                key = f"{name}:{index}"
                live[key] = piece
                keys.append(key)
            parts[name] = (kept, keys)
        counted: dict[str, dict[str, int]] = {}
        for group in _stretches(live):
            counted.update(source(group))
        results[source] = {
            name: {
                measure: sum(stored[day][field] for day in kept) + sum(counted[key][measure] for key in keys)
                for measure, field in fields.items()
            }
            for name, (kept, keys) in parts.items()
        }
    return results


def _visitor_figures(
    windows: Mapping[str, Window], month_days: dict[str, list[date]], stored: dict[date, dict[str, int]]
) -> dict[str, dict[str, int]]:
    """Visits and distinct visitors of each window, as `VISITORS` counts them (see the module's
    docstring): one statement for every piece counted live."""
    kept: dict[str, list[date]] = {}
    live: dict[str, Window] = {}
    before: dict[str, tuple[date, date]] = {}  # window: (month, D) of the visitors already counted
    for name, (start, end) in windows.items():
        days = []
        for day in month_days[name]:
            if day not in stored:
                break
            days.append(day)
        kept[name] = days
        if days:
            after = days[-1] + timedelta(days=1)
            before[name] = (days[0], after)
            start = local_midnight(after)
        if start < end:
            live[name] = (start, end)
    counted: dict[str, dict[str, int]] = {}
    if live:
        visits = distribution_figures.visits_in(spans_of(live.values()))
        aggregates = {}
        for name, (start, end) in live.items():
            inside = Q(created_at__gte=start, created_at__lt=end)
            aggregates[f"{name}_visits"] = Count("created_at", filter=inside)
            if name in before:
                month, day = before[name]
                earlier = MonthVisitor.objects.filter(month=month, key=OuterRef("key"), first_day__lt=day)
                visits = visits.annotate(**{f"{name}_counted": Exists(earlier)})
                inside &= Q(**{f"{name}_counted": False})
            aggregates[f"{name}_visitors"] = Count("key", filter=inside, distinct=True)
        row = visits.aggregate(**aggregates)
        counted = {name: {measure: row[f"{name}_{measure}"] or 0 for measure in ("visits", "visitors")} for name in live}
    empty = {"visits": 0, "visitors": 0}
    return {
        name: {
            "visits": sum(stored[day]["visits"] for day in kept[name]) + counted.get(name, empty)["visits"],
            "visitors": sum(stored[day]["month_new_visitors"] for day in kept[name]) + counted.get(name, empty)["visitors"],
        }
        for name in windows
    }


def day_windows(first: date, last: date, now: datetime) -> dict[str, Window]:
    """A window per local day from `first` to `last`, named by its ISO date; today's ends at `now`."""
    windows = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        start, end = day_window(day)
        windows[day.isoformat()] = (start, min(end, now))
    return windows


def daily_figures(source: Source, first: date, last: date, now: datetime | None = None) -> dict[date, dict[str, int]]:
    """{day: measures} of one source for every local day from `first` to `last`, today until `now`."""
    now = now or timezone.now()
    read = windowed_figures({source: day_windows(first, last, now)}, now)[source]
    return {date.fromisoformat(key): values for key, values in read.items()}
