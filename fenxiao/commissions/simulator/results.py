"""The figures a simulation returns, and how healthy a commission share is."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from django.utils.translation import gettext

from fenxiao.common.money import BASIS_POINTS

from .plans import Plan

# Commission share of sales: below 10% is low, 10–20% (both ends included) healthy, above 20% high.
HEALTHY_MIN_BP = 1000
HEALTHY_MAX_BP = 2000
HEALTH_LOW, HEALTH_HEALTHY, HEALTH_HIGH, HEALTH_NO_SALES = "low", "healthy", "high", "no_sales"


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


def share_bp(part: int, whole: int) -> int:
    """part / whole in basis points, truncated toward zero (part may be negative: a loss)."""
    if whole <= 0:
        return 0
    value = abs(part) * BASIS_POINTS // whole
    return -value if part < 0 else value
