"""The purchase-info read: one rule for what can be bought, the price a buyer pays before promotions
and the units free to sell (on hand − reserved), in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.catalog.models import Category, Product, ProductImage, Sku, Unpurchasable
from fenxiao.inventory.models import StockRecord
from fenxiao.shop.purchase import (
    product_purchase,
    purchasable_skus,
    purchase_info,
    purchase_info_for_ids,
)
from fenxiao.shop.selectors import shop_product, shop_products
from tests.factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, len(ctx.captured_queries)


def test_a_sku_on_sale_has_its_retail_price_and_the_units_free_to_sell():
    sku = SkuFactory(retail_fen=9900, suggested_retail_fen=9900, control_fen=8000, stock=10)
    StockRecord.objects.filter(sku=sku).update(reserved=4)
    info = purchase_info_for_ids([sku.pk])[sku.pk]
    assert (info.price_fen, info.available, info.reason) == (9900, 6, None)
    assert info.is_purchasable and info.in_stock and not info.sold_out
    assert info.can_buy(6) and not info.can_buy(7) and not info.can_buy(0)


def test_sold_out_is_purchasable_but_not_in_stock():
    sku = SkuFactory(stock=0)
    other = SkuFactory(product=sku.product)
    StockRecord.objects.filter(sku=other).delete()  # no stock record at all
    infos = purchase_info_for_ids([sku.pk, other.pk])
    for info in infos.values():
        assert info.is_purchasable and info.sold_out and not info.in_stock
        assert info.available == 0 and not info.can_buy(1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda sku: Sku.objects.filter(pk=sku.pk).update(is_active=False), Unpurchasable.SKU_INACTIVE),
        (lambda sku: Product.objects.filter(pk=sku.product_id).update(is_on_shelf=False), Unpurchasable.OFF_SHELF),
        (
            lambda sku: Category.objects.filter(pk=sku.product.category_id).update(is_active=False),
            Unpurchasable.CATEGORY_INACTIVE,
        ),
    ],
)
def test_each_reason_a_sku_cannot_be_bought(change, reason):
    sku = SkuFactory(stock=5)
    change(sku)
    info = purchase_info_for_ids([sku.pk])[sku.pk]
    assert (info.reason, info.is_purchasable, info.in_stock, info.can_buy(1)) == (reason, False, False, False)
    assert purchasable_skus([sku.pk]) == {}


def test_an_unknown_sku_id():
    info = purchase_info_for_ids([987654])[987654]
    assert (info.reason, info.available, info.price_fen) == (Unpurchasable.UNKNOWN_SKU, 0, 0)


def test_the_read_agrees_with_the_query_rule():
    """`purchasable_skus` (the order path, a query) and `purchase_info` (the pages, in Python) say the same."""
    on_sale = SkuFactory()
    inactive = SkuFactory(product=on_sale.product, is_active=False)
    off_shelf = SkuFactory(product=ProductFactory(is_on_shelf=False))
    hidden_category = SkuFactory(product=ProductFactory(category=CategoryFactory(is_active=False)))
    ids = [on_sale.pk, inactive.pk, off_shelf.pk, hidden_category.pk]
    infos = purchase_info_for_ids(ids)
    assert {pk for pk, info in infos.items() if info.is_purchasable} == set(purchasable_skus(ids)) == {on_sale.pk}


def test_reads_cost_a_fixed_number_of_queries():
    skus = [SkuFactory() for _ in range(6)]
    ids = [sku.pk for sku in skus]
    _, by_ids = _queries(lambda: purchase_info_for_ids(ids))
    assert by_ids == 2
    loaded = list(Sku.objects.select_related("product__category").filter(pk__in=ids))
    _, on_loaded = _queries(lambda: purchase_info(loaded))
    assert on_loaded == 1  # stock only
    bare = list(Sku.objects.filter(pk__in=ids))
    _, on_bare = _queries(lambda: purchase_info(bare))
    assert on_bare == 3  # products and categories once each, then stock
    _, order_path = _queries(lambda: purchasable_skus(ids))
    assert order_path == 1


def _fill_shop(count: int) -> None:
    category = CategoryFactory()
    for i in range(count):
        product = ProductFactory(category=category, sort_order=i)
        SkuFactory(product=product, retail_fen=15000, stock=i)
        SkuFactory(product=product, retail_fen=9900, suggested_retail_fen=9900, control_fen=8000, stock=0)
        SkuFactory(product=product, is_active=False)
        ProductImage.objects.create(product=product, image=f"products/p{product.pk}.jpg")


def _render(products):
    """Touch everything a list page or the API shows of each product."""
    return [
        (
            p.name,
            p.category.name,
            p.purchase.price_min_fen,
            p.purchase.in_stock,
            [(s.code, s.purchase.price_fen, s.purchase.in_stock) for s in p.skus.all()],
            [i.image.name for i in p.images.all()],
        )
        for p in products
    ]


def test_the_shop_list_costs_the_same_queries_for_two_or_twenty_products():
    _fill_shop(2)
    _, few = _queries(lambda: _render(shop_products()))
    _fill_shop(18)
    rendered, many = _queries(lambda: _render(shop_products()))
    assert len(rendered) == 20
    assert few == many == 4  # products, their sellable SKUs, their images, the stock of those SKUs


def test_a_product_shows_its_price_range_stock_and_default_sku():
    product = ProductFactory()
    sold_out = SkuFactory(product=product, retail_fen=9900, suggested_retail_fen=9900, control_fen=8000, stock=0)
    dear = SkuFactory(product=product, retail_fen=15000, stock=3)
    SkuFactory(product=product, retail_fen=20000, suggested_retail_fen=20000, is_active=False)
    item = shop_product(product.pk)
    purchase = item.purchase
    assert (purchase.price_min_fen, purchase.price_max_fen) == (9900, 15000)
    assert (purchase.in_stock, purchase.default_sku_id, purchase.reason) == (True, dear.pk, None)
    assert [s.pk for s in item.skus.all()] == [sold_out.pk, dear.pk]
    assert [s.purchase.available for s in item.skus.all()] == [0, 3]
    assert item.min_retail_fen == purchase.price_min_fen


def test_product_purchase_of_products_read_with_all_their_skus():
    """A product read with all its SKUs (an operator list) says why it cannot be bought."""
    shelved_bare = ProductFactory()
    only_inactive = ProductFactory()
    SkuFactory(product=only_inactive, is_active=False)
    off_shelf = ProductFactory(is_on_shelf=False)
    SkuFactory(product=off_shelf)
    products = list(Product.objects.select_related("category").prefetch_related("skus").order_by("pk"))
    infos = product_purchase(products)
    assert {pk: info.reason for pk, info in infos.items()} == {
        shelved_bare.pk: Unpurchasable.NO_SELLABLE_SKU,
        only_inactive.pk: Unpurchasable.NO_SELLABLE_SKU,
        off_shelf.pk: Unpurchasable.OFF_SHELF,
    }
    assert all(info.price_min_fen is None and not info.in_stock for info in infos.values())


# --- the two bugs of one rule in two places -----------------------------------------------------


def test_a_product_in_a_disabled_category_is_neither_shown_nor_buyable(client):
    """It was hidden from the shop but could still be put in the cart (the cart itself: orders' tests)."""
    sku = SkuFactory(stock=5)
    Category.objects.filter(pk=sku.product.category_id).update(is_active=False)

    assert shop_products() == [] and shop_product(sku.product_id) is None
    assert client.get("/api/v1/catalog/products").json() == []
    assert client.get(f"/api/v1/catalog/products/{sku.product_id}").status_code == 404
    in_cart = Sku.objects.select_related("product__category").get(pk=sku.pk)  # as a cart line holds it
    info = purchase_info([in_cart])[sku.pk]
    assert (info.is_purchasable, info.reason) == (False, Unpurchasable.CATEGORY_INACTIVE)
    assert purchasable_skus([sku.pk]) == {}


def test_a_product_on_the_shelf_without_a_sku_is_not_shown_and_not_buyable(client):
    bare = ProductFactory(name="无规格商品")  # on the shelf from older data, no SKU
    lost_last = ProductFactory(name="规格全停用")
    sku = SkuFactory(product=lost_last)
    Sku.objects.filter(pk=sku.pk).update(is_active=False)  # switched off behind the services' back

    assert shop_products() == []
    assert shop_product(bare.pk) is None and shop_product(lost_last.pk) is None
    assert client.get("/api/v1/catalog/products").json() == []
    assert client.get(f"/api/v1/catalog/products/{bare.pk}").status_code == 404
    page = client.get("/").content.decode()
    assert "无规格商品" not in page and "规格全停用" not in page
    assert purchase_info_for_ids([sku.pk])[sku.pk].reason == Unpurchasable.SKU_INACTIVE
    infos = product_purchase(
        Product.objects.select_related("category").prefetch_related("skus").filter(pk__in=[bare.pk, lost_last.pk])
    )
    assert {info.reason for info in infos.values()} == {Unpurchasable.NO_SELLABLE_SKU}
