"""Reads of the promotions app: the coupon centre, a person's coupon wallet, and `describe`, the one
place a coupon is put into words ("满 ¥100 减 ¥20 · 全部商品") for the pages, the API and the console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.catalog.models import Category
from fenxiao.common.money import yuan

from .models import Coupon, DiscountMode, RunStatus, Scope, UserCoupon

C = UserCoupon.Status


# --- words ----------------------------------------------------------------------------------------


def money_text(amount_fen: int) -> str:
    """2000 → '¥20', 1990 → '¥19.90': whole yuan without decimals, the way coupons read."""
    text = yuan(int(amount_fen))
    return f"¥{text[:-3]}" if text.endswith(".00") else f"¥{text}"


def discount_text(percent_off_bp: int) -> str:
    """1000 bp off → '9', 1500 → '8.5', 1250 → '8.75' (折)."""
    whole, rest = divmod(10_000 - int(percent_off_bp), 1_000)
    decimals = f"{rest:03d}".rstrip("0")
    return f"{whole}.{decimals}" if decimals else str(whole)


def value_text(coupon: Coupon) -> str:
    """What it takes off: '满 ¥100 减 ¥20', '满 ¥100 打 9 折，最多减 ¥30', '无门槛减 ¥5'."""
    if coupon.kind == DiscountMode.PERCENT:
        off = gettext("打 %(rate)s 折") % {"rate": discount_text(coupon.percent_off_bp)}
        if coupon.cap_fen:
            off = gettext("%(off)s，最多减 %(cap)s") % {"off": off, "cap": money_text(coupon.cap_fen)}
    else:
        off = gettext("减 %(amount)s") % {"amount": money_text(coupon.amount_fen)}
    if coupon.threshold_fen > 0:
        return gettext("满 %(threshold)s %(off)s") % {"threshold": money_text(coupon.threshold_fen), "off": off}
    return gettext("无门槛%(off)s") % {"off": off}


def scope_text(coupon: Coupon) -> str:
    """Where it applies: '全部商品', '指定类目：服饰、鞋包', '指定商品'. Reads `coupon.categories.all()`
    (prefetch it when describing many coupons)."""
    if coupon.scope == Scope.CATEGORIES:
        names = gettext("、").join(c.name for c in coupon.categories.all())
        return gettext("指定类目：%(names)s") % {"names": names} if names else str(Scope.CATEGORIES.label)
    if coupon.scope == Scope.PRODUCTS:
        return str(Scope.PRODUCTS.label)
    return str(Scope.ALL.label)


def describe(coupon: Coupon) -> str:
    """The short text of a coupon: its value and where it applies, '满 ¥100 减 ¥20 · 全部商品'."""
    return f"{value_text(coupon)} · {scope_text(coupon)}"


def validity_text(coupon: Coupon) -> str:
    """How long a coupon received now stays valid: '领取后 7 天内有效' or '2026-01-01 至 2026-01-31'."""
    if coupon.validity == Coupon.Validity.DAYS:
        return gettext("领取后 %(days)s 天内有效") % {"days": coupon.valid_days}
    until = timezone.localtime(coupon.valid_until).strftime("%Y-%m-%d")
    if coupon.valid_from:
        return gettext("%(start)s 至 %(end)s") % {
            "start": timezone.localtime(coupon.valid_from).strftime("%Y-%m-%d"),
            "end": until,
        }
    return gettext("%(end)s 前有效") % {"end": until}


# --- the coupon centre ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CentreEntry:
    coupon: Coupon
    held: int  # how many of it this person has received
    can_claim: bool
    remaining: int
    text: str
    scope: str
    validity: str


def _with_categories(queryset: QuerySet[Coupon]) -> QuerySet[Coupon]:
    return queryset.prefetch_related(
        Prefetch("categories", queryset=Category.objects.only("id", "name").order_by("sort_order", "id"))
    )


def claimable_now(now: datetime | None = None) -> QuerySet[Coupon]:
    """Active coupons the centre offers at `now`: claim window open, some left, validity not over."""
    now = now or timezone.now()
    return (
        Coupon.objects.filter(status=RunStatus.ACTIVE, claimable=True)
        .filter(Q(claim_starts_at__isnull=True) | Q(claim_starts_at__lte=now))
        .filter(Q(claim_ends_at__isnull=True) | Q(claim_ends_at__gt=now))
        .filter(Q(validity=Coupon.Validity.DAYS) | Q(valid_until__gt=now))
        .filter(issued_count__lt=F("total_quantity"))
    )


def coupon_centre(user=None) -> list[CentreEntry]:
    """What the coupon centre shows `user` (or a visitor): each coupon with how many are left and
    whether this person can still claim one. Two queries, however many coupons."""
    queryset = claimable_now()
    if user is not None and getattr(user, "is_authenticated", False):
        held = (
            UserCoupon.objects.filter(coupon=OuterRef("pk"), user=user)
            .order_by()
            .values("coupon")
            .annotate(n=Count("id"))
            .values("n")
        )
        queryset = queryset.annotate(held=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)))
    else:
        queryset = queryset.annotate(held=Value(0, output_field=IntegerField()))
    entries = []
    for coupon in _with_categories(queryset.order_by("-created_at", "-id")):
        held_count: int = getattr(coupon, "held")  # noqa: B009  (the annotation above)
        entries.append(
            CentreEntry(
                coupon=coupon,
                held=held_count,
                can_claim=held_count < coupon.per_person_limit,
                remaining=coupon.total_quantity - coupon.issued_count,
                text=value_text(coupon),
                scope=scope_text(coupon),
                validity=validity_text(coupon),
            )
        )
    return entries


# --- the wallet ------------------------------------------------------------------------------------

USABLE, USED, EXPIRED = "usable", "used", "expired"
WALLET_TABS: tuple[tuple[str, Any], ...] = ((USABLE, _("可使用")), (USED, _("已使用")), (EXPIRED, _("已过期")))


def _tab_filters(now: datetime) -> dict[str, Q]:
    return {
        USABLE: Q(status=C.AVAILABLE, valid_until__gt=now),
        # a coupon an unpaid order holds is not usable either; it shows with the used ones until the
        # order is paid (used) or ends (back to usable)
        USED: Q(status__in=(C.USED, C.RESERVED)),
        EXPIRED: Q(status=C.AVAILABLE, valid_until__lte=now) | Q(status=C.REVOKED),
    }


@dataclass(frozen=True)
class WalletEntry:
    held: UserCoupon
    text: str
    scope: str
    not_yet: bool  # valid later, not yet now


@dataclass(frozen=True)
class Wallet:
    tab: str
    counts: dict[str, int]
    entries: list[WalletEntry]


def wallet(user, tab: str = USABLE, *, now: datetime | None = None) -> Wallet:
    """A person's coupons on one tab (usable: soonest to expire first; used and expired: latest first)
    and how many each tab has. Three queries, however many coupons."""
    now = now or timezone.now()
    filters = _tab_filters(now)
    if tab not in filters:
        tab = USABLE
    mine = UserCoupon.objects.filter(user=user)
    counts = mine.aggregate(**{key: Count("id", filter=condition) for key, condition in filters.items()})
    rows = mine.filter(filters[tab]).select_related("coupon")
    rows = rows.order_by("valid_until", "id") if tab == USABLE else rows.order_by("-valid_until", "-id")
    rows = rows.prefetch_related(
        Prefetch("coupon__categories", queryset=Category.objects.only("id", "name").order_by("sort_order", "id"))
    )
    entries = [
        WalletEntry(held=row, text=value_text(row.coupon), scope=scope_text(row.coupon), not_yet=row.valid_from > now)
        for row in rows
    ]
    return Wallet(tab=tab, counts={key: counts[key] or 0 for key in filters}, entries=entries)


def usable_count(user, *, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return UserCoupon.objects.filter(user=user).filter(_tab_filters(now)[USABLE]).count()
