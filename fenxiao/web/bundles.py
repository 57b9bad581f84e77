"""What the phone pages show of 场景套装 (bundles): on the product page, the cart and checkout a bundle
SKU carries its parts (catalog.bundles.bundle_views); in an order, the component lines of one bundle
are shown together under the bundle's name ("套装 × N"), each with its share of the price."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fenxiao.catalog.bundles import bundle_views


def with_bundles(skus: Iterable[Any]) -> dict[int, Any]:
    """Sets `sku.bundle` (a BundleView, or None for an ordinary SKU) on each SKU; one query for the
    components of them all. Returns the bundles by SKU id."""
    skus = list(skus)
    views = bundle_views(skus)
    for sku in skus:
        sku.bundle = views.get(sku.pk)
    return views


def group_bundle_lines(rows: list[Any], line_of: Callable[[Any], Any] = lambda row: row) -> list[dict]:
    """Order lines (or rows holding one, read by `line_of`) in display order: the lines of a bundle
    follow one another after the first of them, which carries the bundle's heading. Each item is
    {"row", "bundle" (heading or None), "in_bundle"}; a heading is {"sku_id", "name", "quantity",
    "total_fen", "paid_fen", "refunded_fen", "lines"}."""
    groups: dict[int, list[Any]] = {}
    order: list[tuple[str, Any]] = []
    for row in rows:
        line = line_of(row)
        key = line.bundle_sku_id
        if key is None:
            order.append(("line", row))
        elif key in groups:
            groups[key].append(row)
        else:
            groups[key] = [row]
            order.append(("bundle", key))
    items: list[dict] = []
    for kind, value in order:
        if kind == "line":
            items.append({"row": value, "bundle": None, "in_bundle": False})
            continue
        members = groups[value]
        lines = [line_of(row) for row in members]
        heading = {
            "sku_id": value,
            "name": lines[0].bundle_name,
            "quantity": lines[0].bundle_quantity,
            "total_fen": sum(line.line_total_fen for line in lines),
            "paid_fen": sum(line.paid_fen for line in lines),
            "refunded_fen": sum(line.refunded_fen for line in lines),
            "lines": len(lines),
        }
        for n, row in enumerate(members):
            items.append({"row": row, "bundle": heading if n == 0 else None, "in_bundle": True})
    return items
