"""Reads of the members app: the settings row, tiers, a member's overview and points history, and the
integrity check behind `manage.py points_check`."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common import periods
from fenxiao.common.money import format_rate, yuan

from .models import MemberSettings, Membership, MemberSpend, MemberTier, PointsAccount, PointsLot, PointsMovement

#: Points expiring within this many days are listed as "expiring soon".
EXPIRING_SOON_DAYS = 30
MOVEMENTS_PER_PAGE = 20


def member_settings() -> MemberSettings:
    """The operator's settings, or the defaults while none were saved."""
    return MemberSettings.objects.filter(pk=1).first() or MemberSettings(pk=1)


def add_months(moment: datetime, months: int) -> datetime:
    """The same local time `months` later; a day the target month lacks becomes its last day."""
    local = timezone.localtime(moment, timezone.get_default_timezone())
    first = periods.month_start(periods.month_index(local.date()) + months)
    day = min(local.day, calendar.monthrange(first.year, first.month)[1])
    shifted = local.replace(year=first.year, month=first.month, day=day)
    return timezone.make_aware(shifted.replace(tzinfo=None), timezone.get_default_timezone())


def expiry_for(unfrozen_at: datetime, settings: MemberSettings | None = None) -> datetime | None:
    months = (settings or member_settings()).points_expiry_months
    return add_months(unfrozen_at, months) if months else None


def is_member_day(now: datetime, settings: MemberSettings | None = None) -> bool:
    day = (settings or member_settings()).member_day
    return day is not None and periods.local_today(now).day == day


def active_tiers() -> list[MemberTier]:
    """Active tiers from the lowest threshold up."""
    return list(MemberTier.objects.filter(is_active=True).order_by("min_spend_fen", "sort", "id"))


def tier_for_spend(tiers: list[MemberTier], spend_fen: int) -> MemberTier | None:
    """The highest of `tiers` (ordered lowest first) whose threshold `spend_fen` reaches."""
    reached = None
    for tier in tiers:
        if tier.min_spend_fen <= spend_fen:
            reached = tier
    return reached


def tier_rank(tiers: list[MemberTier], tier: MemberTier | None) -> int:
    """Position of `tier` among the active tiers (−1: none, or a tier no longer active)."""
    for index, candidate in enumerate(tiers):
        if tier is not None and candidate.pk == tier.pk:
            return index
    return -1


def window_start(now: datetime, settings: MemberSettings | None = None) -> datetime:
    return now - timedelta(days=(settings or member_settings()).spend_window_days)


def window_spend(user_id: int, now: datetime, settings: MemberSettings | None = None) -> int:
    """Spending of completed orders, net of their later refunds, counted within the window."""
    start = window_start(now, settings)
    total = MemberSpend.objects.filter(user_id=user_id, at__gt=start, at__lte=now).aggregate(s=Sum("amount_fen", default=0))["s"]
    return max(int(total), 0)


def in_tier_q(tier_id: int) -> Q:
    """A filter on users: those whose tier (as `tier_of` tells it) is `tier_id` — the members holding it,
    and, for the entry tier, also everybody whose membership names no active tier."""
    holding = Q(pk__in=Membership.objects.filter(tier_id=tier_id, tier__is_active=True).values("user_id"))
    entry = MemberTier.objects.filter(is_active=True, min_spend_fen=0).order_by("sort", "id").values_list("pk", flat=True).first()
    if entry != tier_id:
        return holding
    return holding | ~Q(pk__in=Membership.objects.filter(tier__isnull=False, tier__is_active=True).values("user_id"))


def tier_of(user: Any) -> MemberTier | None:
    """The buyer's tier: the one recorded on its membership while still active, else the entry tier
    (the active tier with no threshold), else none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    membership = Membership.objects.select_related("tier").filter(user_id=user.pk).first()
    if membership is not None and membership.tier is not None and membership.tier.is_active:
        return membership.tier
    return MemberTier.objects.filter(is_active=True, min_spend_fen=0).order_by("sort", "id").first()


def benefits(tier: MemberTier | None, settings: MemberSettings) -> list[str]:
    """The tier's benefits as sentences for the member centre."""
    if tier is None:
        return []
    lines = []
    if tier.prices.exists():
        lines.append(gettext("部分商品享会员价"))
    if tier.points_multiplier_bp != 10000:
        lines.append(gettext("购物积分 %(rate)s") % {"rate": format_rate(tier.points_multiplier_bp)})
    if settings.member_day and tier.member_day_discount_bp:
        lines.append(
            gettext("每月 %(day)d 日会员日，全场商品减 %(rate)s")
            % {"day": settings.member_day, "rate": format_rate(tier.member_day_discount_bp)}
        )
    return lines


# --- points ---------------------------------------------------------------------------------------


def _spendable(now: datetime) -> Q:
    return Q(frozen=False, remaining__gt=0) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def spendable_lots(user_id: int, now: datetime) -> QuerySet[PointsLot]:
    """The user's lots that can be spent now, first to expire first (FIFO by expiry; lots that never
    expire last, then in the order they came in)."""
    from django.db.models import F

    return PointsLot.objects.filter(_spendable(now), user_id=user_id).order_by(F("expires_at").asc(nulls_last=True), "id")


def spendable_points(user_id: int, now: datetime) -> int:
    """Points that can be spent now: the available lots not past their expiry (the daily expiry job
    may not have taken the expired ones out of the balance yet)."""
    return int(PointsLot.objects.filter(_spendable(now), user_id=user_id).aggregate(s=Sum("remaining", default=0))["s"])


@dataclass(frozen=True)
class Expiring:
    points: int
    expires_at: datetime


@dataclass
class PointsSummary:
    available: int
    frozen: int
    expiring: list[Expiring] = field(default_factory=list)

    @property
    def expiring_points(self) -> int:
        return sum(e.points for e in self.expiring)


def points_summary(user_id: int, now: datetime | None = None) -> PointsSummary:
    now = now or timezone.now()
    account = PointsAccount.objects.filter(user_id=user_id).first()
    soon = now + timedelta(days=EXPIRING_SOON_DAYS)
    expiring = [
        Expiring(points=lot.remaining, expires_at=lot.expires_at)
        for lot in PointsLot.objects.filter(_spendable(now), user_id=user_id, expires_at__lte=soon).order_by("expires_at", "id")
        if lot.expires_at is not None
    ]
    return PointsSummary(
        available=spendable_points(user_id, now) if account else 0, frozen=account.frozen if account else 0, expiring=expiring
    )


@dataclass
class MovementPage:
    items: list[PointsMovement]
    page: int
    pages: int
    total: int


def movement_rows(user_id: int, kind: str | None = None) -> QuerySet[PointsMovement]:
    """The user's points movements, newest first (one kind only when `kind` is given)."""
    rows = PointsMovement.objects.filter(user_id=user_id)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-at", "-id")


def movements(user_id: int, *, kind: str | None = None, page: int = 1, per_page: int = MOVEMENTS_PER_PAGE) -> MovementPage:
    rows = movement_rows(user_id, kind)
    total = rows.count()
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return MovementPage(items=list(rows[start : start + per_page]), page=page, pages=pages, total=total)


# --- the member centre ----------------------------------------------------------------------------


@dataclass
class Overview:
    tier: MemberTier | None
    spend_fen: int
    window_days: int
    next_tier: MemberTier | None
    to_next_fen: int
    progress_bp: int
    benefits: list[str]
    member_day: int | None
    is_member_day: bool
    points: PointsSummary
    points_per_yuan_off: int


def overview(user: Any, now: datetime | None = None) -> Overview:
    """What the member centre shows: tier, spending in the window, the next tier and how far, the
    benefits and the points."""
    from fenxiao.common.money import prorate

    now = now or timezone.now()
    settings = member_settings()
    tiers = active_tiers()
    tier = tier_of(user)
    spend = window_spend(user.pk, now, settings)
    rank = tier_rank(tiers, tier)
    next_tier = next((t for t in tiers[rank + 1 :] if t.min_spend_fen > spend), None) if tiers else None
    to_next = max(next_tier.min_spend_fen - spend, 0) if next_tier else 0
    progress = 10000
    if next_tier is not None and next_tier.min_spend_fen > 0:
        progress = prorate(10000, min(spend, next_tier.min_spend_fen), next_tier.min_spend_fen)
    return Overview(
        tier=tier,
        spend_fen=spend,
        window_days=settings.spend_window_days,
        next_tier=next_tier,
        to_next_fen=to_next,
        progress_bp=progress,
        benefits=benefits(tier, settings),
        member_day=settings.member_day,
        is_member_day=is_member_day(now, settings),
        points=points_summary(user.pk, now),
        points_per_yuan_off=settings.points_per_yuan_off,
    )


def next_tier_text(view: Overview) -> str:
    if view.next_tier is None:
        return gettext("已是最高等级")
    return gettext("再消费 ¥%(amount)s 升级为%(tier)s") % {"amount": yuan(view.to_next_fen), "tier": view.next_tier.name}


# --- integrity ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    user_id: int
    what: str  # available, frozen
    account: int
    movements: int
    lots: int

    def __str__(self) -> str:
        return gettext("用户 %(user)s 的%(what)s积分：账户 %(account)d，明细合计 %(movements)d，批次剩余合计 %(lots)d") % {
            "user": self.user_id,
            "what": gettext("可用") if self.what == "available" else gettext("冻结"),
            "account": self.account,
            "movements": self.movements,
            "lots": self.lots,
        }


def mismatches() -> Iterator[Mismatch]:
    """Every user whose balance row, sum of movements and sum of lot remainings disagree, for the
    available and the frozen points apart; three grouped queries."""
    accounts = {row[0]: (row[1], row[2]) for row in PointsAccount.objects.values_list("user_id", "available", "frozen")}
    moved = {
        row["user_id"]: (row["a"], row["f"])
        for row in PointsMovement.objects.values("user_id").annotate(a=Sum("available_delta"), f=Sum("frozen_delta")).order_by()
    }
    lots = {
        row["user_id"]: (row["a"], row["f"])
        for row in PointsLot.objects.values("user_id")
        .annotate(a=Sum("remaining", filter=Q(frozen=False), default=0), f=Sum("remaining", filter=Q(frozen=True), default=0))
        .order_by()
    }
    for user_id in sorted(set(accounts) | set(moved) | set(lots)):
        account, move, lot = accounts.get(user_id, (0, 0)), moved.get(user_id, (0, 0)), lots.get(user_id, (0, 0))
        for index, what in enumerate(("available", "frozen")):
            if not account[index] == move[index] == lot[index]:
                yield Mismatch(user_id, what, account[index], move[index], lot[index])


def totals() -> dict[str, int]:
    agg = PointsAccount.objects.aggregate(a=Sum("available", default=0), f=Sum("frozen", default=0))
    return {
        "accounts": PointsAccount.objects.count(),
        "movements": PointsMovement.objects.count(),
        "lots": PointsLot.objects.count(),
        "available": int(agg["a"]),
        "frozen": int(agg["f"]),
    }
