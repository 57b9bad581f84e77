"""The simulation itself: a window of real orders or a synthetic scenario, streamed in chunks, each
line through `calculator.compute_line` once per plan. Nothing is written."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Category, Sku
from fenxiao.common.money import BASIS_POINTS, allocate, apply_rate, prorate
from fenxiao.distribution.models import Distributor
from fenxiao.orders.models import Order, OrderLine
from fenxiao.promotions import pricing

from ..errors import CommissionCode, CommissionError
from .plans import APPROVED, Plan, current_plan
from .results import DELTA_FIELDS, SimulationResult
from .scopes import SyntheticScope, WindowScope
from .tally import Node, Tally, read_overrides

CHUNK = 2000


def simulate(
    draft: Plan, scope: WindowScope | SyntheticScope, *, now: datetime | None = None, current: Plan | None = None
) -> SimulationResult:
    """The figures of `draft` and of the current plan over `scope`. Reads only."""
    current = current or current_plan()
    if not isinstance(scope, WindowScope | SyntheticScope):
        raise CommissionError(CommissionCode.INVALID_SCOPE, gettext("预测范围无效"), {"scope": repr(scope)})
    if not draft.levels:
        raise CommissionError(CommissionCode.NO_LEVELS, gettext("尚未设置任何分销等级"), status=409)
    if isinstance(scope, WindowScope):
        return _simulate_window(draft, current, scope, now or timezone.now())
    return _simulate_synthetic(draft, current, scope)


class Totals:
    """Plan-independent figures of the scope."""

    def __init__(self):
        self.orders = 0
        self.lines = 0
        self.gmv = 0
        self.refunded = 0
        self.sales = 0
        self.sales_by_category: dict[int, int] = defaultdict(int)
        self.cost_by_category: dict[int, int] = defaultdict(int)

    def add(self, category_id: int, paid: int, refunded: int, cost: int, net: bool) -> int:
        """Record a line; returns its base (net of refunds when asked) for the team sales."""
        self.lines += 1
        self.gmv += paid
        self.refunded += refunded
        base, base_cost = paid, cost
        if net and refunded and paid:
            base -= min(refunded, paid)
            base_cost -= prorate(cost, min(refunded, paid), paid)
        self.sales += base
        self.sales_by_category[category_id] += base
        self.cost_by_category[category_id] += base_cost
        return base


def _result(scope_info, totals, tallies, names, nodes, team_bonus) -> SimulationResult:
    levels = {r.level_id: r.name for r in tallies[0].plan.levels}
    figures = [
        tally.figures(
            sales=totals.sales,
            cost_by_category=totals.cost_by_category,
            sales_by_category=totals.sales_by_category,
            names=names,
            nodes=nodes,
            levels=levels,
            team_bonus=bonus,
        )
        for tally, bonus in zip(tallies, team_bonus, strict=True)
    ]
    draft, current = figures
    return SimulationResult(
        scope=scope_info,
        order_count=totals.orders,
        line_count=totals.lines,
        gmv_fen=totals.gmv,
        refunded_fen=totals.refunded,
        sales_fen=totals.sales,
        cost_fen=sum(totals.cost_by_category.values()),
        draft=draft,
        current=current,
        delta={name: getattr(draft, name) - getattr(current, name) for name in DELTA_FIELDS},
        draft_plan=tallies[0].plan,
        current_plan=tallies[1].plan,
    )


def _simulate_window(draft: Plan, current: Plan, scope: WindowScope, now: datetime) -> SimulationResult:
    since = now - timedelta(days=scope.days)
    orders = Order.objects.filter(paid_at__gte=since, paid_at__lte=now).exclude(status=Order.Status.CANCELLED)
    by_product, by_category = read_overrides()

    # The network of the orders in scope, as it stands now: seller, inviter, inviter's inviter.
    nodes: dict[int, Node] = {}
    chain: dict[int, tuple[int | None, int | None]] = {}  # seller → (inviter, inviter's inviter)
    partner_level: dict[int, int] = {}  # approved uplines that could earn a team bonus → level
    rows = Distributor.objects.filter(pk__in=orders.filter(distributor__isnull=False).values("distributor_id")).values_list(
        "pk",
        "code",
        "status",
        "level_id",
        "user__phone",
        "inviter_id",
        "inviter__code",
        "inviter__status",
        "inviter__level_id",
        "inviter__user__phone",
        "inviter__inviter_id",
        "inviter__inviter__status",
        "inviter__inviter__level_id",
    )
    for pk, code, status, level_id, phone, i_pk, i_code, i_status, i_level, i_phone, g_pk, g_status, g_level in rows:
        nodes[pk] = Node(pk, code, status == APPROVED, level_id, phone or "")
        if i_pk is not None:
            nodes.setdefault(i_pk, Node(i_pk, i_code, i_status == APPROVED, i_level, i_phone or ""))
            if i_status == APPROVED:
                partner_level[i_pk] = i_level
        if g_pk is not None and g_status == APPROVED:
            partner_level[g_pk] = g_level
        chain[pk] = (i_pk, g_pk)

    totals = Totals()
    tallies = [Tally(draft), Tally(current)]
    team_sales: dict[int, int] = defaultdict(int)
    last_order = None
    lines = (
        OrderLine.objects.filter(order__in=orders)
        .order_by("order_id", "id")
        .values_list(
            "order_id",
            "order__distributor_id",
            "order__is_self_purchase",
            "product_id",
            "category_id",
            "quantity",
            "unit_cost_fen",
            "paid_fen",
            "refunded_fen",
            "order__pays_commission",
        )
        .iterator(chunk_size=CHUNK)
    )
    for order_id, order_seller, self_purchase, product_id, category_id, quantity, unit_cost, paid, refunded, pays in lines:
        # An activity whose orders pay no commission: sales, but no earner.
        seller_id: int | None = order_seller if pays else None
        if order_id != last_order:
            totals.orders += 1
            last_order = order_id
        cost = unit_cost * quantity
        base = totals.add(category_id, paid, refunded, cost, scope.net_of_refunds)
        seller = nodes.get(seller_id) if seller_id is not None else None
        inviter_id, grand_id = chain.get(seller_id, (None, None)) if seller_id is not None else (None, None)
        inviter = nodes.get(inviter_id) if inviter_id is not None else None
        overrides = {**by_category.get(category_id, {}), **by_product.get(product_id, {})}
        for tally in tallies:
            tally.add(
                category_id=category_id,
                paid=paid,
                refunded=refunded,
                cost=cost,
                quantity=quantity,
                earners=tally.earners(seller, inviter, self_purchase),
                overrides=overrides,
                net=scope.net_of_refunds,
            )
        if seller is not None and seller.approved:
            for partner_id in (inviter_id, grand_id):
                if partner_id in partner_level:
                    team_sales[partner_id] += base

    team_bonus = [
        sum(apply_rate(sales, tally.rates[partner_level[pk]].team_bonus_bp) for pk, sales in team_sales.items())
        for tally in tallies
    ]
    names = dict(Category.objects.filter(pk__in=list(totals.sales_by_category)).values_list("pk", "name"))
    scope_info = {
        "kind": scope.kind,
        "days": scope.days,
        "net_of_refunds": scope.net_of_refunds,
        "since": since.isoformat(),
        "until": now.isoformat(),
    }
    return _result(scope_info, totals, tallies, names, nodes, team_bonus)


def category_cost_ratios(category_ids=None) -> dict[int, tuple[str, int]]:
    """{category id: (name, cost / retail in bp)} over each category's active SKUs (one query);
    categories without an active SKU are left out."""
    skus = Sku.objects.filter(is_active=True, retail_fen__gt=0)
    if category_ids is not None:
        skus = skus.filter(product__category_id__in=list(category_ids))
    rows = (
        skus.order_by()
        .values("product__category_id", "product__category__name")
        .annotate(cost=Sum("cost_fen"), retail=Sum("retail_fen"))
        .values_list("product__category_id", "product__category__name", "cost", "retail")
    )
    return {cid: (name, min(cost * BASIS_POINTS // retail, BASIS_POINTS)) for cid, name, cost, retail in rows if retail}


def _simulate_synthetic(draft: Plan, current: Plan, scope: SyntheticScope) -> SimulationResult:
    ratios = category_cost_ratios(scope.category_mix.keys() if scope.category_mix is not None else None)
    if scope.category_mix is not None:
        missing = sorted(cid for cid in scope.category_mix if cid not in ratios)
        if missing:
            raise CommissionError(
                CommissionCode.INVALID_SCOPE, gettext("类目不存在或没有在售的 SKU，无法估算成本"), {"category_ids": missing}
            )
        mix = {cid: weight for cid, weight in scope.category_mix.items() if weight > 0}
    else:
        mix = dict.fromkeys(ratios, 1)
    if not mix:
        raise CommissionError(CommissionCode.INVALID_SCOPE, gettext("没有可用于预测的类目（需要在售的 SKU）"), {})
    by_product, by_category = read_overrides()
    counts = dict(
        Distributor.objects.filter(status=APPROVED)
        .order_by()
        .values("level_id")
        .annotate(n=Count("id"))
        .values_list("level_id", "n")
    )
    level_ids = [r.level_id for r in draft.levels]
    level_weights = [counts.get(pk, 0) for pk in level_ids]
    if not any(level_weights):
        level_weights = [1] * len(level_ids)

    rng = random.Random(scope.seed)
    category_ids = sorted(mix)
    category_weights = [mix[cid] for cid in category_ids]
    values = allocate(scope.order_count * scope.avg_order_value_fen, [rng.randint(50, 150) for _ in range(scope.order_count)])
    now = timezone.now()
    running = pricing.running_without_buyer(now=now) if scope.with_promotions else None
    promotion_discount = 0
    totals = Totals()
    tallies = [Tally(draft), Tally(current)]
    team_sales_by_level: dict[int, int] = defaultdict(int)
    for value in values:
        category_id = rng.choices(category_ids, weights=category_weights)[0]
        seller_level = rng.choices(level_ids, weights=level_weights)[0]
        inviter_level = None
        if rng.randrange(BASIS_POINTS) < scope.indirect_share_bp:
            inviter_level = rng.choices(level_ids, weights=level_weights)[0]
        totals.orders += 1
        cost = apply_rate(value, ratios[category_id][1])
        if running is not None:
            # the goods keep their cost; the buyer pays (and commission is reckoned on) the price after promotions
            paid = pricing.synthetic_paid(category_id=category_id, list_fen=value, running=running, now=now)
            promotion_discount += value - paid
            value = paid
        totals.add(category_id, value, 0, cost, False)
        overrides = by_category.get(category_id, {})
        for tally in tallies:
            tally.add(
                category_id=category_id,
                paid=value,
                refunded=0,
                cost=cost,
                quantity=1,
                earners=tally.synthetic_earners(seller_level, inviter_level),
                overrides=overrides,
                net=False,
            )
        if inviter_level is not None:
            team_sales_by_level[inviter_level] += value
    team_bonus = [
        sum(apply_rate(sales, tally.rates[level_id].team_bonus_bp) for level_id, sales in team_sales_by_level.items())
        for tally in tallies
    ]
    names = {cid: ratios[cid][0] for cid in ratios}
    scope_info = {
        "kind": scope.kind,
        "order_count": scope.order_count,
        "avg_order_value_fen": scope.avg_order_value_fen,
        "category_mix": {str(cid): mix[cid] for cid in category_ids},
        "indirect_share_bp": scope.indirect_share_bp,
        "seed": scope.seed,
        "cost_ratio_bp": {str(cid): ratios[cid][1] for cid in category_ids},
        "with_promotions": scope.with_promotions,
        "promotion_discount_fen": promotion_discount,
    }
    return _result(scope_info, totals, tallies, names, {}, team_bonus)
