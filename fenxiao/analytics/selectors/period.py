"""The local calendar months and quarters the team pages and the boards are read over."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext

from fenxiao.common import periods

from ..errors import AnalyticsCode, AnalyticsError

PERIOD_KINDS = ("month", "quarter")
OLDEST_OFFSET = -24  # how far back a period may be asked for


# --- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # "month" or "quarter"
    offset: int  # 0 = the current one, -1 = the previous one, …
    label: str  # "2026-03" or "2026-Q1"
    start: datetime  # local midnight of the first day
    end: datetime  # exclusive: local midnight of the first day of the next period


def period_for(kind: str = "month", offset: int = 0, *, now: datetime | None = None) -> Period:
    """The local calendar month or quarter `offset` periods from the one holding `now`."""
    if kind not in PERIOD_KINDS:
        raise AnalyticsError(AnalyticsCode.INVALID_PERIOD, gettext("统计周期只能是月或季度"), {"period": kind})
    if isinstance(offset, bool) or not isinstance(offset, int) or not OLDEST_OFFSET <= offset <= 0:
        raise AnalyticsError(
            AnalyticsCode.INVALID_PERIOD, gettext("只能查看本期或之前的周期（最多往前 24 期）"), {"offset": offset}
        )
    today = periods.local_today(now)
    span = 1 if kind == "month" else 3
    index = periods.month_index(today)
    if kind == "quarter":
        index -= (today.month - 1) % 3
    index += offset * span
    first, after = periods.month_start(index), periods.month_start(index + span)
    label = f"{first:%Y-%m}" if kind == "month" else f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return Period(kind=kind, offset=offset, label=label, start=periods.local_midnight(first), end=periods.local_midnight(after))


# --- a period named by its label -------------------------------------------------------------------

_MONTH_LABEL = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_QUARTER_LABEL = re.compile(r"^([0-9]{4})-Q([1-4])$")


def period_offset(kind: str, label: str, *, now: datetime | None = None) -> int:
    """How many periods the one labelled `label` ("2026-03", or "2026-Q1" for a quarter) lies from the
    current one: 0 for the current, -1 for the previous, positive for one still to come."""
    if kind not in PERIOD_KINDS:
        raise AnalyticsError(AnalyticsCode.INVALID_PERIOD, gettext("统计周期只能是月或季度"), {"period": kind})
    pattern = _MONTH_LABEL if kind == "month" else _QUARTER_LABEL
    match = pattern.match(label.strip()) if isinstance(label, str) else None
    year = int(match.group(1)) if match else 0
    if match is None or not periods.OLDEST_YEAR <= year <= 2999 or (kind == "month" and not 1 <= int(match.group(2)) <= 12):
        example = "2026-03" if kind == "month" else "2026-Q1"
        raise AnalyticsError(
            AnalyticsCode.INVALID_PERIOD, gettext("周期格式不正确，例如 %(example)s") % {"example": example}, {"label": label}
        )
    first_month = int(match.group(2)) if kind == "month" else (int(match.group(2)) - 1) * 3 + 1
    current = periods.month_index(periods.local_today(period_for(kind, 0, now=now).start))
    months = (year * 12 + first_month - 1) - current
    return months if kind == "month" else months // 3
