"""Order pricing in one place: goods, discounts, shipping, and what each line is paid.

A discount rule (promotions plug in here) looks at the priced lines and returns discounts; the
strategy spreads each order-level discount over the lines in proportion to their totals, so every
line knows what the buyer really paid for it (the base for commission and the refund ceiling).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from fenxiao.common.money import allocate


@dataclass
class PricedLine:
    sku_id: int
    quantity: int
    unit_price_fen: int
    unit_cost_fen: int
    line_total_fen: int
    discount_fen: int = 0

    @property
    def paid_fen(self) -> int:
        return self.line_total_fen - self.discount_fen


@dataclass(frozen=True)
class Discount:
    code: str
    label: str
    amount_fen: int


@dataclass
class Quote:
    lines: list[PricedLine]
    goods_fen: int
    discounts: list[Discount] = field(default_factory=list)
    shipping_fen: int = 0

    @property
    def discount_fen(self) -> int:
        return sum(d.amount_fen for d in self.discounts)

    @property
    def total_fen(self) -> int:
        return self.goods_fen - self.discount_fen + self.shipping_fen

    def breakdown(self) -> dict[str, Any]:
        """What the order page shows: each step of the price, in fen."""
        return {
            "goods_fen": self.goods_fen,
            "discounts": [{"code": d.code, "label": d.label, "amount_fen": d.amount_fen} for d in self.discounts],
            "shipping_fen": self.shipping_fen,
            "total_fen": self.total_fen,
        }


DiscountRule = Callable[[object, list[PricedLine], int], list[Discount]]
_discount_rules: list[DiscountRule] = []


def register_discount_rule(rule: DiscountRule) -> None:
    """Promotions add rules here; they run in registration order, so stacking is deterministic."""
    if rule not in _discount_rules:
        _discount_rules.append(rule)


class PricingStrategy:
    def __init__(self, *, shipping_fee_fen: int | None = None, free_shipping_from_fen: int | None = None):
        self.shipping_fee_fen = settings.FENXIAO_SHIPPING_FEE_FEN if shipping_fee_fen is None else shipping_fee_fen
        self.free_shipping_from_fen = (
            settings.FENXIAO_FREE_SHIPPING_FROM_FEN if free_shipping_from_fen is None else free_shipping_from_fen
        )

    def quote(self, user: Any, items: list[tuple[Any, int]]) -> Quote:
        """`items` are (sku, quantity) with the SKU's current retail price and cost."""
        lines = [
            PricedLine(
                sku_id=sku.pk,
                quantity=qty,
                unit_price_fen=sku.retail_fen,
                unit_cost_fen=sku.cost_fen,
                line_total_fen=sku.retail_fen * qty,
            )
            for sku, qty in items
        ]
        goods = sum(line.line_total_fen for line in lines)
        quote = Quote(lines=lines, goods_fen=goods)
        for rule in _discount_rules:
            remaining = goods - quote.discount_fen
            for discount in rule(user, lines, remaining):
                amount = max(0, min(discount.amount_fen, goods - quote.discount_fen))
                if amount:
                    quote.discounts.append(Discount(discount.code, discount.label, amount))
        if quote.discount_fen and goods:
            for line, share in zip(lines, allocate(quote.discount_fen, [line.line_total_fen for line in lines]), strict=True):
                line.discount_fen = share
        payable_goods = goods - quote.discount_fen
        quote.shipping_fen = 0 if payable_goods >= self.free_shipping_from_fen else self.shipping_fee_fen
        return quote
