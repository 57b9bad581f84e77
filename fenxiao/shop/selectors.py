"""The shop's reads: what is on sale, each product with its purchase info. A product is listed only
while it can be bought (on the shelf, in an active category, with a sellable SKU — a sellable SKU
without stock shows as sold out); each read is a fixed number of queries whatever the count."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from django.db.models import F, Q, QuerySet

from fenxiao.catalog import selectors as catalog_selectors
from fenxiao.catalog.models import Banner, Category, Product
from fenxiao.inventory.models import MAIN_LOCATION, StockBatch, fulfilment_location

from .purchase import ProductPurchase, product_purchase


def with_purchase(products: list[Product], *, location: str = MAIN_LOCATION) -> list[Product]:
    """Sets `product.purchase` (a ProductPurchase) on each product and `sku.purchase` (a PurchaseInfo)
    on each of its loaded SKUs; one query for the stock."""
    infos = product_purchase(products, location=location)
    for product in products:
        purchase: ProductPurchase = infos[product.pk]
        product.purchase = purchase
        for sku, info in zip(product.skus.all(), purchase.skus, strict=True):
            sku.purchase = info
    return products


def shop_products(*, category_slug: str | None = None, location: str = MAIN_LOCATION) -> list[Product]:
    """Products on sale, in shelf order, with their purchasable SKUs, lowest price
    (`min_retail_fen`), images and purchase info: four queries."""
    return with_purchase(list(catalog_selectors.shelf_products(category_slug=category_slug)), location=location)


def shelf_product(product_id: int) -> Product | None:
    """One product on sale as the catalog holds it (sellable SKUs, pictures, category), without the
    purchase info `with_purchase` adds; None when it cannot be bought. Three queries."""
    return catalog_selectors.shelf_product(product_id)


def shop_product(product_id: int, *, location: str = MAIN_LOCATION) -> Product | None:
    """One product on sale with its purchase info, or None when it cannot be bought (off the shelf,
    category disabled, no sellable SKU, or no such product)."""
    product = shelf_product(product_id)
    if product is None:
        return None
    return with_purchase([product], location=location)[0]


def shop_categories() -> QuerySet[Category]:
    """The categories a buyer can browse."""
    return catalog_selectors.active_categories()


def shop_category(category_id: int) -> Category | None:
    """A category a buyer can browse, or None (unknown or switched off)."""
    return catalog_selectors.active_category(category_id)


# How a list of products on sale may be ordered: key in the query string → ORDER BY. "sales" is not
# here: units sold come from the orders, above this app (the pages order by them, see web.views.home).
LIST_ORDERS = {
    "": ("sort_order", "id"),
    "new": ("-created_at", "-id"),
    "price": ("min_retail_fen", "id"),
    "price_desc": ("-min_retail_fen", "id"),
}


def listed_products(*, q: str | None = None, category_id: int | None = None, order: str = "") -> QuerySet[Product]:
    """Products a buyer may buy (the catalog's shelf rule: on the shelf, in an active category, with a
    sellable SKU), filtered by a search text or a category, not yet evaluated: a page of it goes
    through `with_purchase` for prices and stock. Constant queries per page whatever its size."""
    qs = catalog_selectors.shelf_products(category_id=category_id, q=q)
    return qs.order_by(*LIST_ORDERS.get(order, LIST_ORDERS[""]))


def products_by_ids(product_ids: list[int], *, location: str = MAIN_LOCATION) -> list[Product]:
    """The products on sale among `product_ids`, in that order, with their purchase info."""
    found = {product.pk: product for product in catalog_selectors.shelf_products().filter(pk__in=product_ids)}
    return with_purchase([found[pk] for pk in product_ids if pk in found], location=location)


def shop_banners(now: datetime) -> list[Banner]:
    """The home page carousel at `now`: live banners whose link a buyer can open."""
    return list(catalog_selectors.live_banners(now).select_related("product", "category"))


@dataclass(frozen=True)
class ProductLabel:
    """产品标签: what the product page shows of a product's label, only the fields that are set. The
    production date is that of the batch a buyer would get now: the first-expiring batch with units
    free to sell of the product's SKUs, at each SKU's fulfilment location (None when unknown)."""

    ingredients: str = ""
    production_date: date | None = None
    shelf_life_days: int | None = None
    manufacturer: str = ""
    manufacturer_address: str = ""
    licence_number: str = ""
    storage: str = ""

    def __bool__(self) -> bool:
        return any(value not in ("", None) for value in self.__dict__.values())


def next_production_date(skus) -> date | None:
    """The production date of the first-expiring batch (FEFO: by expiry date, none last) with free
    units among `skus` (loaded with their products), each at its route's location: one query."""
    where = Q()
    by_location: dict[str, list[int]] = {}
    for sku in skus:
        by_location.setdefault(fulfilment_location(sku.fulfilment_supplier_id), []).append(sku.pk)
    if not by_location:
        return None
    for location, ids in by_location.items():
        where |= Q(stock_record__location=location, stock_record__sku_id__in=ids)
    first = (
        StockBatch.objects.filter(where, on_hand__gt=F("reserved"))
        .order_by(F("expiry_date").asc(nulls_last=True), "id")
        .values_list("production_date", flat=True)
        .first()
    )
    return first


def product_label(product: Product) -> ProductLabel:
    """The label of a product from the shop's reads (its offered SKUs loaded). A product whose label
    the operator filled in (any label field) also shows the production date of the batch it ships
    from next, in one query; a product without label data costs no query."""
    label = ProductLabel(
        ingredients=product.ingredients,
        shelf_life_days=product.shelf_life_days,
        manufacturer=product.manufacturer,
        manufacturer_address=product.manufacturer_address,
        licence_number=product.licence_number,
        storage=product.storage,
    )
    if not label:
        return label
    return replace(label, production_date=next_production_date(product.skus.all()))
