"""Local months (the project's time zone) as the earnings pages and the reconciliation name them."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common import periods

from ..errors import CommissionCode, CommissionError


def parse_month(text) -> tuple[str, datetime, datetime]:
    """'2026-11' → (the label, its first local instant, the first instant of the next month), local
    being the project's time zone (Asia/Shanghai). Anything else is refused with `invalid_month`."""
    first = periods.parse_month(str(text or ""))
    if first is None:
        raise CommissionError(
            CommissionCode.INVALID_MONTH,
            gettext("月份格式应为 YYYY-MM，例如 2026-11"),
            {"month": str(text or "")[:20]},
            status=422,
        )
    since, until = periods.month_bounds(first)
    return periods.month_label(first), since, until


def local_month_label(value: datetime) -> str:
    """A month truncated in local time, as YYYY-MM (some databases hand it back in UTC)."""
    if timezone.is_aware(value):
        value = value.astimezone(timezone.get_default_timezone())
    return f"{value:%Y-%m}"


def current_month(now: datetime | None = None) -> str:
    return periods.current_month(now)
