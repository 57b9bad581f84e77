"""Reads of sample requests and quotas.

The quota of a distributor is its level's `SampleQuota.units_per_month` (0 when the level has none);
what it has used in a local calendar month is the units of its requests of that month that are
requested or approved (rejected and withdrawn ones give their units back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, Q, QuerySet, Sum

from fenxiao.catalog.models import Sku, purchasable_sku_q
from fenxiao.common import periods
from fenxiao.inventory.models import SAMPLES_LOCATION, StockRecord

from ..models import SampleQuota, SampleRequest

R = SampleRequest.Status
COUNTED = (R.REQUESTED, R.APPROVED)


def month_of(now: datetime | None = None) -> date:
    """The first day of the local calendar month of `now`."""
    return periods.month_start(periods.month_index(periods.local_today(now)))


def quota_units(level_id: int) -> int:
    found = SampleQuota.objects.filter(level_id=level_id).values_list("units_per_month", flat=True).first()
    return found or 0


def used_units(distributor_id: int, month: date) -> int:
    used = SampleRequest.objects.filter(distributor_id=distributor_id, month=month, status__in=COUNTED).aggregate(
        n=Sum("quantity")
    )["n"]
    return used or 0


@dataclass(frozen=True)
class Quota:
    month: date
    quota: int
    used: int

    @property
    def left(self) -> int:
        return max(self.quota - self.used, 0)

    @property
    def month_label(self) -> str:
        return periods.month_label(self.month)


def quota_of(distributor, now: datetime | None = None) -> Quota:
    month = month_of(now)
    return Quota(month=month, quota=quota_units(distributor.level_id), used=used_units(distributor.pk, month))


def requests_of(distributor, *, status: str | None = None) -> QuerySet:
    qs = SampleRequest.objects.filter(distributor=distributor).select_related("sku__product", "order")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def request_of(distributor, request_id: int) -> SampleRequest | None:
    """One of the distributor's own requests; somebody else's is None, like one that does not exist."""
    return requests_of(distributor).filter(pk=request_id).first()


def requests_for_review(*, status: str | None = None, month: date | None = None) -> QuerySet:
    qs = SampleRequest.objects.select_related("distributor__user", "distributor__level", "sku__product", "order")
    if status:
        qs = qs.filter(status=status)
    if month:
        qs = qs.filter(month=month)
    return qs.order_by("-created_at", "-id")


def request_detail(request_id: int) -> SampleRequest | None:
    return requests_for_review().filter(pk=request_id).prefetch_related("events__actor").first()


def monthly_totals(month: date) -> list[dict]:
    """Per distributor for the month, in one query: requests, units asked (requested + approved), units
    approved. The busiest first."""
    return list(
        SampleRequest.objects.filter(month=month)
        .values("distributor_id", "distributor__code", "distributor__real_name")
        .annotate(
            requests=Count("id"),
            units=Sum("quantity", filter=Q(status__in=COUNTED)),
            approved_units=Sum("quantity", filter=Q(status=R.APPROVED)),
        )
        .order_by("-units", "distributor_id")
    )


SAMPLE_SKUS_SHOWN = 200


def sample_skus(limit: int = SAMPLE_SKUS_SHOWN) -> list[tuple[Sku, int]]:
    """The sellable SKUs with units free in the samples' stock, with how many, in one query: what the
    request form offers."""
    records = (
        StockRecord.objects.filter(location=SAMPLES_LOCATION, on_hand__gt=F("reserved"))
        .filter(purchasable_sku_q("sku__"))
        .select_related("sku__product")
        .order_by("sku__product__name", "sku_id")[:limit]
    )
    return [(record.sku, record.on_hand - record.reserved) for record in records]
