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

The package: `plans` (the plan in force and a checked draft), `scopes`, `results`, `tally` (one
plan's running figures) and `run` (`simulate`).
"""

from .plans import (
    LEVEL_RATE_FIELDS,
    PLAN_PERMISSIONS,
    LevelRates,
    Plan,
    current_plan,
    draft_plan,
    refuse_unknown_fields,
)
from .results import (
    DELTA_FIELDS,
    HEALTH_HEALTHY,
    HEALTH_HIGH,
    HEALTH_LOW,
    HEALTH_NO_SALES,
    HEALTHY_MAX_BP,
    HEALTHY_MIN_BP,
    CategoryFigures,
    EarnerFigures,
    PlanFigures,
    SimulationResult,
    health_label,
    health_of,
)
from .run import (
    category_cost_ratios,
    simulate,
)
from .scopes import (
    MAX_ORDER_VALUE_FEN,
    MAX_SYNTHETIC_ORDERS,
    MAX_WINDOW_DAYS,
    SyntheticScope,
    WindowScope,
)

__all__ = [
    "CategoryFigures",
    "DELTA_FIELDS",
    "EarnerFigures",
    "HEALTHY_MAX_BP",
    "HEALTHY_MIN_BP",
    "HEALTH_HEALTHY",
    "HEALTH_HIGH",
    "HEALTH_LOW",
    "HEALTH_NO_SALES",
    "LEVEL_RATE_FIELDS",
    "LevelRates",
    "MAX_ORDER_VALUE_FEN",
    "MAX_SYNTHETIC_ORDERS",
    "MAX_WINDOW_DAYS",
    "PLAN_PERMISSIONS",
    "Plan",
    "PlanFigures",
    "SimulationResult",
    "SyntheticScope",
    "WindowScope",
    "category_cost_ratios",
    "current_plan",
    "draft_plan",
    "health_label",
    "health_of",
    "refuse_unknown_fields",
    "simulate",
]
