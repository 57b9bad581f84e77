"""What a simulation covers: a window of real orders or a synthetic scenario."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext

from fenxiao.common.money import MAX_RATE_BP

from ..errors import CommissionCode, CommissionError
from .plans import check_int

MAX_WINDOW_DAYS = 365
MAX_SYNTHETIC_ORDERS = 100_000
MAX_ORDER_VALUE_FEN = 10**9  # ¥10,000,000: far above any real basket


@dataclass(frozen=True)
class WindowScope:
    """The orders paid in the last `days` days and not cancelled."""

    days: int = 30
    net_of_refunds: bool = True
    kind: str = field(default="window", init=False)

    def __post_init__(self):
        check_int("days", self.days, 1, MAX_WINDOW_DAYS, CommissionCode.INVALID_SCOPE)
        if not isinstance(self.net_of_refunds, bool):
            raise CommissionError(
                CommissionCode.INVALID_SCOPE,
                gettext("net_of_refunds 只能是 true 或 false"),
                {"net_of_refunds": self.net_of_refunds},
            )


@dataclass(frozen=True)
class SyntheticScope:
    """`order_count` one-line orders averaging `avg_order_value_fen`, spread over categories by
    `category_mix` ({category id: weight}; None = equally over the categories that have active SKUs),
    `indirect_share_bp` of them with an indirect earner; `seed` makes it repeatable; `with_promotions`
    prices them through the promotions running now."""

    order_count: int
    avg_order_value_fen: int
    category_mix: Mapping[int, int] | None = None
    indirect_share_bp: int = 5000
    seed: int = 1
    # Price each order through the price pipeline with the 满减送 running now (the commission base is
    # then what the buyer would pay after them), to judge a draft plan with promotions running.
    with_promotions: bool = False
    kind: str = field(default="synthetic", init=False)

    def __post_init__(self):
        check_int("order_count", self.order_count, 1, MAX_SYNTHETIC_ORDERS, CommissionCode.INVALID_SCOPE)
        check_int("avg_order_value_fen", self.avg_order_value_fen, 1, MAX_ORDER_VALUE_FEN, CommissionCode.INVALID_SCOPE)
        check_int("indirect_share_bp", self.indirect_share_bp, 0, MAX_RATE_BP, CommissionCode.INVALID_SCOPE)
        check_int("seed", self.seed, 0, 2**63 - 1, CommissionCode.INVALID_SCOPE)
        if self.category_mix is not None:
            if not self.category_mix:
                raise CommissionError(CommissionCode.INVALID_SCOPE, gettext("类目占比不能为空"), {"category_mix": {}})
            for category_id, weight in self.category_mix.items():
                check_int("category_id", category_id, 1, 2**63 - 1, CommissionCode.INVALID_SCOPE)
                check_int("weight", weight, 0, 1_000_000, CommissionCode.INVALID_SCOPE)
            if sum(self.category_mix.values()) <= 0:
                raise CommissionError(
                    CommissionCode.INVALID_SCOPE, gettext("类目占比之和必须大于 0"), {"category_mix": dict(self.category_mix)}
                )
