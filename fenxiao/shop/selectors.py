"""The shop's reads: what is on sale, each product with its purchase info. A product is listed only
while it can be bought (on the shelf, in an active category, with a sellable SKU — a sellable SKU
without stock shows as sold out); each read is a fixed number of queries whatever the count."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from fenxiao.catalog import selectors as catalog_selectors
from fenxiao.catalog.models import Banner, Category, Product
from fenxiao.inventory.models import MAIN_LOCATION

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
