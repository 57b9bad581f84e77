"""Reads of the points mall (积分商城): what is on offer now and how much of it a person may still take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import PointsExchange, PointsMallItem, RunStatus


@dataclass
class MallEntry:
    item: PointsMallItem
    remaining: int
    exchanged: int  # the person's exchanges still in force
    can_exchange: bool


def on_offer(now: datetime | None = None) -> QuerySet[PointsMallItem]:
    """Items switched on and inside their window (sold-out ones included: shown as such)."""
    now = now or timezone.now()
    return (
        PointsMallItem.objects.filter(status=RunStatus.ACTIVE)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now), Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("coupon", "sku__product")
        .order_by("sort", "-id")
    )


def mall_entries(user, now: datetime | None = None) -> list[MallEntry]:
    """The mall as `user` sees it (anonymous: nothing exchanged), in two queries."""
    items = list(on_offer(now))
    mine: dict[int, int] = {}
    if user is not None and getattr(user, "is_authenticated", False) and items:
        mine = dict(
            PointsExchange.objects.filter(user=user, item__in=items, status=PointsExchange.Status.DONE)
            .values("item_id")
            .annotate(n=Count("id"))
            .values_list("item_id", "n")
        )
    entries = []
    for item in items:
        remaining = max(item.total_quantity - item.exchanged_count, 0)
        held = mine.get(item.pk, 0)
        entries.append(
            MallEntry(item=item, remaining=remaining, exchanged=held, can_exchange=remaining > 0 and held < item.per_person_limit)
        )
    return entries


def exchanges_of(user) -> QuerySet[PointsExchange]:
    return PointsExchange.objects.filter(user=user).select_related("item").order_by("-created_at", "-id")
