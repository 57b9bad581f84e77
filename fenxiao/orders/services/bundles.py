"""A bundle (场景套装) in an order: the pipeline prices a bundle SKU as one line (its own promotions,
coupons and points); the order keeps one line per component instead, so that stock, refunds and
commission work per component as they do for any other line.

Each component line holds `component quantity × bundle quantity` units of the component, its share of
the bundle line's total in proportion to its list value (retail × quantity), and its own share of every
discount the bundle line got, spread in proportion to what each component line still costs (never
below zero). The shares add up exactly: Σ line totals = the bundle line's total, Σ paid = its paid."""

from __future__ import annotations

from dataclasses import dataclass, field

from fenxiao.catalog.models import BundleComponent, Sku
from fenxiao.common.money import allocate
from fenxiao.promotions import pricing

from ..models import OrderLine

__all__ = ["LineDraft", "bundle_parts", "component_lines", "order_lines"]


@dataclass
class LineDraft:
    """An order line not saved yet, with the adjustments its rows will carry."""

    line: OrderLine
    adjustments: list[pricing.Adjustment] = field(default_factory=list)


def bundle_parts(skus: dict[int, Sku]) -> dict[int, list[BundleComponent]]:
    """The components of the bundle SKUs among `skus` (by bundle SKU id, in display order, with their
    products): one query, none when no SKU is a bundle (`purchasable_skus` marks them `is_bundle`)."""
    bundle_ids = [pk for pk, sku in skus.items() if getattr(sku, "is_bundle", True)]
    if not bundle_ids:
        return {}
    parts: dict[int, list[BundleComponent]] = {}
    rows = (
        BundleComponent.objects.filter(bundle_id__in=bundle_ids)
        .select_related("component__product")
        .order_by("bundle_id", "position", "id")
    )
    for row in rows:
        parts.setdefault(row.bundle_id, []).append(row)
    return parts


def _plain_line(line: pricing.PricedLine, sku: Sku) -> LineDraft:
    return LineDraft(
        OrderLine(
            sku_id=line.sku_id,
            product_id=sku.product_id,
            category_id=sku.product.category_id,
            product_name=sku.product.name,
            sku_spec=sku.spec,
            unit_price_fen=line.unit_price_fen,
            unit_cost_fen=line.unit_cost_fen,
            quantity=line.quantity,
            line_total_fen=line.line_total_fen,
            discount_fen=line.discount_fen,
            paid_fen=line.paid_fen,
        ),
        list(line.adjustments),
    )


def component_lines(line: pricing.PricedLine, bundle: Sku, parts: list[BundleComponent]) -> list[LineDraft]:
    """The order lines of one priced bundle line: one per component (see the module's doc)."""
    weights = [part.component.retail_fen * part.quantity for part in parts]
    if not any(weights):  # components without a list price: share by units
        weights = [part.quantity for part in parts]
    totals = allocate(line.line_total_fen, weights)
    left = list(totals)  # what each component line still costs after the adjustments so far
    spread: list[list[pricing.Adjustment]] = [[] for _ in parts]
    for adjustment in line.adjustments:
        amount = min(adjustment.amount_fen, sum(left))
        if amount <= 0:
            continue
        for i, share in enumerate(allocate(amount, left)):
            if share:
                left[i] -= share
                spread[i].append(pricing.Adjustment(adjustment.stage, share, adjustment.source_id, adjustment.label))
    bundle_name = f"{bundle.product.name} {bundle.spec}".strip()[:120]
    drafts = []
    for part, total, adjustments in zip(parts, totals, spread, strict=True):
        component = part.component
        quantity = part.quantity * line.quantity
        discount = sum(adjustment.amount_fen for adjustment in adjustments)
        drafts.append(
            LineDraft(
                OrderLine(
                    sku=component,
                    product_id=component.product_id,
                    category_id=component.product.category_id,
                    product_name=component.product.name,
                    sku_spec=component.spec,
                    unit_price_fen=total // quantity,
                    unit_cost_fen=component.cost_fen,
                    quantity=quantity,
                    line_total_fen=total,
                    discount_fen=discount,
                    paid_fen=total - discount,
                    bundle_sku_id=bundle.pk,
                    bundle_name=bundle_name,
                    bundle_quantity=line.quantity,
                ),
                adjustments,
            )
        )
    return drafts


def order_lines(priced: list[pricing.PricedLine], skus: dict[int, Sku]) -> list[LineDraft]:
    """The order lines of priced lines, in their order: a bundle line becomes its component lines,
    every other line one line. One query when a bundle is among them, none otherwise."""
    parts = bundle_parts({line.sku_id: skus[line.sku_id] for line in priced})
    drafts: list[LineDraft] = []
    for line in priced:
        sku = skus[line.sku_id]
        if line.sku_id in parts:
            drafts.extend(component_lines(line, sku, parts[line.sku_id]))
        else:
            drafts.append(_plain_line(line, sku))
    return drafts
