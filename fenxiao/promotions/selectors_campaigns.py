"""Reads of campaigns (大促 / 主题日), consumer referral (老带新) and the distributor starter pack:

- `early_access(user, now)`: the campaigns a distributor may enter early right now, and how early;
- `landing(campaign_id, user=…, now=…)`: what a campaign's landing page and API show;
- `calendar_month(year, month)`: the console calendar, campaigns and their promotions per day;
- `referral_overview(user)`, `starter_coupons_held(user)`: what the referral page and the distributor
  centre show.

Days are Asia/Shanghai days, whatever the server's zone.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog import selectors as catalog_selectors
from fenxiao.common.money import apply_rate
from fenxiao.distribution.models import Distributor

from . import selectors
from .models import (
    MAX_EARLY_ACCESS_HOURS,
    Campaign,
    Coupon,
    DiscountMode,
    FullReduction,
    FullReductionTier,
    Referral,
    ReferralCode,
    RunStatus,
    TimedDiscount,
    TimedDiscountItem,
    UserCoupon,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

UPCOMING = "upcoming"
EARLY = "early"
RUNNING = "running"
ENDED = "ended"


# --- early access ----------------------------------------------------------------------------------


def early_access(user, now: datetime | None = None) -> dict[int, timedelta]:
    """Campaign id → how early `user` may enter it, for the campaigns whose early window
    (`starts_at - early_access_hours` up to `starts_at`) is open for this user at `now`: the user is an
    approved distributor whose level is among the campaign's early-access levels, and the campaign is
    active. Anyone else, and any campaign already started, is absent. One query."""
    if not getattr(user, "is_authenticated", False) or not user.pk:
        return {}
    now = now or timezone.now()
    rows = (
        Campaign.objects.filter(
            status=RunStatus.ACTIVE,
            early_access_hours__gt=0,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=MAX_EARLY_ACCESS_HOURS),
            early_access_levels__distributors__user_id=user.pk,
            early_access_levels__distributors__status=Distributor.Status.APPROVED,
        )
        .values_list("pk", "starts_at", "early_access_hours")
        .distinct()
    )
    found: dict[int, timedelta] = {}
    for pk, starts_at, hours in rows:
        early = timedelta(hours=hours)
        if starts_at - early <= now:
            found[pk] = early
    return found


def phase(campaign: Campaign, now: datetime, early: timedelta | None = None) -> str:
    """Where the campaign stands for a viewer: upcoming, early (open to this viewer ahead of the
    others), running or ended. A paused campaign reads as upcoming before its end, ended after."""
    if campaign.status == RunStatus.ENDED or now >= campaign.ends_at:
        return ENDED
    if campaign.status != RunStatus.ACTIVE:
        return UPCOMING
    if now >= campaign.starts_at:
        return RUNNING
    if early and now >= campaign.starts_at - early:
        return EARLY
    return UPCOMING


# --- landing page ----------------------------------------------------------------------------------


@dataclass
class CouponEntry:
    coupon: Coupon
    text: str
    scope: str
    validity: str


@dataclass
class ReductionEntry:
    rule: FullReduction
    tiers: list[str]


@dataclass
class DealEntry:
    product_id: int
    product_name: str
    sku_id: int
    spec: str
    image: object  # the product's first picture (an ImageField file) or None
    price_fen: int
    deal_fen: int
    discount_name: str


@dataclass
class Landing:
    campaign: Campaign
    phase: str
    opens_at: datetime  # when it opens for this viewer (earlier for an early-access distributor)
    early: timedelta | None
    coupons: list[CouponEntry] = field(default_factory=list)
    reductions: list[ReductionEntry] = field(default_factory=list)
    deals: list[DealEntry] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.phase in (EARLY, RUNNING)


def visible_campaign(campaign_id: int) -> Campaign | None:
    """A campaign a visitor may open: any but a paused one."""
    return Campaign.objects.exclude(status=RunStatus.PAUSED).filter(pk=campaign_id).first()


def tier_text(rule: FullReduction, tier: FullReductionTier) -> str:
    """'满 ¥199 减 ¥30 · 包邮 · 送券 10 元无门槛券', '满 3 件 减 ¥20'."""
    if rule.basis == FullReduction.Basis.COUNT:
        head = gettext("满 %(n)s 件") % {"n": tier.threshold}
    else:
        head = gettext("满 %(amount)s") % {"amount": selectors.money_text(tier.threshold)}
    parts = []
    if tier.amount_off_fen:
        parts.append(gettext("减 %(amount)s") % {"amount": selectors.money_text(tier.amount_off_fen)})
    if tier.free_shipping:
        parts.append(gettext("包邮"))
    if tier.gift_coupon is not None:
        parts.append(gettext("送券：%(name)s") % {"name": tier.gift_coupon.name})
    points = getattr(tier, "points", 0)
    if points:
        parts.append(gettext("送 %(points)s 积分") % {"points": points})
    return f"{head} {' · '.join(parts)}" if parts else head


def deal_price(price_fen: int, item: TimedDiscountItem) -> int:
    """A unit's price under a timed discount item (never below zero)."""
    if item.mode == DiscountMode.AMOUNT:
        return max(0, price_fen - item.amount_off_fen)
    return max(0, price_fen - apply_rate(price_fen, item.percent_off_bp))


def landing(campaign_id: int, *, user=None, now: datetime | None = None) -> Landing | None:
    """The landing page of a campaign, or None when there is none to show (unknown or paused). Its
    coupons, 满减送 with their tiers in words and the products of its timed discounts with their
    discounted price (only what a buyer can buy). A constant number of queries."""
    now = now or timezone.now()
    campaign = visible_campaign(campaign_id)
    if campaign is None:
        return None
    early = early_access(user, now).get(campaign.pk) if user is not None else None
    page = Landing(
        campaign=campaign,
        phase=phase(campaign, now, early),
        opens_at=campaign.starts_at - early if early else campaign.starts_at,
        early=early,
    )
    coupons = (
        Coupon.objects.filter(campaign=campaign)
        .exclude(status=RunStatus.PAUSED)
        .prefetch_related("categories")
        .order_by("claim_starts_at", "pk")
    )
    page.coupons = [
        CouponEntry(coupon=c, text=selectors.value_text(c), scope=selectors.scope_text(c), validity=selectors.validity_text(c))
        for c in coupons
    ]
    rules = (
        FullReduction.objects.filter(campaign=campaign)
        .exclude(status=RunStatus.PAUSED)
        .prefetch_related(Prefetch("tiers", queryset=FullReductionTier.objects.select_related("gift_coupon")))
        .order_by("starts_at", "pk")
    )
    page.reductions = [ReductionEntry(rule=rule, tiers=[tier_text(rule, tier) for tier in rule.tiers.all()]) for rule in rules]
    items = list(
        TimedDiscountItem.objects.filter(discount__campaign=campaign)
        .exclude(discount__status=RunStatus.PAUSED)
        .select_related("discount", "sku")
        .order_by("discount__starts_at", "discount_id", "id")
    )
    on_sale = {
        product.pk: product
        for product in catalog_selectors.shelf_products().filter(pk__in={item.sku.product_id for item in items})
    }
    for item in items:
        product = on_sale.get(item.sku.product_id)
        if product is None or item.sku_id not in {sku.pk for sku in product.skus.all()}:
            continue
        images = list(product.images.all())
        page.deals.append(
            DealEntry(
                product_id=product.pk,
                product_name=product.name,
                sku_id=item.sku_id,
                spec=item.sku.spec,
                image=images[0].image if images else None,
                price_fen=item.sku.retail_fen,
                deal_fen=deal_price(item.sku.retail_fen, item),
                discount_name=item.discount.name,
            )
        )
    return page


# --- console calendar ------------------------------------------------------------------------------


@dataclass
class CalendarItem:
    kind: str  # "campaign", "coupon", "full_reduction", "timed_discount"
    label: str
    object_id: int
    campaign_id: int | None
    status: str
    starts: bool  # the item begins that day
    ends: bool  # the item ends that day


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    items: list[CalendarItem] = field(default_factory=list)


@dataclass
class CalendarMonth:
    year: int
    month: int
    weeks: list[list[CalendarDay]]
    previous: tuple[int, int]
    next: tuple[int, int]
    campaign_count: int


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment, SHANGHAI).date()


def _last_day(ends_at: datetime) -> date:
    """The last Shanghai day a window touches: ending at midnight sharp it ends the day before."""
    local = timezone.localtime(ends_at, SHANGHAI)
    return (local - timedelta(microseconds=1)).date()


def coupon_window(coupon: Coupon) -> tuple[datetime | None, datetime | None]:
    """When a coupon of a campaign can be had: its claim window, else its validity dates."""
    return coupon.claim_starts_at or coupon.valid_from, coupon.claim_ends_at or coupon.valid_until


def calendar_month(year: int, month: int, *, today: date | None = None) -> CalendarMonth:
    """A month grid (weeks from Monday) with each campaign that touches it and, under it, its coupons,
    满减送 and timed discounts, on every Shanghai day they run. Four queries."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    span_start = datetime.combine(grid_start, time.min, tzinfo=SHANGHAI)
    span_end = datetime.combine(grid_end + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    today = today or _local_day(timezone.now())
    campaigns = list(Campaign.objects.filter(starts_at__lt=span_end, ends_at__gt=span_start).order_by("starts_at", "pk"))
    ids = [c.pk for c in campaigns]
    spans: list[tuple[CalendarItem, date, date]] = []
    for c in campaigns:
        spans.append(
            (CalendarItem("campaign", c.name, c.pk, c.pk, c.status, False, False), _local_day(c.starts_at), _last_day(c.ends_at))
        )
    overlapping = Q(campaign_id__in=ids)
    for coupon in Coupon.objects.filter(overlapping).order_by("pk"):
        starts, ends = coupon_window(coupon)
        if starts is None or ends is None:
            continue
        item = CalendarItem("coupon", coupon.name, coupon.pk, coupon.campaign_id, coupon.status, False, False)
        spans.append((item, _local_day(starts), _last_day(ends)))
    for model, kind in ((FullReduction, "full_reduction"), (TimedDiscount, "timed_discount")):
        for promo in model.objects.filter(overlapping).order_by("starts_at", "pk"):
            item = CalendarItem(kind, promo.name, promo.pk, promo.campaign_id, promo.status, False, False)
            spans.append((item, _local_day(promo.starts_at), _last_day(promo.ends_at)))
    order: dict[int | None, int] = {pk: index for index, pk in enumerate(ids)}
    kinds = {"campaign": 0, "coupon": 1, "full_reduction": 2, "timed_discount": 3}
    spans.sort(key=lambda span: (order.get(span[0].campaign_id, 0), kinds[span[0].kind]))
    weeks: list[list[CalendarDay]] = []
    day = grid_start
    while day <= grid_end:
        week = []
        for _ in range(7):
            cell = CalendarDay(day=day, in_month=day.month == month, is_today=day == today)
            for item, first_day, last_day in spans:
                if first_day <= day <= last_day:
                    cell.items.append(
                        CalendarItem(
                            item.kind,
                            item.label,
                            item.object_id,
                            item.campaign_id,
                            item.status,
                            day == first_day,
                            day == last_day,
                        )
                    )
            week.append(cell)
            day += timedelta(days=1)
        weeks.append(week)
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return CalendarMonth(year, month, weeks, previous, following, len(campaigns))


# --- referral and starter pack ---------------------------------------------------------------------


@dataclass
class ReferralOverview:
    code: str
    invited: int
    rewarded: int
    referrals: list[Referral]


def referral_overview(user, code: ReferralCode, *, limit: int = 20) -> ReferralOverview:
    """What the referral page shows: how many friends signed up through the code, how many brought
    the reward (their first order completed), and the latest of them."""
    made = Referral.objects.filter(referrer=user)
    counts = {row["status"]: row["n"] for row in made.values("status").annotate(n=Count("id"))}
    latest = list(made.select_related("referee").order_by("-created_at", "-id")[:limit])
    return ReferralOverview(
        code=code.code,
        invited=sum(counts.values()),
        rewarded=counts.get(Referral.Status.REWARDED, 0),
        referrals=latest,
    )


def starter_coupons_held(user, *, now: datetime | None = None) -> int:
    """How many coupons of the distributor starter pack `user` holds and can still use."""
    now = now or timezone.now()
    return UserCoupon.objects.filter(
        user=user, source=UserCoupon.Source.STARTER, status=UserCoupon.Status.AVAILABLE, valid_until__gt=now
    ).count()
