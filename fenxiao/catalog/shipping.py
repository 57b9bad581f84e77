"""What an order pays for shipping, from the shipping templates of its products (运费模板).

Each product ships by its own template, or by the default template when it has none. Without any
template that applies (a fresh install, or products without template and no default template), those
items keep the legacy rule: settings.FENXIAO_SHIPPING_FEE_FEN, free once their goods amount reaches
settings.FENXIAO_FREE_SHIPPING_FROM_FEN. The legacy rule acts as one more template whose first charge
is that fee and which has no additional charge.

One template's charge for its items in the buyer's province:

- the rate is the one naming the province, otherwise the template's base rate (the rate without
  provinces); without a province (a cart before an address is chosen) the base rate;
- by piece, `first_fen` covers the first `first_units` pieces (or fewer), then `additional_fen` is
  added for each started block of `additional_units` pieces; by weight the same in grams, the weight of
  a line being its SKU's `weight_g` times its quantity;
- the items ship free when a free-shipping rule for the province (or for every province) is met: the
  template's goods amount after discounts reaches `min_amount_fen`, or its piece count reaches
  `min_count`; without a province only the rules for every province count;
- a template excluding the province (or, saved around the services, without a rate for it) does not
  deliver there: its items are reported undeliverable (and charge nothing); the caller refuses the
  checkout. Without a province nothing is undeliverable; a name that is no province's is charged by
  the base rate and the rules for every province.

Combination rule (首费取最大，续费累加): when an order holds items of several templates, each template
computes its own charge for its own items. The order pays the largest first charge once (of equal
first charges, the earliest template's; the legacy rule comes last), with that template's additional
charges beyond its first units; every other template adds only its additional charges, counted over
all of its units (`additional_fen` per started block of `additional_units`). Templates whose items
ship free contribute nothing.

The free-shipping hint tells how far the cheapest unmet free-shipping condition is, among the
templates that still charge something: `{"template_id", "missing_fen"}` for an amount, or
`{"template_id", "missing_count"}` for a piece count. Conditions are compared by what they cost the
buyer: a piece counts at the template's average price per piece; on a tie the amount condition wins.

Nothing is cached: the quote reads the products' templates, their rates and free rules in a fixed
number of queries whatever the number of items and templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext

from fenxiao.addresses import regions

from .models import Product, ShippingRate, ShippingTemplate


@dataclass(frozen=True)
class ShippingItem:
    product_id: int
    quantity: int
    weight_g: int  # per unit
    amount_fen: int  # the line's goods amount after discounts (for free-shipping thresholds)


@dataclass
class ShippingQuote:
    fee_fen: int
    undeliverable_product_ids: list[int] = field(default_factory=list)
    free_hint: dict | None = None
    parts: list[dict] = field(default_factory=list)


@dataclass
class _Group:
    """The items of one template (None: the legacy rule) and what they are charged on their own."""

    template: ShippingTemplate | None
    items: list[ShippingItem] = field(default_factory=list)
    first_fen: int = 0
    leading_fen: int = 0  # first charge plus the additional charges beyond the first units
    trailing_fen: int = 0  # the additional charges over all units (when another template leads)
    free: bool = False
    contribution_fen: int = 0  # what the group adds to the order under the combination rule
    hint: dict | None = None
    hint_cost_fen: int = 0

    @property
    def amount_fen(self) -> int:
        return sum(item.amount_fen for item in self.items)

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)


def _blocks(units: int, size: int) -> int:
    """How many started blocks of `size` units `units` make (0 when there is no block size)."""
    return -(-units // size) if size > 0 and units > 0 else 0


def _rate_for(template: ShippingTemplate, province: str | None) -> ShippingRate | None:
    rates = list(template.rates.all())
    if province is not None:
        named = next((rate for rate in rates if province in rate.provinces), None)
        if named is not None:
            return named
    return next((rate for rate in rates if not rate.provinces), None)


def _cheapest_hint(group: _Group, conditions: list[tuple[int | None, int | None]]) -> None:
    """The cheapest of the unmet conditions (min_amount_fen, min_count) of a group that is not free."""
    amount, count = group.amount_fen, group.count
    per_piece = amount // count if count else 0
    best: tuple[int, int, dict] | None = None
    template_id = group.template.pk if group.template is not None else None
    for min_amount, min_count in conditions:
        if min_amount is not None:
            missing = min_amount - amount
            candidate = (missing, 0, {"template_id": template_id, "missing_fen": missing})
            best = candidate if best is None or candidate[:2] < best[:2] else best
        if min_count is not None:
            missing = min_count - count
            candidate = (missing * per_piece, 1, {"template_id": template_id, "missing_count": missing})
            best = candidate if best is None or candidate[:2] < best[:2] else best
    if best is not None:
        group.hint_cost_fen, _, group.hint = best


def _charge_template(group: _Group, province: str | None) -> None:
    template = group.template
    assert template is not None
    rules = [
        rule for rule in template.free_rules.all() if not rule.provinces or (province is not None and province in rule.provinces)
    ]
    amount, count = group.amount_fen, group.count
    if any(
        (rule.min_amount_fen is not None and amount >= rule.min_amount_fen)
        or (rule.min_count is not None and count >= rule.min_count)
        for rule in rules
    ):
        group.free = True
        return
    rate = _rate_for(template, province)
    if rate is None:  # no base rate (not saved through the services) and no province: nothing to charge by
        return
    if template.charge_by == ShippingTemplate.ChargeBy.WEIGHT:
        units = sum(item.weight_g * item.quantity for item in group.items)
    else:
        units = count
    group.first_fen = rate.first_fen
    group.leading_fen = rate.first_fen + _blocks(units - rate.first_units, rate.additional_units) * rate.additional_fen
    group.trailing_fen = _blocks(units, rate.additional_units) * rate.additional_fen
    _cheapest_hint(group, [(rule.min_amount_fen, rule.min_count) for rule in rules])


def _charge_legacy(group: _Group) -> None:
    threshold, fee = settings.FENXIAO_FREE_SHIPPING_FROM_FEN, settings.FENXIAO_SHIPPING_FEE_FEN
    if group.amount_fen >= threshold:
        group.free = True
        return
    group.first_fen = group.leading_fen = fee
    if fee > 0:
        _cheapest_hint(group, [(threshold, None)])


def _load(product_ids: set[int]) -> tuple[dict[int, int | None], dict[int, ShippingTemplate], ShippingTemplate | None]:
    """Each product's template id, the templates involved (with rates and free rules), the default."""
    assigned: dict[int, int | None] = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "shipping_template_id"))
    template_ids = {tid for tid in assigned.values() if tid is not None}
    templates = {
        template.pk: template
        for template in ShippingTemplate.objects.filter(Q(pk__in=template_ids) | Q(is_default=True)).prefetch_related(
            "rates", "free_rules"
        )
    }
    default = next((template for template in templates.values() if template.is_default), None)
    return assigned, templates, default


def quote_shipping(items: list[ShippingItem], *, province: str | None) -> ShippingQuote:
    """The shipping of an order (or a cart) to `province`, a province name as orders store it (None:
    no address yet). See the module notes for the rules."""
    items = [item for item in items if item.quantity > 0]
    if not items:
        return ShippingQuote(fee_fen=0)
    assigned, templates, default = _load({item.product_id for item in items})
    groups: dict[int | None, _Group] = {}
    for item in items:
        template_id = assigned.get(item.product_id)
        template = templates.get(template_id) if template_id is not None else default
        key = template.pk if template is not None else None
        groups.setdefault(key, _Group(template)).items.append(item)

    code = None
    if province is not None and any(key is not None for key in groups):
        code = regions.code_of_province(province)
    undeliverable: list[int] = []
    charged: list[_Group] = []
    for key in sorted(groups, key=lambda k: (k is None, k or 0)):
        group, template = groups[key], groups[key].template
        if template is None:
            _charge_legacy(group)
        elif code is not None and (code in template.excluded_provinces or _rate_for(template, code) is None):
            undeliverable.extend(dict.fromkeys(item.product_id for item in group.items))
            continue
        else:
            _charge_template(group, code)
        charged.append(group)

    paying = [group for group in charged if not group.free]
    leader = max(paying, key=lambda group: group.first_fen, default=None)  # max keeps the earliest of equals
    parts: list[dict] = []
    for group in charged:
        if group.free:
            contribution = 0
        elif group is leader:
            contribution = group.leading_fen
        else:
            contribution = group.trailing_fen
        template = group.template
        parts.append(
            {
                "template_id": template.pk if template is not None else None,
                "name": template.name if template is not None else gettext("运费"),
                "fee_fen": contribution,
                "free": group.free,
            }
        )
        group.contribution_fen = contribution
    hints = [
        (group.hint_cost_fen, "missing_count" in group.hint, group.hint)
        for group in paying
        if group.hint and group.contribution_fen > 0
    ]
    best = min(hints, key=lambda hint: hint[:2], default=None)
    return ShippingQuote(
        fee_fen=sum(part["fee_fen"] for part in parts),
        undeliverable_product_ids=undeliverable,
        free_hint=dict(best[2]) if best is not None else None,
        parts=parts,
    )
