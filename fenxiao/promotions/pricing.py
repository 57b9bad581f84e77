"""The one price pipeline: the cart page, the quote API, checkout and the order all price here.

Fixed stages, integer fen, each working on what the earlier stages left (never on the list price):

1. per unit, on each line: the better of the member price and the timed discount (限时折扣), then the
   quantity tier (阶梯价) of the SKU;
2. on the order: 满减送 (per rule, the highest tier its in-scope goods meet), then one coupon. Each is
   spread over the lines it applies to in proportion to what they cost at that point, with
   `fenxiao.common.money.allocate`, so the shares always add up and no line goes below zero;
3. shipping (shipping templates, or free through a 满减送 tier).

Thresholds are checked on the amount after the earlier stages, and a percentage applies to that
amount too (a percentage coupon on the undiscounted total is how free orders happen). Every stage is
recorded per line (`PricedLine.adjustments`): the commission base, the refund ceiling and the order's
breakdown read what was really paid for each line.

Reads: a fixed number of queries whatever the number of lines and of promotions running.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.shipping import ShippingItem, quote_shipping
from fenxiao.common.money import allocate, apply_rate, yuan
from fenxiao.members.pricing import BuyerTerms, PointsOffer, buyer_terms, member_unit_prices, points_quote, points_to_earn

from .errors import PromotionCode, PromotionError
from .models import (
    Coupon,
    DiscountMode,
    FullReduction,
    FullReductionTier,
    QuantityTier,
    RunStatus,
    Scope,
    TimedDiscountItem,
    UserCoupon,
)
from .selectors_campaigns import early_access
from .stages import STAGE_ORDER, PriceStage


class _Auto:
    """Pick the best usable coupon (the default on checkout)."""

    def __repr__(self) -> str:
        return "AUTO"


AUTO: Any = _Auto()


class _AllPoints:
    """Use as many points as the order allows (the checkout's 使用积分 switch)."""

    def __repr__(self) -> str:
        return "ALL_POINTS"


ALL_POINTS: Any = _AllPoints()


@dataclass(frozen=True)
class Adjustment:
    stage: str
    amount_fen: int
    source_id: int | None
    label: str


@dataclass
class PricedLine:
    sku_id: int
    product_id: int
    category_id: int
    quantity: int
    unit_price_fen: int  # the list price at the time of pricing
    unit_cost_fen: int
    weight_g: int = 0
    adjustments: list[Adjustment] = field(default_factory=list)
    # After the per-unit stages: what one unit costs (the order-level stages then work on the line).
    unit_net_fen: int = 0

    @property
    def line_total_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    @property
    def discount_fen(self) -> int:
        return sum(a.amount_fen for a in self.adjustments)

    @property
    def paid_fen(self) -> int:
        return self.line_total_fen - self.discount_fen

    def stage_fen(self, stage: str) -> int:
        return sum(a.amount_fen for a in self.adjustments if a.stage == stage)


@dataclass(frozen=True)
class CouponOption:
    """A coupon the buyer holds, as checkout shows it: what it would take off this order, or why it
    cannot be used here."""

    user_coupon_id: int
    coupon_id: int
    name: str
    valid_until: datetime
    discount_fen: int
    usable: bool
    code: str = ""  # why not (a PromotionCode), empty when usable
    reason: str = ""


@dataclass(frozen=True)
class Gift:
    """买赠: a zero-price line a 满减送 tier adds to the order (while its stock lasts)."""

    sku: Any
    quantity: int
    rule_id: int
    label: str


@dataclass(frozen=True)
class ActivityTerms:
    """An activity order's terms (秒杀, 拼团, 砍价): the activity price of each SKU it sells, set by the
    activity. Such an order takes no member price, timed discount, tier price, 满减 or coupon; points
    only when `allow_points`. A price below the SKU's control price (控价) is allowed: platform
    activities are exempt, and the order says so."""

    kind: str
    activity_id: int
    label: str  # e.g. "秒杀价" or the activity's name
    unit_prices: dict[int, int]  # sku id → activity unit price, fen
    allow_points: bool = False
    pays_commission: bool = True


@dataclass
class Quote:
    lines: list[PricedLine]
    goods_fen: int
    shipping_fen: int = 0
    shipping_free_by: str = ""  # "full_reduction" | "template" | ""
    shipping_hint: dict | None = None
    undeliverable_product_ids: list[int] = field(default_factory=list)
    coupon_options: list[CouponOption] = field(default_factory=list)
    user_coupon_id: int | None = None
    applied_tiers: list[FullReductionTier] = field(default_factory=list)
    points_offer: PointsOffer | None = None
    points_used: int = 0
    points_to_earn: int = 0  # the buyer's points for this order (rate × tier) and the 满减送 tiers' points
    activity: ActivityTerms | None = None
    below_control_sku_ids: list[int] = field(default_factory=list)  # activity prices under the SKU's 控价

    @property
    def gifts(self) -> list[Gift]:
        return [
            Gift(sku=tier.gift_sku, quantity=tier.gift_quantity, rule_id=tier.rule_id, label=tier.rule.name)
            for tier in self.applied_tiers
            if tier.gift_sku is not None and tier.gift_sku.is_active
        ]

    @property
    def gift_coupon_ids(self) -> list[int]:
        return [tier.gift_coupon_id for tier in self.applied_tiers if tier.gift_coupon_id is not None]

    @property
    def bonus_points(self) -> int:
        return sum(tier.points for tier in self.applied_tiers)

    @property
    def discount_fen(self) -> int:
        return sum(line.discount_fen for line in self.lines)

    @property
    def total_fen(self) -> int:
        return self.goods_fen - self.discount_fen + self.shipping_fen

    def stage_totals(self) -> list[dict[str, Any]]:
        """Per stage and source, in pipeline order: what it took off the order."""
        totals: dict[tuple[str, int | None], list[Any]] = {}
        for line in self.lines:
            for adj in line.adjustments:
                key = (adj.stage, adj.source_id)
                if key not in totals:
                    totals[key] = [adj.label, 0]
                totals[key][1] += adj.amount_fen
        rank = {stage: i for i, stage in enumerate(STAGE_ORDER)}
        ordered = sorted(totals.items(), key=lambda item: (rank[item[0][0]], item[0][1] or 0))
        return [
            {"stage": stage, "source_id": source_id, "label": label, "amount_fen": amount}
            for (stage, source_id), (label, amount) in ordered
            if amount
        ]

    def breakdown(self) -> dict[str, Any]:
        """What the pages, the API and the order keep: each step of the price, in fen."""
        stages = self.stage_totals()
        option = next((o for o in self.coupon_options if o.user_coupon_id == self.user_coupon_id), None)
        return {
            "goods_fen": self.goods_fen,
            "discounts": [
                {
                    "code": s["stage"],
                    "stage": s["stage"],
                    "source_id": s["source_id"],
                    "label": s["label"],
                    "amount_fen": s["amount_fen"],
                }
                for s in stages
            ],
            "discount_fen": self.discount_fen,
            "shipping_fen": self.shipping_fen,
            "shipping_free_by": self.shipping_free_by,
            "total_fen": self.total_fen,
            "coupon": (
                {
                    "user_coupon_id": option.user_coupon_id,
                    "coupon_id": option.coupon_id,
                    "name": option.name,
                    "amount_fen": option.discount_fen,
                }
                if option
                else None
            ),
            "gifts": [
                {
                    "sku_id": gift.sku.pk,
                    "name": gift.sku.product.name,
                    "spec": gift.sku.spec,
                    "quantity": gift.quantity,
                    "rule_id": gift.rule_id,
                    "label": gift.label,
                }
                for gift in self.gifts
            ],
            "gift_coupons": [
                {"coupon_id": tier.gift_coupon.pk, "name": tier.gift_coupon.name, "rule_id": tier.rule_id}
                for tier in self.applied_tiers
                if tier.gift_coupon is not None
            ],
            "bonus_points": self.bonus_points,
            "points_used": self.points_used,
            "points_fen": sum(line.stage_fen(PriceStage.POINTS) for line in self.lines),
            "points_to_earn": self.points_to_earn,
            "points_offer": (
                {
                    "balance": self.points_offer.balance,
                    "max_points": self.points_offer.max_points,
                    "max_fen": self.points_offer.max_fen,
                    "ratio": self.points_offer.ratio,
                }
                if self.points_offer is not None
                else None
            ),
            "activity": (
                {
                    "kind": self.activity.kind,
                    "activity_id": self.activity.activity_id,
                    "label": self.activity.label,
                    "pays_commission": self.activity.pays_commission,
                    "allow_points": self.activity.allow_points,
                    "below_control_sku_ids": self.below_control_sku_ids,
                    "control_note": gettext("平台活动价，不受控价限制") if self.below_control_sku_ids else "",
                }
                if self.activity is not None
                else None
            ),
            "lines": [
                {
                    "sku_id": line.sku_id,
                    "quantity": line.quantity,
                    "unit_price_fen": line.unit_price_fen,
                    "line_total_fen": line.line_total_fen,
                    "discount_fen": line.discount_fen,
                    "paid_fen": line.paid_fen,
                    "adjustments": [
                        {"stage": a.stage, "source_id": a.source_id, "label": a.label, "amount_fen": a.amount_fen}
                        for a in line.adjustments
                    ],
                }
                for line in self.lines
            ],
        }


# --- reading what runs now ---------------------------------------------------------------------


@dataclass
class Running:
    timed: dict[int, TimedDiscountItem]  # sku id → the item of the running timed discount
    tiers: dict[int, list[QuantityTier]]  # sku id → tiers, highest min quantity first
    reductions: list[FullReduction]
    coupons: list[UserCoupon]
    member_prices: dict[int, tuple[int, str]] = field(default_factory=dict)  # sku id → (member unit price, label)
    terms: BuyerTerms | None = None  # the buyer's tier and the membership settings (None: no buyer)
    early: dict[int, timedelta] = field(default_factory=dict)  # campaign id → how early this buyer may enter


def _running(*, user, sku_ids: Sequence[int], now: datetime, with_coupons: bool, retail: dict[int, int] | None = None) -> Running:
    # 活动优先权: the campaigns this buyer may enter early, and how early (one query; none for a guest).
    early = early_access(user, now) if user is not None and getattr(user, "is_authenticated", False) else {}
    horizon = now + max(early.values(), default=timedelta(0))

    def started(starts_at: datetime, campaign_id: int | None) -> bool:
        return starts_at <= now or (campaign_id in early and starts_at - early[campaign_id] <= now)

    timed: dict[int, TimedDiscountItem] = {}
    items = (
        TimedDiscountItem.objects.filter(
            sku_id__in=sku_ids,
            discount__status=RunStatus.ACTIVE,
            discount__starts_at__lte=horizon,
            discount__ends_at__gt=now,
        )
        .select_related("discount")
        .order_by("discount__starts_at", "id")
    )
    for item in items:
        if started(item.discount.starts_at, item.discount.campaign_id):
            timed.setdefault(item.sku_id, item)  # overlaps are refused when set up; the earliest wins if any slipped in
    tiers: dict[int, list[QuantityTier]] = defaultdict(list)
    for tier in QuantityTier.objects.filter(sku_id__in=sku_ids).order_by("sku_id", "-min_quantity"):
        tiers[tier.sku_id].append(tier)
    reductions = list(
        FullReduction.objects.filter(status=RunStatus.ACTIVE, starts_at__lte=horizon, ends_at__gt=now)
        .prefetch_related(
            Prefetch(
                "tiers",
                queryset=FullReductionTier.objects.select_related("gift_coupon", "gift_sku__product").order_by("-threshold"),
            ),
            "categories",
            "products",
        )
        .order_by("starts_at", "id")
    )
    reductions = [rule for rule in reductions if started(rule.starts_at, rule.campaign_id)]
    coupons: list[UserCoupon] = []
    if with_coupons and user is not None and getattr(user, "pk", None):
        coupons = list(
            UserCoupon.objects.filter(user=user, status=UserCoupon.Status.AVAILABLE, valid_until__gt=now)
            .select_related("coupon")
            .prefetch_related("coupon__categories", "coupon__products")
            .order_by("valid_until", "id")
        )
    terms = buyer_terms(user) if user is not None and getattr(user, "is_authenticated", False) else None
    member_prices = (
        member_unit_prices(user, list(sku_ids), now, terms=terms, retail=retail) if sku_ids and terms is not None else {}
    )
    return Running(
        timed=timed,
        tiers=dict(tiers),
        reductions=reductions,
        coupons=coupons,
        member_prices=member_prices,
        terms=terms,
        early=early,
    )


def _in_scope(promo: Coupon | FullReduction, line: PricedLine) -> bool:
    if promo.scope == Scope.ALL:
        return True
    # The promotion's category and product ids, read from its prefetched scope once per quote.
    ids: frozenset[int] | None = getattr(promo, "_scope_ids", None)
    if ids is None:
        ids = frozenset(obj.pk for obj in (promo.categories.all() if promo.scope == Scope.CATEGORIES else promo.products.all()))
        promo._scope_ids = ids  # type: ignore[union-attr]
    return (line.category_id if promo.scope == Scope.CATEGORIES else line.product_id) in ids


# --- the stages --------------------------------------------------------------------------------


def _unit_off(mode: str, unit_fen: int, *, amount_fen: int, percent_bp: int) -> int:
    if mode == DiscountMode.AMOUNT:
        return min(amount_fen, unit_fen)
    return apply_rate(unit_fen, percent_bp)


def _unit_stages(lines: list[PricedLine], running: Running) -> None:
    for line in lines:
        unit = line.unit_price_fen
        # The better of the member price and the timed discount (the member price when equal).
        best: Adjustment | None = None
        member = running.member_prices.get(line.sku_id)
        if member is not None and 0 <= member[0] < unit:
            best = Adjustment(PriceStage.MEMBER, unit - member[0], None, member[1])
        item = running.timed.get(line.sku_id)
        if item is not None:
            off = _unit_off(item.mode, unit, amount_fen=item.amount_off_fen, percent_bp=item.percent_off_bp)
            if off and (best is None or off > best.amount_fen):
                best = Adjustment(PriceStage.TIMED, off, item.discount_id, item.discount.name)
        if best is not None:
            line.adjustments.append(Adjustment(best.stage, best.amount_fen * line.quantity, best.source_id, best.label))
            unit -= best.amount_fen
        for tier in running.tiers.get(line.sku_id, ()):
            if line.quantity >= tier.min_quantity:
                off = apply_rate(unit, tier.percent_off_bp)
                if off:
                    label = gettext("满 %(n)s 件 %(rate)s 折") % {
                        "n": tier.min_quantity,
                        "rate": _zhe(tier.percent_off_bp),
                    }
                    line.adjustments.append(Adjustment(PriceStage.TIER, off * line.quantity, tier.pk, label))
                    unit -= off
                break
        line.unit_net_fen = unit


def _zhe(percent_off_bp: int) -> str:
    """5% off → "9.5" (折)."""
    tenths = (10_000 - percent_off_bp) / 1000
    return f"{tenths:.2f}".rstrip("0").rstrip(".")


def _spread(lines: list[PricedLine], amount_fen: int, adjustment: tuple[str, int | None, str]) -> int:
    """Spread an order-level amount over `lines` in proportion to what each costs now; capped at
    their total. Returns the amount spread."""
    weights = [line.paid_fen for line in lines]
    amount = min(amount_fen, sum(weights))
    if amount <= 0:
        return 0
    stage, source_id, label = adjustment
    for line, share in zip(lines, allocate(amount, weights), strict=True):
        if share:
            line.adjustments.append(Adjustment(stage, share, source_id, label))
    return amount


def _full_reduction_stage(lines: list[PricedLine], running: Running) -> tuple[list[FullReductionTier], bool]:
    applied: list[FullReductionTier] = []
    free_shipping = False
    for rule in running.reductions:
        scoped = [line for line in lines if _in_scope(rule, line)]
        if not scoped:
            continue
        measure = (
            sum(line.paid_fen for line in scoped)
            if rule.basis == FullReduction.Basis.AMOUNT
            else sum(line.quantity for line in scoped)
        )
        tier = next((t for t in rule.tiers.all() if measure >= t.threshold), None)  # highest first
        if tier is None:
            continue
        applied.append(tier)
        free_shipping = free_shipping or tier.free_shipping
        if tier.amount_off_fen:
            _spread(scoped, tier.amount_off_fen, (PriceStage.FULL_REDUCTION, rule.pk, rule.name))
    return applied, free_shipping


def _coupon_value(coupon: Coupon, scoped_fen: int) -> int:
    if coupon.kind == DiscountMode.AMOUNT:
        return min(coupon.amount_fen, scoped_fen)
    off = apply_rate(scoped_fen, coupon.percent_off_bp)
    return off if coupon.cap_fen is None else min(off, coupon.cap_fen)


def _coupon_option(
    held: UserCoupon, lines: list[PricedLine], now: datetime, early: dict[int, timedelta] | None = None
) -> CouponOption:
    coupon = held.coupon

    def option(*, discount_fen: int = 0, code: str = "", reason: str = "") -> CouponOption:
        return CouponOption(
            user_coupon_id=held.pk,
            coupon_id=coupon.pk,
            name=coupon.name,
            valid_until=held.valid_until,
            discount_fen=discount_fen,
            usable=not code,
            code=code,
            reason=reason,
        )

    ahead = (early or {}).get(coupon.campaign_id) if coupon.campaign_id else None
    if held.valid_from > now and not (ahead is not None and held.valid_from - ahead <= now):
        when = timezone.localtime(held.valid_from).strftime("%Y-%m-%d %H:%M")
        return option(
            code=PromotionCode.COUPON_NOT_STARTED,
            reason=gettext("%(when)s 起可用") % {"when": when},
        )
    scoped = [line for line in lines if _in_scope(coupon, line)]
    if not scoped:
        return option(code=PromotionCode.COUPON_OUT_OF_SCOPE, reason=gettext("订单中没有适用的商品"))
    scoped_fen = sum(line.paid_fen for line in scoped)
    if scoped_fen < coupon.threshold_fen or scoped_fen == 0:
        return option(
            code=PromotionCode.COUPON_THRESHOLD_NOT_MET,
            reason=gettext("适用商品满 ¥%(threshold)s 可用，还差 ¥%(missing)s")
            % {"threshold": yuan(coupon.threshold_fen), "missing": yuan(max(1, coupon.threshold_fen - scoped_fen))},
        )
    value = _coupon_value(coupon, scoped_fen)
    if value <= 0:
        return option(code=PromotionCode.COUPON_NOT_USABLE, reason=gettext("这个订单用不上这张券"))
    return option(discount_fen=value)


def _unusable(option: CouponOption) -> PromotionError:
    """The refusal of a coupon the buyer named that cannot be used on this order, with its reason."""
    detail = {"user_coupon_id": option.user_coupon_id}
    if option.code == PromotionCode.COUPON_NOT_STARTED:
        return PromotionError(PromotionCode.COUPON_NOT_STARTED, option.reason, detail)
    if option.code == PromotionCode.COUPON_OUT_OF_SCOPE:
        return PromotionError(PromotionCode.COUPON_OUT_OF_SCOPE, option.reason, detail)
    if option.code == PromotionCode.COUPON_THRESHOLD_NOT_MET:
        return PromotionError(PromotionCode.COUPON_THRESHOLD_NOT_MET, option.reason, detail)
    return PromotionError(PromotionCode.COUPON_NOT_USABLE, option.reason, detail)


def _coupon_stage(lines: list[PricedLine], running: Running, choice: Any, now: datetime) -> tuple[list[CouponOption], int | None]:
    options = [_coupon_option(held, lines, now, running.early) for held in running.coupons]
    if choice is None:
        return options, None
    if choice is AUTO:
        usable = [o for o in options if o.usable]
        # The most off; between equals, the one that runs out first.
        chosen = max(usable, key=lambda o: (o.discount_fen, -o.valid_until.timestamp(), -o.user_coupon_id), default=None)
    else:
        chosen = next((o for o in options if o.user_coupon_id == choice), None)
        if chosen is None:
            raise PromotionError(
                PromotionCode.COUPON_UNAVAILABLE,
                gettext("这张优惠券不存在、已使用或已过期"),
                {"user_coupon_id": choice},
                status=409,
            )
        if not chosen.usable:
            raise _unusable(chosen)
    if chosen is None:
        return options, None
    held = next(h for h in running.coupons if h.pk == chosen.user_coupon_id)
    scoped = [line for line in lines if _in_scope(held.coupon, line)]
    _spread(scoped, chosen.discount_fen, (PriceStage.COUPON, held.coupon_id, held.coupon.name))
    return options, chosen.user_coupon_id


# --- the pipeline ------------------------------------------------------------------------------


def apply_stages(quote: Quote, running: Running, *, coupon: Any, now: datetime) -> bool:
    """The goods stages up to the coupon in their fixed order, on what `running` holds (no queries).
    Returns whether a 满减送 tier ships the order free."""
    _unit_stages(quote.lines, running)
    quote.applied_tiers, free_shipping = _full_reduction_stage(quote.lines, running)
    quote.coupon_options, quote.user_coupon_id = _coupon_stage(quote.lines, running, coupon, now)
    return free_shipping


def _points_stage(quote: Quote, user, points: Any, now: datetime, terms: BuyerTerms | None) -> None:
    """Points pay for part of what is left of the goods, within the buyer's balance and the operator's
    cap per order; spread over the lines like the coupon."""
    if terms is None:
        return
    payable = sum(line.paid_fen for line in quote.lines)
    offer = points_quote(user, payable, payable, now, terms=terms)
    quote.points_offer = offer
    if points is ALL_POINTS:
        wanted = offer.max_points
    else:
        wanted = int(points or 0)
        if wanted < 0:
            raise PromotionError(PromotionCode.INVALID_POINTS, gettext("积分数不能为负"), {"points": wanted}, status=422)
        if wanted > offer.balance:
            raise PromotionError(
                PromotionCode.NOT_ENOUGH_POINTS,
                gettext("积分不足：可用 %(balance)s 分") % {"balance": offer.balance},
                {"points": wanted, "balance": offer.balance},
                status=409,
            )
        if wanted > offer.max_points:
            raise PromotionError(
                PromotionCode.POINTS_OVER_LIMIT,
                gettext("本单最多可用 %(max)s 分（抵 ¥%(fen)s）") % {"max": offer.max_points, "fen": yuan(offer.max_fen)},
                {"points": wanted, "max_points": offer.max_points},
                status=422,
            )
    fen = offer.fen_for(wanted)
    if wanted <= 0 or fen <= 0:
        return
    quote.points_used = wanted
    _spread(quote.lines, fen, (PriceStage.POINTS, None, gettext("积分抵扣 %(n)s 分") % {"n": wanted}))


def price(
    *,
    user,
    items: Iterable[tuple[Any, int]],
    province: str | None = None,
    coupon: Any = AUTO,
    points: Any = 0,
    now: datetime | None = None,
    activity: ActivityTerms | None = None,
) -> Quote:
    """Price `items` ((sku, quantity), the SKU with its product) for `user`.

    `activity`: the terms of the one activity the order is placed in (see ActivityTerms); the order
    is then priced by `_activity_price` instead of the promotion stages.

    `coupon`: AUTO (the best usable one the buyer holds), None (no coupon) or a held coupon's id (which
    must be usable here, else PromotionError saying why). `points`: how many points to spend (0, a
    number within the balance and the order's cap, or ALL_POINTS for as many as allowed). `province`
    (a province name) decides the shipping rate and the regions not delivered to; without it the base
    rates apply.
    """
    now = now or timezone.now()
    items = list(items)
    if activity is not None:
        return _activity_price(
            user=user, items=items, province=province, coupon=coupon, points=points, now=now, activity=activity
        )
    lines = [
        PricedLine(
            sku_id=sku.pk,
            product_id=sku.product_id,
            category_id=sku.product.category_id,
            quantity=quantity,
            unit_price_fen=sku.retail_fen,
            unit_cost_fen=sku.cost_fen,
            weight_g=getattr(sku, "weight_g", 0) or 0,
        )
        for sku, quantity in items
    ]
    running = _running(
        user=user,
        sku_ids=[line.sku_id for line in lines],
        now=now,
        with_coupons=True,
        retail={line.sku_id: line.unit_price_fen for line in lines},
    )
    quote = Quote(lines=lines, goods_fen=sum(line.line_total_fen for line in lines))
    free_shipping = apply_stages(quote, running, coupon=coupon, now=now)
    _points_stage(quote, user, points, now, running.terms)
    earned = points_to_earn(user, sum(line.paid_fen for line in lines), terms=running.terms) if running.terms else 0
    quote.points_to_earn = earned + quote.bonus_points
    _ship(quote, lines, province, free_shipping)
    return quote


def _ship(quote: Quote, lines: list[PricedLine], province: str | None, free_shipping: bool) -> None:
    shipping = quote_shipping(
        [
            ShippingItem(product_id=ln.product_id, quantity=ln.quantity, weight_g=ln.weight_g, amount_fen=ln.paid_fen)
            for ln in lines
        ],
        province=province,
    )
    quote.undeliverable_product_ids = list(shipping.undeliverable_product_ids)
    if free_shipping:
        quote.shipping_fen, quote.shipping_free_by = 0, "full_reduction"
    else:
        quote.shipping_fen = shipping.fee_fen
        quote.shipping_free_by = "template" if shipping.fee_fen == 0 else ""
        quote.shipping_hint = shipping.free_hint


def _activity_price(
    *, user, items: list[tuple[Any, int]], province: str | None, coupon: Any, points: Any, now: datetime, activity: ActivityTerms
) -> Quote:
    """An activity order: each SKU at its activity price (the ACTIVITY stage takes list − activity
    price per unit), then points if the activity allows them, then shipping. No other promotion."""
    if coupon is not AUTO and coupon is not None:
        raise PromotionError(
            PromotionCode.ACTIVITY_NO_COUPON, gettext("活动商品不能使用优惠券"), {"user_coupon_id": coupon}, status=422
        )
    if not activity.allow_points and (points is ALL_POINTS or (points or 0) != 0):
        raise PromotionError(
            PromotionCode.ACTIVITY_NO_POINTS, gettext("该活动不能使用积分抵扣"), {"points": str(points)}, status=422
        )
    lines: list[PricedLine] = []
    below_control: list[int] = []
    for sku, quantity in items:
        if sku.pk not in activity.unit_prices:
            raise PromotionError(
                PromotionCode.ACTIVITY_SKU_NOT_INCLUDED, gettext("该商品不在活动中"), {"sku_id": sku.pk}, status=422
            )
        line = PricedLine(
            sku_id=sku.pk,
            product_id=sku.product_id,
            category_id=sku.product.category_id,
            quantity=quantity,
            unit_price_fen=sku.retail_fen,
            unit_cost_fen=sku.cost_fen,
            weight_g=getattr(sku, "weight_g", 0) or 0,
        )
        unit = min(activity.unit_prices[sku.pk], sku.retail_fen)
        if unit < sku.retail_fen:
            line.adjustments.append(
                Adjustment(PriceStage.ACTIVITY, (sku.retail_fen - unit) * quantity, activity.activity_id, activity.label)
            )
        line.unit_net_fen = unit
        if unit < (getattr(sku, "control_fen", 0) or 0):
            below_control.append(sku.pk)
        lines.append(line)
    quote = Quote(lines=lines, goods_fen=sum(line.line_total_fen for line in lines), activity=activity)
    quote.below_control_sku_ids = below_control
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    terms = buyer_terms(user) if authenticated else None
    if activity.allow_points:
        _points_stage(quote, user, points, now, terms)
    quote.points_to_earn = points_to_earn(user, sum(line.paid_fen for line in lines), terms=terms) if terms else 0
    _ship(quote, lines, province, False)
    return quote


def running_without_buyer(*, now: datetime | None = None) -> Running:
    """What runs now that applies to any buyer's order as a whole: the 满减送 (no coupons, which are
    someone's; no per-SKU prices). For priced scenarios without real SKUs, as the commission plan
    simulator's synthetic orders."""
    return _running(user=None, sku_ids=[], now=now or timezone.now(), with_coupons=False)


def synthetic_paid(*, category_id: int, list_fen: int, running: Running, now: datetime) -> int:
    """What a one-line order of `list_fen` in `category_id` pays for its goods after the order-level
    stages of `running` (a 满减送 scoped to products never matches: the line has no product)."""
    line = PricedLine(sku_id=0, product_id=0, category_id=category_id, quantity=1, unit_price_fen=list_fen, unit_cost_fen=0)
    apply_stages(Quote(lines=[line], goods_fen=list_fen), running, coupon=None, now=now)
    return line.paid_fen


def refuse_unpayable(quote: Quote) -> None:
    """Checkout's last word on a quote: every line can be delivered, and there is something to pay."""
    if quote.undeliverable_product_ids:
        raise PromotionError(
            PromotionCode.NOT_DELIVERABLE,
            gettext("部分商品不配送到所选地区，请更换收货地址或移除这些商品"),
            {"product_ids": quote.undeliverable_product_ids},
            status=422,
        )
    if quote.total_fen <= 0:
        raise PromotionError(
            PromotionCode.PAY_AMOUNT_NOT_POSITIVE,
            gettext("订单应付金额须大于 0"),
            {"total_fen": quote.total_fen},
            status=422,
        )
