"""The shop's reads: what is on sale, each product with its purchase info. A product is listed only
while it can be bought (on the shelf, in an active category, with a sellable SKU — a sellable SKU
without stock shows as sold out); each read is a fixed number of queries whatever the count."""

from __future__ import annotations

from django.db.models import QuerySet

from fenxiao.catalog import selectors as catalog_selectors
from fenxiao.catalog.models import Category, Product
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


def shop_product(product_id: int, *, location: str = MAIN_LOCATION) -> Product | None:
    """One product on sale with its purchase info, or None when it cannot be bought (off the shelf,
    category disabled, no sellable SKU, or no such product)."""
    product = catalog_selectors.shelf_product(product_id)
    if product is None:
        return None
    return with_purchase([product], location=location)[0]


def shop_categories() -> QuerySet[Category]:
    """The categories a buyer can browse."""
    return catalog_selectors.active_categories()
