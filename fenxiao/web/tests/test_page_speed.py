"""What the share page and the product page cost per visit: a fixed number of queries whatever the
shelf holds, and for anonymous visitors of a share link the product grids from the shared cache,
never stale after a price, the shelf, a category or the shop's featured products change."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fenxiao.catalog import services as catalog_services
from fenxiao.distribution.services import shop as services_shop
from fenxiao.web import page_cache
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    OrderFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return DistributorFactory(level=LevelFactory(name="普通分销商", rank=1))


def stock_shelf(count: int, start: int = 0) -> list:
    products = []
    for i in range(start, start + count):
        product = ProductFactory(name=f"商品{i:03d}", sort_order=i)
        SkuFactory(product=product, retail_fen=10000 + i * 100, stock=5)
        SkuFactory(product=product, retail_fen=20000 + i * 100, stock=5)
        products.append(product)
    return products


def visit(path: str) -> tuple[str, list[str]]:
    """A new anonymous visitor (no cookies) opening `path`: the page and the SQL it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(path)
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def catalog_reads(sql: list[str]) -> list[str]:
    return [q for q in sql if q.lstrip().upper().startswith("SELECT") and ('"catalog_' in q or '"orders_' in q)]


def test_share_page_grids_come_from_the_cache_for_anonymous_visitors(shop):
    stock_shelf(3)
    path = reverse("web:share_shop", args=[shop.code])
    first_page, first_sql = visit(path)
    assert "商品000" in first_page and "商品002" in first_page
    assert catalog_reads(first_sql)  # the first visitor renders the grids
    again_page, again_sql = visit(path)
    assert "商品000" in again_page and "商品002" in again_page
    assert catalog_reads(again_sql) == []  # the next one reads them from the cache
    assert len(again_sql) < len(first_sql)


def test_share_page_queries_do_not_grow_with_the_shelf(shop):
    stock_shelf(2)
    path = reverse("web:share_shop", args=[shop.code])
    _page, few = visit(path)
    stock_shelf(12, start=2)  # also makes the cached grids stale
    page, many = visit(path)
    assert "商品013" in page
    assert len(many) == len(few)


def test_a_new_price_shows_at_once(shop):
    product = stock_shelf(1)[0]
    sku = product.skus.order_by("retail_fen").first()
    path = reverse("web:share_shop", args=[shop.code])
    assert "¥100.00" in visit(path)[0]
    assert "¥100.00" in visit(path)[0]  # cached
    catalog_services.change_sku_prices(
        sku=sku, cost_fen=sku.cost_fen, retail_fen=8800, suggested_retail_fen=8800, control_fen=8000
    )
    page = visit(path)[0]
    assert "¥88.00" in page and "¥100.00" not in page


def test_a_product_off_the_shelf_or_a_category_switched_off_leaves_at_once(shop):
    kept, removed = stock_shelf(2)
    hidden_category = CategoryFactory(name="隐藏类目")
    hidden = ProductFactory(name="类目商品", category=hidden_category)
    SkuFactory(product=hidden, retail_fen=5000, stock=5)
    path = reverse("web:share_shop", args=[shop.code])
    assert {"商品000", "商品001", "类目商品"} <= set(filter(visit(path)[0].__contains__, ["商品000", "商品001", "类目商品"]))
    catalog_services.set_shelf(product=removed, on_shelf=False)
    hidden_category.is_active = False
    hidden_category.save()
    page = visit(path)[0]
    assert kept.name in page and removed.name not in page and "类目商品" not in page


def test_the_shops_featured_products_change_at_once(shop):
    products = stock_shelf(2)
    path = reverse("web:share_shop", args=[shop.code])
    assert 'id="shop-featured"' not in visit(path)[0]
    services_shop.change_feature(distributor=shop, product_id=products[1].pk, action="add")
    page = visit(path)[0]
    assert 'id="shop-featured"' in page and products[1].name in page.split('id="shop-body"')[0]


def test_cached_grids_are_per_shop_and_category(shop):
    other = DistributorFactory(level=shop.level)
    product = stock_shelf(1)[0]
    visit(reverse("web:share_shop", args=[shop.code]))
    page = visit(reverse("web:share_shop", args=[other.code]))[0]
    # The cards of another shop's page link through that shop, not the one cached first.
    assert reverse("web:share_product", args=[other.code, product.pk]) in page
    assert reverse("web:share_product", args=[shop.code, product.pk]) not in page
    empty = visit(reverse("web:share_shop", args=[other.code]) + "?c=no-such-category")[0]
    assert product.name not in empty


def test_a_signed_in_distributor_sees_its_own_earnings_not_the_cached_grid(shop):
    stock_shelf(1)
    path = reverse("web:share_shop", args=[shop.code])
    assert "分享赚" not in visit(path)[0]
    client = Client()
    client.force_login(DistributorFactory(level=shop.level).user)
    page = client.get(path).content.decode()
    assert "分享赚" in page


def test_a_lost_version_makes_every_fragment_stale(shop):
    stock_shelf(1)
    path = reverse("web:share_shop", args=[shop.code])
    visit(path)
    before = page_cache.catalog_version()
    cache.delete(page_cache.VERSION_KEY)
    assert page_cache.catalog_version() != before
    assert catalog_reads(visit(path)[1])


def without_cache_table(sql: list[str]) -> list[str]:
    """The queries of the pages themselves, not the shared cache's (a table when there is no Redis)."""
    return [q for q in sql if '"fenxiao_cache"' not in q]


def test_product_page_queries_do_not_grow_with_skus_and_pictures():
    product = stock_shelf(1)[0]
    path = reverse("web:product", args=[product.pk])
    visit(path)
    SkuFactory(product=product, retail_fen=29000, stock=3)  # a new catalog version: read again
    _page, few = visit(path)
    for i in range(6):
        SkuFactory(product=product, retail_fen=30000 + i, stock=3)
    page, many = visit(path)
    assert "¥300.05" in page
    assert len(many) == len(few)
    assert len(without_cache_table(many)) <= 7  # a catalog read (new version) with any 场景套装 parts


def test_product_page_reads_the_catalog_once_per_version_and_the_stock_every_time():
    product = stock_shelf(1)[0]
    path = reverse("web:product", args=[product.pk])
    _page, first = visit(path)
    assert any('"catalog_product"' in q for q in first)
    page, again = visit(path)
    assert "商品000" in page
    assert not [q for q in again if '"catalog_' in q]  # product, SKUs and pictures from the cache
    assert any('"inventory_stockrecord"' in q for q in again)  # stock never is
    assert len(again) < len(first)
    sku = product.skus.order_by("retail_fen").first()
    catalog_services.change_sku_prices(
        sku=sku, cost_fen=sku.cost_fen, retail_fen=8800, suggested_retail_fen=8800, control_fen=8000
    )
    assert "¥88.00" in visit(path)[0]
    catalog_services.set_shelf(product=product, on_shelf=False)
    assert Client().get(path).status_code == 404


def test_units_sold_are_counted_at_most_once_a_minute():
    product = stock_shelf(1)[0]
    sku = product.skus.order_by("retail_fen").first()
    buyer = UserFactory()
    OrderFactory(user=buyer, items=[(sku, 2)], paid=True)
    path = reverse("web:product", args=[product.pk])
    page, sql = visit(path)
    assert "已售 2 件" in page and any('"orders_orderline"' in q for q in sql)
    OrderFactory(user=buyer, items=[(sku, 1)], paid=True)
    page, sql = visit(path)
    assert "已售 2 件" in page  # the figure may lag the orders by a minute
    assert not any('"orders_orderline"' in q for q in sql)
    cache.clear()  # a minute later
    assert "已售 3 件" in visit(path)[0]


def test_a_signed_in_distributors_product_page_costs_fixed_queries_and_reads_it_once(shop):
    product = stock_shelf(1)[0]
    client = Client()
    client.force_login(DistributorFactory(level=shop.level).user)
    path = reverse("web:product", args=[product.pk])

    def open_page() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200 and "分享赚" in response.content.decode()
        return [query["sql"] for query in queries.captured_queries]

    open_page()
    SkuFactory(product=product, retail_fen=29000, stock=3)  # a new catalog version: read again
    few = open_page()
    for i in range(6):
        SkuFactory(product=product, retail_fen=30000 + i, stock=3)
    many = open_page()
    assert len(many) == len(few)
    by_user = [q for q in many if 'FROM "distribution_distributor"' in q and '"distribution_distributor"."user_id" =' in q]
    assert len(by_user) == 1  # the view and the share tags share one read
    assert len(open_page()) < len(few)  # the catalog's part from the cache


def test_opening_the_same_share_link_again_records_the_visit_without_a_session_write(shop):
    stock_shelf(1)
    client = Client()
    path = reverse("web:share_shop", args=[shop.code])
    assert client.get(path).status_code == 200
    assert client.session["ref_code"] == shop.code
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert any('INSERT INTO "distribution_visit"' in q for q in sql)
    assert not [q for q in sql if '"django_session"' in q and not q.lstrip().upper().startswith("SELECT")]
    assert client.session["ref_code"] == shop.code
