"""Reads of the consumer-to-distributor conversion, for the operator: of the consumers invited to apply
in a date range (by invitation date, local days), how many applied and how many became distributors,
per local month and in total, with the median wait from invitation to approval; and, over all time,
how many consumers completed an order and how many of them are distributors now.

Rates are integer basis points (floored through fenxiao.common.money) with their percent text.
A handful of aggregate queries, whatever the number of invitations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.money import BASIS_POINTS, format_rate, prorate
from fenxiao.common.periods import local_midnight, local_today, month_index, month_label, month_start
from fenxiao.distribution.models import Distributor
from fenxiao.orders.models import Order

from ..errors import GrowthCode, GrowthError
from ..models import ApplyInvitation

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years of months on one page
DAY_SECONDS = 86_400


def rate_bp(part: int, whole: int) -> int:
    """`part / whole` in basis points, floored; 0 when there is nothing to divide."""
    return prorate(BASIS_POINTS, part, whole) if whole else 0


@dataclass(frozen=True)
class Funnel:
    """Invited → applied → became a distributor, for one month (label "2026-03") or the whole range."""

    label: str
    invited: int
    applied: int
    became: int

    @property
    def applied_rate_bp(self) -> int:
        return rate_bp(self.applied, self.invited)

    @property
    def rate_bp(self) -> int:
        return rate_bp(self.became, self.invited)

    @property
    def rate_text(self) -> str:
        return format_rate(self.rate_bp)

    @property
    def applied_rate_text(self) -> str:
        return format_rate(self.applied_rate_bp)


@dataclass(frozen=True)
class Conversion:
    start: date
    end: date  # inclusive
    total: Funnel
    months: list[Funnel]
    median_wait_seconds: int | None  # invitation → approval, over those approved
    buyers: int  # consumers with a completed order (not yet distributors when it completed), all time
    buyers_now_distributors: int

    @property
    def median_wait_days_text(self) -> str:
        """Days with one decimal, truncated: 2.5 for two and a half days; "" when nobody was approved."""
        if self.median_wait_seconds is None:
            return ""
        tenths = self.median_wait_seconds * 10 // DAY_SECONDS
        return f"{tenths // 10}.{tenths % 10}"

    @property
    def buyers_rate_bp(self) -> int:
        return rate_bp(self.buyers_now_distributors, self.buyers)

    @property
    def buyers_rate_text(self) -> str:
        return format_rate(self.buyers_rate_bp)


def date_range(start: date | None = None, end: date | None = None, *, today: date | None = None) -> tuple[date, date]:
    """The range asked for, defaulting to the last 30 local days up to today; both ends inclusive."""
    end = end or today or local_today()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise GrowthError(GrowthCode.INVALID_RANGE, gettext("开始日期不能晚于结束日期"), {"from": str(start), "to": str(end)})
    if (end - start).days >= MAX_DAYS:
        raise GrowthError(
            GrowthCode.INVALID_RANGE, gettext("日期范围最长两年"), {"from": str(start), "to": str(end), "max_days": MAX_DAYS}
        )
    return start, end


def _months(start: date, end: date) -> list[str]:
    return [month_label(month_start(i)) for i in range(month_index(start), month_index(end) + 1)]


def _median_wait(invitations) -> int | None:
    """The median of approval minus invitation time, read as the one or two middle rows in the
    database's own order, so it costs two small queries however many were approved."""
    approved = invitations.filter(approved_at__isnull=False)
    count = approved.count()
    if not count:
        return None
    waits = approved.annotate(wait=ExpressionWrapper(F("approved_at") - F("created_at"), output_field=DurationField()))
    middle = (count - 1) // 2
    picked = list(waits.order_by("wait", "pk").values_list("wait", flat=True)[middle : middle + (1 if count % 2 else 2)])
    micro = [w // timedelta(microseconds=1) for w in picked]
    return sum(micro) // len(micro) // 1_000_000


def _buyers() -> tuple[int, int]:
    """Users with a completed order who were not approved distributors when their first order
    completed, and how many of them are approved distributors now."""
    first_done = (
        Order.objects.filter(user_id=OuterRef("pk"), status=Order.Status.COMPLETED, completed_at__isnull=False)
        .order_by("completed_at")
        .values("completed_at")[:1]
    )
    consumers = (
        get_user_model()
        .objects.annotate(first_done=Subquery(first_done))
        .filter(first_done__isnull=False)
        .filter(
            Q(distributor__isnull=True)
            | Q(distributor__approved_at__isnull=True)
            | Q(distributor__approved_at__gt=F("first_done"))
        )
    )
    row = consumers.aggregate(buyers=Count("pk"), became=Count("pk", filter=Q(distributor__status=Distributor.Status.APPROVED)))
    return row["buyers"], row["became"]


def conversion(start: date | None = None, end: date | None = None, *, today: date | None = None) -> Conversion:
    start, end = date_range(start, end, today=today)
    invitations = ApplyInvitation.objects.filter(
        created_at__gte=local_midnight(start), created_at__lt=local_midnight(end + timedelta(days=1))
    )
    tz = timezone.get_default_timezone()
    rows = (
        invitations.annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values("month")
        .annotate(
            invited=Count("pk"),
            applied=Count("pk", filter=Q(applied_at__isnull=False)),
            became=Count("pk", filter=Q(approved_at__isnull=False)),
        )
        .order_by("month")
    )
    found = {month_label(local_today(row["month"])): row for row in rows}
    months = [
        Funnel(label, *(found[label][k] if label in found else 0 for k in ("invited", "applied", "became")))
        for label in _months(start, end)
    ]
    total = Funnel(
        f"{start:%Y-%m-%d} ~ {end:%Y-%m-%d}",
        sum(m.invited for m in months),
        sum(m.applied for m in months),
        sum(m.became for m in months),
    )
    buyers, became = _buyers()
    return Conversion(
        start=start,
        end=end,
        total=total,
        months=months,
        median_wait_seconds=_median_wait(invitations),
        buyers=buyers,
        buyers_now_distributors=became,
    )


def open_invitation(user) -> ApplyInvitation | None:
    """The invitation to show a user as "become a distributor": it was invited and has neither
    applied nor any distributor profile."""
    if not getattr(user, "is_authenticated", False):
        return None
    return ApplyInvitation.objects.filter(user=user, applied_at__isnull=True, user__distributor__isnull=True).first()
