"""What the order pipeline reads from membership: member unit prices, what points can pay for, and
what an order earns. Pure reads, a fixed number of queries whatever the number of SKUs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku
from fenxiao.common.money import BASIS_POINTS, apply_rate, prorate

from . import selectors
from .models import MemberPrice, MemberSettings, MemberTier

FEN_PER_YUAN = 100


@dataclass(frozen=True)
class BuyerTerms:
    """What membership means for one buyer now: its tier (None for a guest or without any) and the
    operator's settings. The price pipeline reads them once and hands them to each function below."""

    tier: MemberTier | None
    settings: MemberSettings


def buyer_terms(user: Any) -> BuyerTerms:
    """Two or three queries (membership, the entry tier when it has none, the settings)."""
    return BuyerTerms(tier=selectors.tier_of(user), settings=selectors.member_settings())


def member_unit_prices(
    user: Any,
    sku_ids: list[int],
    now: datetime | None = None,
    *,
    terms: BuyerTerms | None = None,
    retail: dict[int, int] | None = None,
) -> dict[int, tuple[int, str]]:
    """The buyer's member price per SKU, for the SKUs where membership makes it lower than the retail
    price: the tier's member price of the SKU, and on the member day the retail price less the tier's
    member-day discount (`retail − floor(retail × discount)`), whichever is lower (the member price
    when equal). Each value is `(unit price in fen, label)`, the label "会员价" or "会员日价".
    SKUs without a better member price are left out; a guest or a buyer without a tier gets {}.
    At most four queries (membership, settings, member prices, SKUs); one with `terms` and the SKUs'
    `retail` prices given."""
    if not sku_ids:
        return {}
    now = now or timezone.now()
    terms = terms or buyer_terms(user)
    tier = terms.tier
    if tier is None:
        return {}
    wanted = list(dict.fromkeys(sku_ids))
    settings = terms.settings
    best: dict[int, tuple[int, str]] = {
        sku_id: (price, gettext("会员价"))
        for sku_id, price in MemberPrice.objects.filter(tier=tier, sku_id__in=wanted).values_list("sku_id", "price_fen")
    }
    day = tier.member_day_discount_bp > 0 and selectors.is_member_day(now, settings)
    if retail is None:
        retail = dict(Sku.objects.filter(pk__in=wanted).values_list("pk", "retail_fen"))
    for sku_id, retail_fen in retail.items():
        if day:
            price = retail_fen - apply_rate(retail_fen, tier.member_day_discount_bp)
            if sku_id not in best or price < best[sku_id][0]:
                best[sku_id] = (price, gettext("会员日价"))
    return {sku_id: offer for sku_id, offer in best.items() if sku_id in retail and offer[0] < retail[sku_id]}


@dataclass(frozen=True)
class PointsOffer:
    """What points can pay for on one order: `balance` points can be spent now; at most `max_points`
    of them may be used, worth `max_fen` off; `ratio` points are worth ¥1."""

    balance: int
    max_points: int
    max_fen: int
    ratio: int

    def fen_for(self, points: int) -> int:
        """What `points` (at most `max_points`) take off, in fen."""
        return points_value_fen(min(points, self.max_points), self.ratio)


def points_value_fen(points: int, ratio: int) -> int:
    """Fen that `points` are worth at `ratio` points per yuan, rounded down to the fen."""
    return prorate(points * FEN_PER_YUAN, 1, ratio) if points > 0 else 0


def _fewest_points_for(fen: int, ratio: int) -> int:
    """The fewest points worth `fen` at `ratio` (the smallest n with points_value_fen(n) ≥ fen)."""
    points = prorate(fen * ratio, 1, FEN_PER_YUAN)
    return points if points_value_fen(points, ratio) >= fen else points + 1


def points_quote(
    user: Any, payable_fen: int, goods_fen: int, now: datetime | None = None, *, terms: BuyerTerms | None = None
) -> PointsOffer:
    """The points a buyer may use on an order: no more than it holds (not past expiry), than the
    share of the goods amount the operator allows (`max_points_share_bp` of `goods_fen`), nor than
    what is still payable (`payable_fen`). `max_fen` is what `max_points` take off; `max_points` is
    the fewest points worth it. Two queries."""
    settings: MemberSettings = terms.settings if terms is not None else selectors.member_settings()
    ratio = settings.points_per_yuan_off
    if user is None or not getattr(user, "is_authenticated", False):
        return PointsOffer(balance=0, max_points=0, max_fen=0, ratio=ratio)
    balance = selectors.spendable_points(user.pk, now or timezone.now())
    limit_fen = min(apply_rate(max(goods_fen, 0), settings.max_points_share_bp), max(payable_fen, 0))
    max_fen = min(limit_fen, points_value_fen(balance, ratio))
    max_points = _fewest_points_for(max_fen, ratio) if max_fen > 0 else 0
    return PointsOffer(balance=balance, max_points=min(max_points, balance), max_fen=max_fen, ratio=ratio)


def points_to_earn(user: Any, paid_goods_fen: int, *, terms: BuyerTerms | None = None) -> int:
    """Points an order earns: the goods amount paid in yuan × the earn rate × the tier's multiplier,
    rounded down once (floor(paid × rate × multiplier / (100 × 10000))). Two queries."""
    if user is None or paid_goods_fen <= 0:
        return 0
    terms = terms or buyer_terms(user)
    settings, tier = terms.settings, terms.tier
    multiplier = tier.points_multiplier_bp if tier is not None else BASIS_POINTS
    return prorate(paid_goods_fen * settings.earn_points_per_yuan, multiplier, FEN_PER_YUAN * BASIS_POINTS)
