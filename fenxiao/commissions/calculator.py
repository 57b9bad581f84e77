"""How much each upline earns on one order line.

`compute_line` is pure: integers in, a `LineCommission` out, nothing read or written. `compute_order`
gathers its inputs for a whole order (the distributor snapshot, the operator's settings, the overrides
of every line in one query) and calls it once per line. Neither posts anything anywhere.

The rules, from DOMAIN.md "Commission rules":

- The base is what the buyer paid for the line (`paid_fen`, after discounts, before shipping).
- The rate for commission level d (1 direct, 2 indirect) is the product's override for d, else the
  category's override for d, else the earner's level rate for d. A rate pays `apply_rate(paid, rate)`,
  a fixed amount pays `fixed_fen × quantity`.
- Never more than two levels: a third is refused with `commission_depth_exceeded`.
- The commissions of one line never exceed `ceiling_bp` of its margin (paid − cost, never below zero);
  above that they are scaled down in proportion, split exactly with `allocate`, and the result keeps
  the uncapped amounts and the cap so the order can show why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext

from fenxiao.catalog.models import MAX_COMMISSION_DEPTH, CommissionOverride
from fenxiao.common.money import MAX_RATE_BP, allocate, apply_rate, format_rate, yuan
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.distribution.selectors import commission_earners

from .errors import CommissionCode, CommissionError

DEFAULT_CEILING_BP = 5000  # half of the margin

PRODUCT = "product"
CATEGORY = "category"

# Where an earner's rate came from.
SOURCE_PRODUCT = "product_override"
SOURCE_CATEGORY = "category_override"
SOURCE_LEVEL = "level"

# Why an earner in the chain earns nothing on this line.
BLOCKED_SELF_PURCHASE = "self_purchase"

RATE = CommissionOverride.Mode.RATE.value
FIXED = CommissionOverride.Mode.FIXED.value


@dataclass(frozen=True)
class OverrideRule:
    """A category's or product's own commission for one level: a rate, or a fixed amount per unit."""

    mode: str
    rate_bp: int | None = None
    fixed_fen: int | None = None


Overrides = dict[tuple[str, int], OverrideRule]


@dataclass(frozen=True)
class EarnerInput:
    """One upline position: depth 1 (direct) or 2 (indirect) with the earner's level rates.
    `blocked_reason` set means the position earns nothing on this sale (it still shows, at zero)."""

    depth: int
    direct_rate_bp: int
    indirect_rate_bp: int
    distributor_id: int | None = None
    blocked_reason: str = ""

    def level_rate_bp(self) -> int:
        return self.direct_rate_bp if self.depth == 1 else self.indirect_rate_bp


@dataclass(frozen=True)
class EarnerCommission:
    depth: int
    distributor_id: int | None
    source: str
    mode: str
    rate_bp: int | None
    fixed_fen: int | None
    uncapped_fen: int
    amount_fen: int
    blocked_reason: str = ""

    @property
    def was_reduced(self) -> bool:
        return self.amount_fen < self.uncapped_fen


@dataclass(frozen=True)
class LineCommission:
    line_id: int | None
    base_fen: int
    cost_fen: int
    margin_fen: int
    ceiling_bp: int | None
    cap_fen: int | None
    capped: bool
    uncapped_total_fen: int
    total_fen: int
    earners: tuple[EarnerCommission, ...]

    def for_depth(self, depth: int) -> EarnerCommission | None:
        return next((e for e in self.earners if e.depth == depth), None)

    def amount_for_depth(self, depth: int) -> int:
        earner = self.for_depth(depth)
        return earner.amount_fen if earner is not None else 0

    @property
    def explanation(self) -> str:
        """Why this line pays less than its rates say, for the order page; empty when it does not."""
        if not self.capped:
            return ""
        if self.margin_fen == 0:
            return gettext("该商品无毛利（实付 ¥%(paid)s，成本 ¥%(cost)s），佣金 ¥%(uncapped)s 降为 0") % {
                "paid": yuan(self.base_fen),
                "cost": yuan(self.cost_fen),
                "uncapped": yuan(self.uncapped_total_fen),
            }
        return gettext("佣金合计 ¥%(uncapped)s 超过毛利 ¥%(margin)s 的 %(share)s（上限 ¥%(cap)s），已按比例降至 ¥%(total)s") % {
            "uncapped": yuan(self.uncapped_total_fen),
            "margin": yuan(self.margin_fen),
            "share": format_rate(self.ceiling_bp or 0),
            "cap": yuan(self.cap_fen or 0),
            "total": yuan(self.total_fen),
        }


def blocked_reason_message(code: str) -> str:
    if code == BLOCKED_SELF_PURCHASE:
        return gettext("自购不返直推佣金（已关闭自购返佣）")
    return ""


def _check_depth(depth: object) -> None:
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise CommissionError(CommissionCode.INVALID_DEPTH, gettext("佣金层级必须是 1（直推）或 2（间推）"), {"depth": depth})
    if depth > MAX_COMMISSION_DEPTH:
        raise CommissionError(
            CommissionCode.COMMISSION_DEPTH_EXCEEDED,
            gettext("佣金最多两级（直推 + 间推），不能计算第 %(depth)s 级") % {"depth": depth},
            {"depth": depth, "max_depth": MAX_COMMISSION_DEPTH},
        )


def _check_amount(name: str, value: object, *, minimum: int = 0) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise CommissionError(CommissionCode.INVALID_LINE, gettext("订单行金额或数量无效"), {name: value})


def _check_rate(rate_bp: object, detail: dict[str, Any]) -> None:
    if not isinstance(rate_bp, int) or isinstance(rate_bp, bool) or not 0 <= rate_bp <= MAX_RATE_BP:
        raise CommissionError(CommissionCode.INVALID_OVERRIDE, gettext("佣金比例必须在 0%–100% 之间"), detail)


def _check_overrides(overrides: Mapping[Any, Any]) -> None:
    for key, rule in overrides.items():
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] in (PRODUCT, CATEGORY)):
            raise CommissionError(CommissionCode.INVALID_OVERRIDE, gettext("佣金覆盖设置无效"), {"key": repr(key)})
        _check_depth(key[1])
        if rule.mode == RATE:
            _check_rate(rule.rate_bp, {"key": repr(key), "rate_bp": rule.rate_bp})
        elif rule.mode == FIXED:
            if not isinstance(rule.fixed_fen, int) or isinstance(rule.fixed_fen, bool) or rule.fixed_fen < 0:
                raise CommissionError(
                    CommissionCode.INVALID_OVERRIDE, gettext("佣金覆盖设置无效"), {"key": repr(key), "fixed_fen": rule.fixed_fen}
                )
        else:
            raise CommissionError(
                CommissionCode.INVALID_OVERRIDE, gettext("佣金覆盖设置无效"), {"key": repr(key), "mode": rule.mode}
            )


def _rule_for(earner: EarnerInput, overrides: Mapping[tuple[str, int], OverrideRule]) -> tuple[str, OverrideRule]:
    product_rule = overrides.get((PRODUCT, earner.depth))
    if product_rule is not None:
        return SOURCE_PRODUCT, product_rule
    category_rule = overrides.get((CATEGORY, earner.depth))
    if category_rule is not None:
        return SOURCE_CATEGORY, category_rule
    return SOURCE_LEVEL, OverrideRule(mode=RATE, rate_bp=earner.level_rate_bp())


def compute_line(
    *,
    paid_fen: int,
    cost_fen_total: int,
    quantity: int,
    earners: list[EarnerInput],
    overrides: Mapping[tuple[str, int], OverrideRule],
    ceiling_bp: int | None,
    line_id: int | None = None,
) -> LineCommission:
    """The commission of each earner on one line. `overrides` holds the line's own overrides keyed by
    (PRODUCT or CATEGORY, depth); `ceiling_bp` None means no ceiling."""
    _check_amount("paid_fen", paid_fen)
    _check_amount("cost_fen_total", cost_fen_total)
    _check_amount("quantity", quantity, minimum=1)
    if ceiling_bp is not None and (
        not isinstance(ceiling_bp, int) or isinstance(ceiling_bp, bool) or not 0 <= ceiling_bp <= MAX_RATE_BP
    ):
        raise CommissionError(CommissionCode.INVALID_CEILING, gettext("佣金上限必须是毛利的 0%–100%"), {"ceiling_bp": ceiling_bp})
    _check_overrides(overrides)
    seen: set[int] = set()
    for earner in earners:
        _check_depth(earner.depth)
        if earner.depth in seen:
            raise CommissionError(
                CommissionCode.DUPLICATE_DEPTH, gettext("同一佣金层级只能有一位收益人"), {"depth": earner.depth}
            )
        seen.add(earner.depth)
        _check_rate(earner.direct_rate_bp, {"direct_rate_bp": earner.direct_rate_bp})
        _check_rate(earner.indirect_rate_bp, {"indirect_rate_bp": earner.indirect_rate_bp})

    ordered = sorted(earners, key=lambda e: e.depth)
    drafts: list[tuple[EarnerInput, str, OverrideRule, int]] = []
    for earner in ordered:
        source, rule = _rule_for(earner, overrides)
        if earner.blocked_reason:
            amount = 0
        elif rule.mode == RATE:
            amount = apply_rate(paid_fen, cast(int, rule.rate_bp))  # checked by _check_overrides
        else:
            amount = cast(int, rule.fixed_fen) * quantity
        drafts.append((earner, source, rule, amount))

    uncapped = [amount for *_rest, amount in drafts]
    uncapped_total = sum(uncapped)
    margin = max(paid_fen - cost_fen_total, 0)
    cap = apply_rate(margin, ceiling_bp) if ceiling_bp is not None else None
    capped = cap is not None and uncapped_total > cap
    final = allocate(cast(int, cap), uncapped) if capped else list(uncapped)

    return LineCommission(
        line_id=line_id,
        base_fen=paid_fen,
        cost_fen=cost_fen_total,
        margin_fen=margin,
        ceiling_bp=ceiling_bp,
        cap_fen=cap,
        capped=capped,
        uncapped_total_fen=uncapped_total,
        total_fen=sum(final),
        earners=tuple(
            EarnerCommission(
                depth=earner.depth,
                distributor_id=earner.distributor_id,
                source=source,
                mode=rule.mode,
                rate_bp=rule.rate_bp,
                fixed_fen=rule.fixed_fen,
                uncapped_fen=amount,
                amount_fen=paid,
                blocked_reason=earner.blocked_reason,
            )
            for (earner, source, rule, amount), paid in zip(drafts, final, strict=True)
        ),
    )


def ceiling_bp_setting() -> int:
    """The operator's margin ceiling (CommissionSettings), or the deployment default before the
    operator has saved any."""
    from .models import CommissionSettings

    saved = CommissionSettings.objects.filter(pk=1).values_list("ceiling_bp", flat=True).first()
    if saved is not None:
        return saved
    return getattr(settings, "FENXIAO_COMMISSION_CEILING_BP", DEFAULT_CEILING_BP)


def order_earners(order: Any) -> list[EarnerInput]:
    """The earners of an order from its distributor snapshot: direct = the distributor, indirect = its
    inviter, as many as the operator allows; unapproved positions are left out (nobody moves up in
    their place); on a self-purchase with self-purchase commission off the direct position earns 0."""
    if order.distributor_id is None or not getattr(order, "pays_commission", True):
        return []  # an activity whose orders pay no commission
    distributor = Distributor.objects.select_related("level").get(pk=order.distributor_id)
    conf = DistributionSettings.objects.filter(pk=1).only("self_purchase_commission", "commission_levels").first()
    self_purchase_pays = conf.self_purchase_commission if conf is not None else True
    earners: list[EarnerInput] = []
    for position, earner in enumerate(commission_earners(distributor, conf), start=1):
        if earner is None:
            continue
        blocked = BLOCKED_SELF_PURCHASE if position == 1 and order.is_self_purchase and not self_purchase_pays else ""
        earners.append(
            EarnerInput(
                depth=position,
                direct_rate_bp=earner.level.direct_rate_bp,
                indirect_rate_bp=earner.level.indirect_rate_bp,
                distributor_id=earner.pk,
                blocked_reason=blocked,
            )
        )
    return earners


def _overrides_by_scope(lines: list[Any]) -> tuple[dict[int, Overrides], dict[int, Overrides]]:
    """Every override for the order's products and categories, in one query."""
    product_ids = {line.product_id for line in lines}
    category_ids = {line.category_id for line in lines}
    by_product: dict[int, Overrides] = {}
    by_category: dict[int, Overrides] = {}
    if not lines:
        return by_product, by_category
    rows = CommissionOverride.objects.filter(Q(product_id__in=product_ids) | Q(category_id__in=category_ids)).values(
        "product_id", "category_id", "depth", "mode", "rate_bp", "fixed_fen"
    )
    for row in rows:
        rule = OverrideRule(mode=row["mode"], rate_bp=row["rate_bp"], fixed_fen=row["fixed_fen"])
        if row["product_id"] is not None:
            by_product.setdefault(row["product_id"], {})[(PRODUCT, row["depth"])] = rule
        else:
            by_category.setdefault(row["category_id"], {})[(CATEGORY, row["depth"])] = rule
    return by_product, by_category


def compute_order(order: Any) -> list[LineCommission]:
    """The commission of every line of `order`, in line order. Reads; never writes. The number of
    queries does not grow with the number of lines."""
    lines = list(order.lines.all())
    earners = order_earners(order)
    ceiling = ceiling_bp_setting()
    by_product, by_category = _overrides_by_scope(lines) if earners else ({}, {})
    results: list[LineCommission] = []
    for line in lines:
        overrides = {**by_category.get(line.category_id, {}), **by_product.get(line.product_id, {})}
        results.append(
            compute_line(
                paid_fen=line.paid_fen,
                cost_fen_total=line.unit_cost_fen * line.quantity,
                quantity=line.quantity,
                earners=earners,
                overrides=overrides,
                ceiling_bp=ceiling,
                line_id=line.pk,
            )
        )
    return results
