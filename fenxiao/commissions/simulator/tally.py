"""The running figures of one plan over the lines of a scope, and the overrides read once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from fenxiao.catalog.models import CommissionOverride
from fenxiao.common.money import prorate
from fenxiao.common.phone import mask_phone

from ..calculator import BLOCKED_SELF_PURCHASE, CATEGORY, PRODUCT, EarnerInput, OverrideRule, compute_line
from .plans import Plan
from .results import CategoryFigures, EarnerFigures, PlanFigures, health_label, health_of, share_bp

TOP_EARNERS = 10


@dataclass(frozen=True)
class Node:
    pk: int
    code: str
    approved: bool
    level_id: int
    phone: str


class Tally:
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

    def earners(self, seller: Node | None, inviter: Node | None, self_purchase: bool) -> list[EarnerInput]:
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
            seller = Node(0, "", True, seller_level, "")
            inviter = Node(0, "", True, inviter_level, "") if inviter_level is not None else None
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
                    depth=depth,
                    direct_rate_bp=rates.direct_rate_bp,
                    indirect_rate_bp=rates.indirect_rate_bp,
                    distributor_id=node.pk,
                    blocked_reason=blocked,
                )
            )
        return found

    def add(self, *, category_id, paid, refunded, cost, quantity, earners, overrides, net) -> None:
        result = compute_line(
            paid_fen=paid,
            cost_fen_total=cost,
            quantity=quantity,
            earners=earners,
            overrides=overrides,
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
                margin_rate_bp=share_bp(margins[cid], sales_by_category[cid]),
                margin_share_bp=share_bp(margins[cid], total_margin),
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
        share = share_bp(commission, sales)
        health = health_of(share, sales)
        return PlanFigures(
            commission_fen=commission,
            direct_fen=self.direct,
            indirect_fen=self.indirect,
            team_bonus_fen=team_bonus,
            commission_share_bp=share,
            payout_share_bp=share_bp(commission + team_bonus, sales),
            health=health,
            health_label=health_label(health),
            capped_lines=self.capped_lines,
            capped_cut_fen=self.cut,
            platform_margin_fen=total_margin,
            categories=categories,
            top_earners=tuple(top),
        )


def read_overrides() -> tuple[dict[int, dict], dict[int, dict]]:
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
