"""Plan simulator (佣金预测): what a draft commission plan would have cost, next to the current plan.

A plan is the levels' direct / indirect / team-bonus rates, the number of commission levels (1 or 2,
never 3: refused with `commission_depth_exceeded` as everywhere else), whether self-purchases earn
direct commission, and the margin ceiling. A scope is either

- a window: the orders paid in the last N days (1–365) and not cancelled, credited to the network as
  it stands now (each order's distributor and that distributor's inviter, with their current levels
  and statuses), optionally net of refunds; or
- a synthetic scenario: a number of orders of a given average value, spread over existing categories
  by a mix and costed at each category's average cost ratio, a share of them with an indirect earner,
  the earners' levels drawn like the current network's; the same seed always gives the same figures.

Every line goes through `calculator.compute_line`, with the category and product overrides of
`compute_order`, once per plan. The inputs are read in bulk (levels, settings, overrides, the network
of the orders in scope, the categories) and the lines are streamed in chunks, so the number of
queries does not grow with the number of orders. Nothing is written.

The team bonus is an estimate: for a window, each approved partner's team sales (the sales of its
approved direct and indirect invitees, own sales excluded) times its level's rate; in a synthetic
scenario, the indirect earner stands for the partner above the seller.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Category, CommissionOverride, Sku
from fenxiao.common.money import BASIS_POINTS, MAX_RATE_BP, allocate, apply_rate, prorate
from fenxiao.common.phone import mask_phone
from fenxiao.common.validation import third_level_fields
from fenxiao.distribution import services as distribution
from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.models import MAX_COMMISSION_LEVELS, DistributionSettings, Distributor, Level
from fenxiao.orders.models import Order, OrderLine

from .calculator import BLOCKED_SELF_PURCHASE, CATEGORY, PRODUCT, EarnerInput, OverrideRule, ceiling_bp_setting, compute_line
from .errors import CommissionError

MAX_WINDOW_DAYS = 365
MAX_SYNTHETIC_ORDERS = 100_000
MAX_ORDER_VALUE_FEN = 10**9  # ¥10,000,000: far above any real basket
CHUNK = 2000
TOP_EARNERS = 10

# Commission share of sales: below 10% is low, 10–20% (both ends included) healthy, above 20% high.
HEALTHY_MIN_BP = 1000
HEALTHY_MAX_BP = 2000
HEALTH_LOW, HEALTH_HEALTHY, HEALTH_HIGH, HEALTH_NO_SALES = "low", "healthy", "high", "no_sales"

LEVEL_RATE_FIELDS = ("direct_rate_bp", "indirect_rate_bp", "team_bonus_bp")

APPROVED = Distributor.Status.APPROVED

# Who may simulate and save a plan (and pay the team bonus): whoever may change the levels and the
# distribution settings, in the API and in the admin alike.
PLAN_PERMISSIONS = ("distribution.change_level", "distribution.change_distributionsettings")


# --- plans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelRates:
    level_id: int
    name: str
    rank: int
    direct_rate_bp: int
    indirect_rate_bp: int
    team_bonus_bp: int


@dataclass(frozen=True)
class Plan:
    levels: tuple[LevelRates, ...]  # by rank
    commission_levels: int
    self_purchase_commission: bool
    ceiling_bp: int

    def level(self, level_id: int) -> LevelRates:
        return self._by_id()[level_id]

    def _by_id(self) -> dict[int, LevelRates]:
        return {rates.level_id: rates for rates in self.levels}

    def fingerprint(self) -> str:
        """The plan's values in one canonical string: equal strings, equal plans."""
        return json.dumps(
            {
                "levels": [[r.level_id, r.direct_rate_bp, r.indirect_rate_bp, r.team_bonus_bp] for r in self.levels],
                "commission_levels": self.commission_levels,
                "self_purchase_commission": self.self_purchase_commission,
                "ceiling_bp": self.ceiling_bp,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def changed_levels(self, other: Plan) -> list[LevelRates]:
        """The levels whose rates differ from `other`'s."""
        theirs = other._by_id()

        def values(r: LevelRates) -> tuple[int, int, int]:
            return r.direct_rate_bp, r.indirect_rate_bp, r.team_bonus_bp

        return [r for r in self.levels if r.level_id not in theirs or values(r) != values(theirs[r.level_id])]


def current_plan() -> Plan:
    """The plan in force: the levels' rates, the distribution settings and the ceiling setting."""
    conf = DistributionSettings.objects.filter(pk=1).first()
    levels = tuple(
        LevelRates(level.pk, level.name, level.rank, level.direct_rate_bp, level.indirect_rate_bp, level.team_bonus_bp)
        for level in Level.objects.order_by("rank")
    )
    return Plan(
        levels=levels,
        commission_levels=min(conf.commission_levels, MAX_COMMISSION_LEVELS) if conf else MAX_COMMISSION_LEVELS,
        self_purchase_commission=conf.self_purchase_commission if conf else True,
        ceiling_bp=ceiling_bp_setting(),
    )


def _check_int(name: str, value, low: int, high: int, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CommissionError(
            code, gettext("%(name)s 必须是 %(low)d 到 %(high)d 之间的整数") % {"name": name, "low": low, "high": high}, {name: value}
        )
    return value


def refuse_unknown_fields(fields, message: str) -> None:
    """Fields a plan does not have: a rate for a third level is `commission_depth_exceeded`, as in
    the level services; anything else `invalid_plan`."""
    extra = sorted(fields)
    third = third_level_fields(extra)
    if third:
        raise DistributionError(
            "commission_depth_exceeded",
            gettext("佣金最多两级（直推 + 间推），不能设置第三级佣金"),
            {"fields": third, "max": MAX_COMMISSION_LEVELS},
        )
    if extra:
        raise CommissionError("invalid_plan", message, {"fields": extra})


def draft_plan(
    *,
    levels: Mapping[int, Mapping[str, int]] | None = None,
    commission_levels: int | None = None,
    self_purchase_commission: bool | None = None,
    ceiling_bp: int | None = None,
    base: Plan | None = None,
) -> Plan:
    """A draft: `base` (default the current plan) with the given changes. `levels` maps a level id to
    any of direct_rate_bp, indirect_rate_bp, team_bonus_bp. Checked like the distribution services
    check a saved plan: a third commission level, or a rate for one, is refused with
    `commission_depth_exceeded`; rates are 0–10000 bp, direct + indirect at most 100%."""
    base = base or current_plan()
    if commission_levels is None:
        commission_levels = base.commission_levels
    else:
        commission_levels = distribution.validate_commission_levels(commission_levels)
    if self_purchase_commission is None:
        self_purchase_commission = base.self_purchase_commission
    else:
        distribution.validate_settings_changes({"self_purchase_commission": self_purchase_commission})
    if ceiling_bp is None:
        ceiling_bp = base.ceiling_bp
    elif isinstance(ceiling_bp, bool) or not isinstance(ceiling_bp, int) or not 0 <= ceiling_bp <= MAX_RATE_BP:
        raise CommissionError("invalid_ceiling", gettext("佣金上限必须是毛利的 0–10000 基点"), {"ceiling_bp": ceiling_bp})

    changes = dict(levels or {})
    by_id = base._by_id()
    unknown = [level_id for level_id in changes if level_id not in by_id]
    if unknown:
        raise CommissionError("unknown_level", gettext("方案中有不存在的分销等级"), {"level_ids": unknown}, status=404)
    new_levels = []
    for rates in base.levels:
        change = dict(changes.get(rates.level_id) or {})
        refuse_unknown_fields(set(change) - set(LEVEL_RATE_FIELDS), gettext("未知的等级字段"))
        values = {name: change.get(name, getattr(rates, name)) for name in LEVEL_RATE_FIELDS}
        distribution.validate_level_values(name=rates.name, rank=rates.rank, **values)
        new_levels.append(LevelRates(rates.level_id, rates.name, rates.rank, **values))
    return Plan(
        levels=tuple(new_levels),
        commission_levels=commission_levels,
        self_purchase_commission=self_purchase_commission,
        ceiling_bp=ceiling_bp,
    )


# --- scopes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowScope:
    """The orders paid in the last `days` days and not cancelled."""

    days: int = 30
    net_of_refunds: bool = True
    kind: str = field(default="window", init=False)

    def __post_init__(self):
        _check_int("days", self.days, 1, MAX_WINDOW_DAYS, "invalid_scope")
        if not isinstance(self.net_of_refunds, bool):
            raise CommissionError("invalid_scope", gettext("net_of_refunds 只能是 true 或 false"), {"net_of_refunds": self.net_of_refunds})


@dataclass(frozen=True)
class SyntheticScope:
    """`order_count` one-line orders averaging `avg_order_value_fen`, spread over categories by
    `category_mix` ({category id: weight}; None = equally over the categories that have active SKUs),
    `indirect_share_bp` of them with an indirect earner; `seed` makes it repeatable."""

    order_count: int
    avg_order_value_fen: int
    category_mix: Mapping[int, int] | None = None
    indirect_share_bp: int = 5000
    seed: int = 1
    kind: str = field(default="synthetic", init=False)

    def __post_init__(self):
        _check_int("order_count", self.order_count, 1, MAX_SYNTHETIC_ORDERS, "invalid_scope")
        _check_int("avg_order_value_fen", self.avg_order_value_fen, 1, MAX_ORDER_VALUE_FEN, "invalid_scope")
        _check_int("indirect_share_bp", self.indirect_share_bp, 0, MAX_RATE_BP, "invalid_scope")
        _check_int("seed", self.seed, 0, 2**63 - 1, "invalid_scope")
        if self.category_mix is not None:
            if not self.category_mix:
                raise CommissionError("invalid_scope", gettext("类目占比不能为空"), {"category_mix": {}})
            for category_id, weight in self.category_mix.items():
                _check_int("category_id", category_id, 1, 2**63 - 1, "invalid_scope")
                _check_int("weight", weight, 0, 1_000_000, "invalid_scope")
            if sum(self.category_mix.values()) <= 0:
                raise CommissionError("invalid_scope", gettext("类目占比之和必须大于 0"), {"category_mix": dict(self.category_mix)})


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryFigures:
    category_id: int
    name: str
    sales_fen: int
    cost_fen: int
    commission_fen: int
    margin_fen: int  # the platform's: sales − cost − commission
    margin_rate_bp: int  # margin / sales
    margin_share_bp: int  # of the platform margin over all categories


@dataclass(frozen=True)
class EarnerFigures:
    distributor_id: int
    code: str
    level: str
    masked_phone: str
    direct_fen: int
    indirect_fen: int
    total_fen: int


@dataclass(frozen=True)
class PlanFigures:
    commission_fen: int
    direct_fen: int
    indirect_fen: int
    team_bonus_fen: int
    commission_share_bp: int  # commission / sales
    payout_share_bp: int  # (commission + team bonus) / sales
    health: str  # low / healthy / high / no_sales, on commission_share_bp
    health_label: str
    capped_lines: int
    capped_cut_fen: int  # what the ceiling took off
    platform_margin_fen: int  # sales − cost − commission
    categories: tuple[CategoryFigures, ...]
    top_earners: tuple[EarnerFigures, ...]


DELTA_FIELDS = (
    "commission_fen",
    "direct_fen",
    "indirect_fen",
    "team_bonus_fen",
    "commission_share_bp",
    "payout_share_bp",
    "capped_lines",
    "capped_cut_fen",
    "platform_margin_fen",
)


@dataclass(frozen=True)
class SimulationResult:
    scope: dict
    order_count: int
    line_count: int
    gmv_fen: int  # what was paid for the lines (before refunds, without shipping)
    refunded_fen: int
    sales_fen: int  # the base of the figures: GMV, or GMV less refunds when the scope nets them
    cost_fen: int
    draft: PlanFigures
    current: PlanFigures
    delta: dict[str, int]  # draft − current
    draft_plan: Plan
    current_plan: Plan

    def as_dict(self) -> dict:
        data = asdict(self)
        data["draft_plan"] = json.loads(self.draft_plan.fingerprint())
        data["current_plan"] = json.loads(self.current_plan.fingerprint())
        return data


def health_of(share_bp: int, sales_fen: int = 1) -> str:
    if sales_fen <= 0:
        return HEALTH_NO_SALES
    if share_bp < HEALTHY_MIN_BP:
        return HEALTH_LOW
    if share_bp <= HEALTHY_MAX_BP:
        return HEALTH_HEALTHY
    return HEALTH_HIGH


def health_label(health: str) -> str:
    return {
        HEALTH_LOW: gettext("偏低（低于 10%）"),
        HEALTH_HEALTHY: gettext("健康（10%–20%）"),
        HEALTH_HIGH: gettext("偏高（高于 20%）"),
        HEALTH_NO_SALES: gettext("无销售"),
    }[health]


def _share_bp(part: int, whole: int) -> int:
    """part / whole in basis points, truncated toward zero (part may be negative: a loss)."""
    if whole <= 0:
        return 0
    value = abs(part) * BASIS_POINTS // whole
    return -value if part < 0 else value


# --- the computation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    pk: int
    code: str
    approved: bool
    level_id: int
    phone: str


class _Tally:
    """One plan's running figures."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.rates = plan._by_id()
        self.direct = 0
        self.indirect = 0
        self.capped_lines = 0
        self.cut = 0
        self.by_category: dict[int, int] = defaultdict(int)
        self.by_earner: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        self._earners: dict[tuple, list[EarnerInput]] = {}

    def earners(self, seller: _Node | None, inviter: _Node | None, self_purchase: bool) -> list[EarnerInput]:
        """The positions of `order_earners`, under this plan: the seller (direct) and its inviter
        (indirect, when the plan has two levels); an unapproved position is left out."""
        key = (seller.pk if seller else None, inviter.pk if inviter else None, self_purchase)
        found = self._earners.get(key)
        if found is None:
            blocked = BLOCKED_SELF_PURCHASE if self_purchase and not self.plan.self_purchase_commission else ""
            found = self._positions([(1, seller, blocked), (2, inviter, "")])
            self._earners[key] = found
        return found

    def synthetic_earners(self, seller_level: int, inviter_level: int | None) -> list[EarnerInput]:
        """A made-up seller of `seller_level` and, if any, an inviter of `inviter_level`."""
        key = ("synthetic", seller_level, inviter_level)
        found = self._earners.get(key)
        if found is None:
            seller = _Node(0, "", True, seller_level, "")
            inviter = _Node(0, "", True, inviter_level, "") if inviter_level is not None else None
            found = [replace(e, distributor_id=None) for e in self._positions([(1, seller, ""), (2, inviter, "")])]
            self._earners[key] = found
        return found

    def _positions(self, positions) -> list[EarnerInput]:
        found = []
        for depth, node, blocked in positions:
            if node is None or not node.approved or depth > self.plan.commission_levels:
                continue
            rates = self.rates[node.level_id]
            found.append(
                EarnerInput(
                    depth=depth, direct_rate_bp=rates.direct_rate_bp, indirect_rate_bp=rates.indirect_rate_bp,
                    distributor_id=node.pk, blocked_reason=blocked,
                )
            )
        return found

    def add(self, *, category_id, paid, refunded, cost, quantity, earners, overrides, net) -> None:
        result = compute_line(
            paid_fen=paid, cost_fen_total=cost, quantity=quantity, earners=earners, overrides=overrides,
            ceiling_bp=self.plan.ceiling_bp,
        )
        if result.capped:
            self.capped_lines += 1
            self.cut += result.uncapped_total_fen - result.total_fen
        for earner in result.earners:
            amount = earner.amount_fen
            if net and refunded and paid:
                # the services' rule: a refund takes back the refunded share, rounded down
                amount -= prorate(amount, min(refunded, paid), paid)
            if amount <= 0:
                continue
            if earner.depth == 1:
                self.direct += amount
            else:
                self.indirect += amount
            self.by_category[category_id] += amount
            if earner.distributor_id is not None:
                self.by_earner[earner.distributor_id][earner.depth - 1] += amount

    def figures(self, *, sales, cost_by_category, sales_by_category, names, nodes, levels, team_bonus) -> PlanFigures:
        commission = self.direct + self.indirect
        margins = {
            cid: sales_by_category[cid] - cost_by_category[cid] - self.by_category.get(cid, 0) for cid in sales_by_category
        }
        total_margin = sum(margins.values())
        categories = tuple(
            CategoryFigures(
                category_id=cid,
                name=names.get(cid, str(cid)),
                sales_fen=sales_by_category[cid],
                cost_fen=cost_by_category[cid],
                commission_fen=self.by_category.get(cid, 0),
                margin_fen=margins[cid],
                margin_rate_bp=_share_bp(margins[cid], sales_by_category[cid]),
                margin_share_bp=_share_bp(margins[cid], total_margin),
            )
            for cid in sorted(sales_by_category, key=lambda c: (-sales_by_category[c], c))
        )
        ranked = sorted(self.by_earner.items(), key=lambda item: (-(item[1][0] + item[1][1]), item[0]))[:TOP_EARNERS]
        top = []
        for pk, (direct, indirect) in ranked:
            node = nodes.get(pk)
            top.append(
                EarnerFigures(
                    distributor_id=pk,
                    code=node.code if node else "",
                    level=levels.get(node.level_id, "") if node else "",
                    masked_phone=mask_phone(node.phone) if node and node.phone else "",
                    direct_fen=direct,
                    indirect_fen=indirect,
                    total_fen=direct + indirect,
                )
            )
        share = _share_bp(commission, sales)
        health = health_of(share, sales)
        return PlanFigures(
            commission_fen=commission,
            direct_fen=self.direct,
            indirect_fen=self.indirect,
            team_bonus_fen=team_bonus,
            commission_share_bp=share,
            payout_share_bp=_share_bp(commission + team_bonus, sales),
            health=health,
            health_label=health_label(health),
            capped_lines=self.capped_lines,
            capped_cut_fen=self.cut,
            platform_margin_fen=total_margin,
            categories=categories,
            top_earners=tuple(top),
        )


def _overrides() -> tuple[dict[int, dict], dict[int, dict]]:
    """Every category and product override, in one query (the tables are small: one row per
    overridden category or product and level)."""
    by_product: dict[int, dict] = {}
    by_category: dict[int, dict] = {}
    for row in CommissionOverride.objects.values("product_id", "category_id", "depth", "mode", "rate_bp", "fixed_fen"):
        rule = OverrideRule(mode=row["mode"], rate_bp=row["rate_bp"], fixed_fen=row["fixed_fen"])
        if row["product_id"] is not None:
            by_product.setdefault(row["product_id"], {})[(PRODUCT, row["depth"])] = rule
        else:
            by_category.setdefault(row["category_id"], {})[(CATEGORY, row["depth"])] = rule
    return by_product, by_category


def simulate(draft: Plan, scope: WindowScope | SyntheticScope, *, now: datetime | None = None, current: Plan | None = None) -> SimulationResult:
    """The figures of `draft` and of the current plan over `scope`. Reads only."""
    current = current or current_plan()
    if not isinstance(scope, WindowScope | SyntheticScope):
        raise CommissionError("invalid_scope", gettext("预测范围无效"), {"scope": repr(scope)})
    if not draft.levels:
        raise CommissionError("no_levels", gettext("尚未设置任何分销等级"), status=409)
    if isinstance(scope, WindowScope):
        return _simulate_window(draft, current, scope, now or timezone.now())
    return _simulate_synthetic(draft, current, scope)


class _Totals:
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
            sales=totals.sales, cost_by_category=totals.cost_by_category, sales_by_category=totals.sales_by_category,
            names=names, nodes=nodes, levels=levels, team_bonus=bonus,
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
    by_product, by_category = _overrides()

    # The network of the orders in scope, as it stands now: seller, inviter, inviter's inviter.
    nodes: dict[int, _Node] = {}
    chain: dict[int, tuple[int | None, int | None]] = {}  # seller → (inviter, inviter's inviter)
    partner_level: dict[int, int] = {}  # approved uplines that could earn a team bonus → level
    rows = Distributor.objects.filter(pk__in=orders.filter(distributor__isnull=False).values("distributor_id")).values_list(
        "pk", "code", "status", "level_id", "user__phone",
        "inviter_id", "inviter__code", "inviter__status", "inviter__level_id", "inviter__user__phone",
        "inviter__inviter_id", "inviter__inviter__status", "inviter__inviter__level_id",
    )
    for pk, code, status, level_id, phone, i_pk, i_code, i_status, i_level, i_phone, g_pk, g_status, g_level in rows:
        nodes[pk] = _Node(pk, code, status == APPROVED, level_id, phone or "")
        if i_pk is not None:
            nodes.setdefault(i_pk, _Node(i_pk, i_code, i_status == APPROVED, i_level, i_phone or ""))
            if i_status == APPROVED:
                partner_level[i_pk] = i_level
        if g_pk is not None and g_status == APPROVED:
            partner_level[g_pk] = g_level
        chain[pk] = (i_pk, g_pk)

    totals = _Totals()
    tallies = [_Tally(draft), _Tally(current)]
    team_sales: dict[int, int] = defaultdict(int)
    last_order = None
    lines = (
        OrderLine.objects.filter(order__in=orders)
        .order_by("order_id", "id")
        .values_list(
            "order_id", "order__distributor_id", "order__is_self_purchase", "product_id", "category_id",
            "quantity", "unit_cost_fen", "paid_fen", "refunded_fen",
        )
        .iterator(chunk_size=CHUNK)
    )
    for order_id, seller_id, self_purchase, product_id, category_id, quantity, unit_cost, paid, refunded in lines:
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
                category_id=category_id, paid=paid, refunded=refunded, cost=cost, quantity=quantity,
                earners=tally.earners(seller, inviter, self_purchase), overrides=overrides, net=scope.net_of_refunds,
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
        "kind": scope.kind, "days": scope.days, "net_of_refunds": scope.net_of_refunds,
        "since": since.isoformat(), "until": now.isoformat(),
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
                "invalid_scope", gettext("类目不存在或没有在售的 SKU，无法估算成本"), {"category_ids": missing}
            )
        mix = {cid: weight for cid, weight in scope.category_mix.items() if weight > 0}
    else:
        mix = dict.fromkeys(ratios, 1)
    if not mix:
        raise CommissionError("invalid_scope", gettext("没有可用于预测的类目（需要在售的 SKU）"), {})
    by_product, by_category = _overrides()
    counts = dict(
        Distributor.objects.filter(status=APPROVED).order_by().values("level_id").annotate(n=Count("id")).values_list("level_id", "n")
    )
    level_ids = [r.level_id for r in draft.levels]
    level_weights = [counts.get(pk, 0) for pk in level_ids]
    if not any(level_weights):
        level_weights = [1] * len(level_ids)

    rng = random.Random(scope.seed)
    category_ids = sorted(mix)
    category_weights = [mix[cid] for cid in category_ids]
    values = allocate(scope.order_count * scope.avg_order_value_fen, [rng.randint(50, 150) for _ in range(scope.order_count)])
    totals = _Totals()
    tallies = [_Tally(draft), _Tally(current)]
    team_sales_by_level: dict[int, int] = defaultdict(int)
    for value in values:
        category_id = rng.choices(category_ids, weights=category_weights)[0]
        seller_level = rng.choices(level_ids, weights=level_weights)[0]
        inviter_level = None
        if rng.randrange(BASIS_POINTS) < scope.indirect_share_bp:
            inviter_level = rng.choices(level_ids, weights=level_weights)[0]
        totals.orders += 1
        cost = apply_rate(value, ratios[category_id][1])
        totals.add(category_id, value, 0, cost, False)
        overrides = by_category.get(category_id, {})
        for tally in tallies:
            tally.add(
                category_id=category_id, paid=value, refunded=0, cost=cost, quantity=1,
                earners=tally.synthetic_earners(seller_level, inviter_level), overrides=overrides, net=False,
            )
        if inviter_level is not None:
            team_sales_by_level[inviter_level] += value
    team_bonus = [
        sum(apply_rate(sales, tally.rates[level_id].team_bonus_bp) for level_id, sales in team_sales_by_level.items())
        for tally in tallies
    ]
    names = {cid: ratios[cid][0] for cid in ratios}
    scope_info = {
        "kind": scope.kind, "order_count": scope.order_count, "avg_order_value_fen": scope.avg_order_value_fen,
        "category_mix": {str(cid): mix[cid] for cid in category_ids}, "indirect_share_bp": scope.indirect_share_bp,
        "seed": scope.seed, "cost_ratio_bp": {str(cid): ratios[cid][1] for cid in category_ids},
    }
    return _result(scope_info, totals, tallies, names, {}, team_bonus)
