"""What a buyer sees of a SKU or a product: its price, how many units are free to sell, and whether
it can be bought (and why not) — the one read the shop, the product page, the cart, checkout and the
public API share, as django-oscar's `PurchaseInfo`.

The rule of what may be bought is the catalog's (`purchasable_sku_q` / `unpurchasable_reason`); the
units free to sell are inventory's (on hand − reserved). The price is the SKU's retail price, the unit
price the pricing pipeline starts from (promotions.pricing adds promotions, shipping and totals).

A bundle SKU (场景套装, a SKU with `bundle_components`) holds no stock of its own: its free units are
the fewest whole bundles its components' free units make, and it cannot be bought while any of its
components cannot. The components are read in the same query as the stock.

Each read costs a fixed number of queries whatever the number of SKUs or products.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Subquery, prefetch_related_objects

from fenxiao.catalog.models import (
    BundleComponent,
    Product,
    Sku,
    Unpurchasable,
    product_unpurchasable_reason,
    purchasable_sku_q,
    unpurchasable_reason,
)
from fenxiao.inventory.models import MAIN_LOCATION, StockRecord, fulfilment_location, fulfilment_location_expression
from fenxiao.inventory.selectors import available_at, available_by_sku

# The default `location` of the reads below: every SKU at its own fulfilment location (the platform
# warehouse, or the supplier who ships it); another location (a flash sale's own stock) is read as given.
ROUTED = MAIN_LOCATION

__all__ = [
    "ProductPurchase",
    "PurchaseInfo",
    "Unpurchasable",
    "product_purchase",
    "purchasable_skus",
    "purchase_info",
    "purchase_info_for_ids",
]


@dataclass(frozen=True)
class PurchaseInfo:
    """One SKU as a buyer sees it. `reason` is None when it may be put in a cart and ordered;
    `available` is the units free to sell (never below 0). A purchasable SKU without stock is shown
    as sold out: stock is checked again, atomically, when an order reserves it."""

    sku_id: int
    price_fen: int
    available: int
    reason: Unpurchasable | None = None

    @property
    def is_purchasable(self) -> bool:
        return self.reason is None

    @property
    def in_stock(self) -> bool:
        return self.is_purchasable and self.available > 0

    @property
    def sold_out(self) -> bool:
        return self.is_purchasable and self.available <= 0

    def can_buy(self, quantity: int) -> bool:
        """Purchasable with at least `quantity` units free right now."""
        return self.is_purchasable and 0 < quantity <= self.available


@dataclass(frozen=True)
class ProductPurchase:
    """A product as a buyer sees it: its SKUs' purchase info (in the order they were loaded) and
    what a list or a product page shows of them. `reason` is None when at least one SKU may be
    bought; a product without a purchasable SKU is never shown as buyable."""

    product_id: int
    skus: tuple[PurchaseInfo, ...]
    reason: Unpurchasable | None = None

    @property
    def is_purchasable(self) -> bool:
        return self.reason is None

    @property
    def purchasable_skus(self) -> tuple[PurchaseInfo, ...]:
        return tuple(info for info in self.skus if info.is_purchasable)

    @property
    def price_min_fen(self) -> int | None:
        return min((info.price_fen for info in self.purchasable_skus), default=None)

    @property
    def price_max_fen(self) -> int | None:
        return max((info.price_fen for info in self.purchasable_skus), default=None)

    @property
    def in_stock(self) -> bool:
        return any(info.in_stock for info in self.skus)

    @property
    def default_sku_id(self) -> int | None:
        """The SKU a product page preselects: the first one in stock."""
        return next((info.sku_id for info in self.skus if info.in_stock), None)


def _info(sku: Sku, available: int, component_reason: Unpurchasable | None = None) -> PurchaseInfo:
    reason = unpurchasable_reason(sku) or component_reason
    return PurchaseInfo(sku_id=sku.pk, price_fen=sku.retail_fen, available=max(0, available), reason=reason)


def _free(sku_ref: str, location: str) -> Subquery:
    """The free units of the SKU at `sku_ref`, at `location`; at ROUTED, at the SKU's own fulfilment
    location (its supplier's stock, else the platform warehouse's)."""
    records = StockRecord.objects.filter(sku_id=OuterRef(sku_ref))
    if location == ROUTED:
        records = records.filter(location=fulfilment_location_expression("sku__"))
    else:
        records = records.filter(location=location)
    return Subquery(records.annotate(free=F("on_hand") - F("reserved")).values("free")[:1])


def _routed_free(skus: Iterable[Sku], location: str) -> dict[int, int]:
    """Free units of loaded SKUs (with their products), each at its own fulfilment location when
    `location` is ROUTED: one query."""
    skus = list(skus)
    if location != ROUTED:
        return available_by_sku({sku.pk for sku in skus}, location)
    by_location: dict[str, set[int]] = {}
    for sku in skus:
        by_location.setdefault(fulfilment_location(sku.fulfilment_supplier_id), set()).add(sku.pk)
    return available_at(by_location)


def _stock_and_bundles(sku_ids: Iterable[int], location: str) -> tuple[dict[int, int], dict[int, bool]]:
    """In one query: the units free to sell per SKU (a bundle's: min over its components of free //
    quantity, 0 when one has none) and, for each bundle SKU, whether all its components may be bought."""
    ids = set(sku_ids)
    if not ids:
        return {}, {}
    rows = (
        Sku.objects.filter(pk__in=ids)
        .order_by()
        .annotate(
            own_free=_free("pk", location),
            part_id=F("bundle_components__component_id"),
            part_quantity=F("bundle_components__quantity"),
            part_free=_free("bundle_components__component_id", location),
            part_ok=ExpressionWrapper(purchasable_sku_q("bundle_components__component__"), output_field=BooleanField()),
        )
        .values_list("pk", "own_free", "part_id", "part_quantity", "part_free", "part_ok")
    )
    available: dict[int, int] = dict.fromkeys(ids, 0)
    bundles: dict[int, bool] = {}
    parts: dict[int, list[int]] = {}
    for sku_id, own_free, part_id, part_quantity, part_free, part_ok in rows:
        if part_id is None:
            available[sku_id] = own_free or 0
            continue
        bundles[sku_id] = bundles.get(sku_id, True) and bool(part_ok)
        parts.setdefault(sku_id, []).append(max(0, part_free or 0) // part_quantity)
    for sku_id, wholes in parts.items():
        available[sku_id] = min(wholes)
    return available, bundles


def _loaded_parts(skus: list[Sku]) -> dict[int, list[BundleComponent]] | None:
    """The SKUs' components when every SKU carries them with their products and categories
    (catalog.bundles.parts_prefetch), else None."""
    parts: dict[int, list[BundleComponent]] = {}
    for sku in skus:
        if "bundle_components" not in getattr(sku, "_prefetched_objects_cache", {}):
            return None
        rows = list(sku.bundle_components.all())
        for row in rows:
            if not (BundleComponent.component.is_cached(row) and Sku.product.is_cached(row.component)):
                return None
            if not Product.category.is_cached(row.component.product):
                return None
        if rows:
            parts[sku.pk] = rows
    return parts


def _stock_of_loaded(skus: list[Sku], parts: dict[int, list[BundleComponent]], location: str):
    """`_stock_and_bundles` for SKUs whose components are loaded: one query of stock alone."""
    free = _routed_free([*skus, *(row.component for rows in parts.values() for row in rows)], location)
    available = {sku.pk: free[sku.pk] for sku in skus}
    bundles: dict[int, bool] = {}
    for sku_id, rows in parts.items():
        available[sku_id] = min(max(0, free[row.component_id]) // row.quantity for row in rows)
        bundles[sku_id] = all(unpurchasable_reason(row.component) is None for row in rows)
    return available, bundles


def purchase_info(skus: Iterable[Sku], *, location: str = MAIN_LOCATION) -> dict[int, PurchaseInfo]:
    """Purchase info of SKUs already loaded (e.g. cart lines' `sku`), by SKU id: one query for stock
    (a bundle's components with theirs: of stock alone when the SKUs carry catalog.bundles'
    `parts_prefetch`, else joined to the components), plus one for products and one for categories
    only when they were not loaded with the SKUs."""
    skus = list(skus)
    if not skus:
        return {}
    # the suppliers only where a SKU or its product has one (no query otherwise): see `supplier_ready`
    prefetch_related_objects(skus, "product__category", "supplier", "product__supplier")
    parts = _loaded_parts(skus)
    if parts is None:
        available, bundles = _stock_and_bundles((sku.pk for sku in skus), location)
    else:
        available, bundles = _stock_of_loaded(skus, parts, location)
    return {
        sku.pk: _info(sku, available[sku.pk], None if bundles.get(sku.pk, True) else Unpurchasable.SKU_INACTIVE) for sku in skus
    }


def purchase_info_for_ids(sku_ids: Iterable[int], *, location: str = MAIN_LOCATION) -> dict[int, PurchaseInfo]:
    """Purchase info by SKU id, in two queries; an id that names no SKU is `UNKNOWN_SKU`."""
    ids = {int(sku_id) for sku_id in sku_ids}
    skus = Sku.objects.select_related("product__category").in_bulk(list(ids))
    result = purchase_info(skus.values(), location=location)
    for missing in ids - set(skus):
        result[missing] = PurchaseInfo(sku_id=missing, price_fen=0, available=0, reason=Unpurchasable.UNKNOWN_SKU)
    return result


def purchasable_skus(sku_ids: Iterable[int]) -> dict[int, Sku]:
    """The SKUs among `sku_ids` a buyer may order, by id, with their products, in one query — the
    cart and order path (stock is not read here: the reservation checks it atomically). A bundle SKU
    is left out while any of its components may not be bought; each SKU carries `is_bundle`."""
    parts = BundleComponent.objects.filter(bundle_id=OuterRef("pk")).order_by()
    skus = (
        Sku.objects.select_related("product")
        .filter(purchasable_sku_q())
        .annotate(is_bundle=Exists(parts))
        .exclude(Exists(parts.exclude(purchasable_sku_q("component__"))))
        .in_bulk(list(sku_ids))
    )
    return cast(dict[int, Sku], skus)


def product_purchase(products: Iterable[Product], *, location: str = MAIN_LOCATION) -> dict[int, ProductPurchase]:
    """Purchase info of products loaded with their category and their `skus` prefetched (all of them
    or only the sellable ones, as catalog's shelf reads do), by product id: one query for the stock of
    every SKU of every product."""
    products = list(products)
    skus = [sku for product in products for sku in product.skus.all()]
    by_id = {product.pk: product for product in products}
    for sku in skus:  # the product is in hand: no query to reach it or its category
        if not Sku.product.is_cached(sku):
            Sku.product.field.set_cached_value(sku, by_id[sku.product_id])
    infos = purchase_info(skus, location=location)
    result = {}
    for product in products:
        sku_infos = tuple(infos[sku.pk] for sku in product.skus.all())
        reason = product_unpurchasable_reason(product)
        if reason is None and not any(info.is_purchasable for info in sku_infos):
            reason = Unpurchasable.NO_SELLABLE_SKU
        result[product.pk] = ProductPurchase(product_id=product.pk, skus=sku_infos, reason=reason)
    return result
