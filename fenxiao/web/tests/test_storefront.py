"""The storefront a buyer expects: search, category pages with sorting, banners, galleries, rich
descriptions and sold counts — each list in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fenxiao.catalog.models import Banner, ProductImage
from fenxiao.orders.models import AfterSale, Order, OrderLine
from tests.factories import CategoryFactory, OrderFactory, OrderRecordFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


def on_sale(name, *, category=None, price=15000, **fields):
    product = ProductFactory(name=name, category=category or CategoryFactory(), **fields)
    SkuFactory(product=product, retail_fen=price, suggested_retail_fen=max(price, 100), control_fen=min(price, 100))
    return product


def names(page: str) -> list[str]:
    return re.findall(r'<h3 class="app-card__name">([^<]+)</h3>', page)


# --- search -------------------------------------------------------------------------------------


def test_search_finds_only_what_can_be_bought():
    found = on_sale("玫瑰精华")
    off_shelf = ProductFactory(name="玫瑰面霜", is_on_shelf=False)
    SkuFactory(product=off_shelf)
    ProductFactory(name="玫瑰香皂")  # no SKU at all
    on_sale("玫瑰礼盒", category=CategoryFactory(is_active=False))
    inactive = ProductFactory(name="玫瑰乳液")
    SkuFactory(product=inactive, is_active=False)
    page = Client().get(reverse("web:search"), {"q": "玫瑰"})
    assert page.status_code == 200
    assert names(page.content.decode()) == [found.name]
    assert "找到 1 件商品" in page.content.decode()


def test_search_matches_category_names_and_ignores_case():
    skincare = CategoryFactory(name="Skincare 护肤")
    mask = on_sale("补水面膜", category=skincare)
    on_sale("坚果")
    assert names(Client().get(reverse("web:search"), {"q": "skincare"}).content.decode()) == [mask.name]
    assert names(Client().get(reverse("web:search"), {"q": "护肤"}).content.decode()) == [mask.name]


def test_search_is_paginated_and_keeps_the_words():
    category = CategoryFactory()
    for i in range(23):
        on_sale(f"茶叶{i:02d}", category=category, sort_order=i)
    first = Client().get(reverse("web:search"), {"q": "茶叶"}).content.decode()
    assert len(names(first)) == 20 and "1 / 2" in first
    assert "?q=%E8%8C%B6%E5%8F%B6&amp;page=2" in first
    second = Client().get(reverse("web:search"), {"q": "茶叶", "page": "2"}).content.decode()
    assert names(second) == ["茶叶20", "茶叶21", "茶叶22"]


def test_search_empty_states():
    on_sale("咖啡")
    blank = Client().get(reverse("web:search")).content.decode()
    assert 'id="search-empty"' in blank and "输入商品名称或分类搜索" in blank and not names(blank)
    nothing = Client().get(reverse("web:search"), {"q": "<script>不存在</script>"}).content.decode()
    assert 'id="search-empty"' in nothing and "没有找到" in nothing
    assert "<script>不存在" not in nothing and "&lt;script&gt;" in nothing


def test_home_has_the_search_box():
    page = Client().get(reverse("web:home")).content.decode()
    assert f'action="{reverse("web:search")}"' in page and 'name="q"' in page


# --- category page ------------------------------------------------------------------------------


@pytest.fixture
def shelf():
    category = CategoryFactory(name="零食")
    now = timezone.now()
    cheap = on_sale("薯片", category=category, price=900, sort_order=2)
    dear = on_sale("坚果礼盒", category=category, price=19900, sort_order=1)
    middle = on_sale("牛肉干", category=category, price=4900, sort_order=3)
    # created one day apart: the newest is the cheap one
    for days, product in ((3, dear), (2, middle), (1, cheap)):
        type(product).objects.filter(pk=product.pk).update(created_at=now - timedelta(days=days))
    off = ProductFactory(name="下架辣条", category=category, is_on_shelf=False)
    SkuFactory(product=off)
    on_sale("别的类目", category=CategoryFactory())
    return category, cheap, dear, middle


def sold(product, units, **line):
    sku = product.skus.first()
    return OrderRecordFactory(status=Order.Status.PAID, completed_at=None, lines=[{"sku": sku, "quantity": units, **line}])


def test_category_page_lists_its_products_on_sale(shelf):
    category, *_ = shelf
    page = Client().get(reverse("web:category", args=[category.pk])).content.decode()
    assert names(page) == ["坚果礼盒", "薯片", "牛肉干"]  # shelf order; nothing off the shelf or from elsewhere


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("new", ["薯片", "牛肉干", "坚果礼盒"]),
        ("price", ["薯片", "牛肉干", "坚果礼盒"]),
        ("price_desc", ["坚果礼盒", "牛肉干", "薯片"]),
        ("sales", ["牛肉干", "坚果礼盒", "薯片"]),
        ("bogus", ["坚果礼盒", "薯片", "牛肉干"]),
    ],
)
def test_category_page_sorting(shelf, sort, expected):
    category, cheap, dear, middle = shelf
    sold(middle, 5)
    sold(dear, 2)
    page = Client().get(reverse("web:category", args=[category.pk]), {"sort": sort}).content.decode()
    assert names(page) == expected


def test_sales_sort_pages_through_everything(shelf):
    category, *_ = shelf
    for i in range(22):
        product = on_sale(f"饼干{i:02d}", category=category, sort_order=10 + i)
        sold(product, i + 1)
    first = names(Client().get(reverse("web:category", args=[category.pk]), {"sort": "sales"}).content.decode())
    assert first[:3] == ["饼干21", "饼干20", "饼干19"] and len(first) == 20
    second = names(Client().get(reverse("web:category", args=[category.pk]), {"sort": "sales", "page": 2}).content.decode())
    assert len(second) == 5 and "饼干00" in second


def test_closed_or_unknown_category_is_not_found():
    closed = CategoryFactory(is_active=False)
    assert Client().get(reverse("web:category", args=[closed.pk])).status_code == 404
    assert Client().get("/c/999999999/").status_code == 404
    assert Client().get("/c/99999999999999999999999/").status_code == 404


# --- sold counts --------------------------------------------------------------------------------


def a_minute_later() -> None:
    """Units sold are cached for a minute (web.page_cache.FRAGMENT_SECONDS): a minute on, counted again."""
    cache.clear()


def test_sold_counts_follow_payment_and_refunds():
    product = on_sale("保温杯", price=12900)
    sku = product.skus.get()
    buyer = UserFactory()
    OrderFactory(user=buyer, items=[(sku, 2)])  # placed, never paid: not sold
    page = Client().get(reverse("web:product", args=[product.pk])).content.decode()
    assert 'id="product-sold"' not in page

    OrderFactory(user=buyer, items=[(sku, 3)], paid=True)
    a_minute_later()
    assert "已售 3 件" in Client().get(reverse("web:product", args=[product.pk])).content.decode()
    assert "已售 3" in Client().get(reverse("web:home")).content.decode()

    OrderFactory(user=buyer, items=[(sku, 1)], refunded=True)  # paid, then refunded in full: not sold
    a_minute_later()
    assert "已售 3 件" in Client().get(reverse("web:product", args=[product.pk])).content.decode()

    returned = sold(product, 4)  # four paid, one sent back and refunded
    line = returned.lines.get()
    Order.objects.filter(pk=returned.pk).update(refunded_fen=line.unit_price_fen)
    OrderLine.objects.filter(pk=line.pk).update(refunded_fen=line.unit_price_fen)
    AfterSale.objects.create(
        line=line,
        order=returned,
        kind=AfterSale.Kind.RETURN_REFUND,
        amount_fen=line.unit_price_fen,
        quantity=1,
        reason="不合适",
        status=AfterSale.Status.REFUNDED,
    )
    AfterSale.objects.create(
        line=line,
        order=returned,
        kind=AfterSale.Kind.RETURN_REFUND,
        amount_fen=line.unit_price_fen,
        quantity=1,
        reason="再退一件",
        status=AfterSale.Status.REJECTED,
    )
    a_minute_later()
    assert "已售 6 件" in Client().get(reverse("web:product", args=[product.pk])).content.decode()


# --- banners, gallery, description ----------------------------------------------------------------


def test_home_shows_live_banners_with_their_links():
    now = timezone.now()
    product = on_sale("精华液")
    category = CategoryFactory()
    Banner.objects.create(title="新品", image="banners/a.jpg", target="product", product=product, sort_order=1)
    Banner.objects.create(title="类目日", image="banners/b.jpg", target="category", category=category, sort_order=2)
    Banner.objects.create(title="搜索", image="banners/c.jpg", target="url", url="/search/?q=礼盒", sort_order=3)
    Banner.objects.create(title="过期", image="banners/d.jpg", target="url", url="/", ends_at=now - timedelta(days=1))
    Banner.objects.create(title="外链", image="banners/e.jpg", target="url", url="//evil.example/")  # written around the console
    page = Client().get(reverse("web:home")).content.decode()
    assert "data-carousel" in page
    links = re.findall(r'<a class="app-banners__slide" href="([^"]+)"', page)
    assert links == [reverse("web:product", args=[product.pk]), reverse("web:category", args=[category.pk]), "/search/?q=礼盒"]
    assert "过期" not in page and "evil.example" not in page


def test_gallery_in_order_with_the_first_as_cover():
    product = on_sale("双肩包")
    ProductImage.objects.create(product=product, image="products/back.jpg", sort_order=2)
    ProductImage.objects.create(product=product, image="products/front.jpg", sort_order=0)
    ProductImage.objects.create(product=product, image="products/side.jpg", sort_order=1)
    page = Client().get(reverse("web:product", args=[product.pk])).content.decode()
    gallery = page[page.index('id="product-gallery"') :]
    assert re.findall(r'src="/media/products/(\w+)\.jpg"', gallery)[:3] == ["front", "side", "back"]
    assert "1 / 3" in page
    card = Client().get(reverse("web:home")).content.decode()
    assert re.findall(r'class="app-card__img" src="/media/products/(\w+)\.jpg"', card) == ["front"]


def test_description_shows_the_sanitised_html():
    product = on_sale(
        "面霜", description='<h3>亮点</h3><p><strong>保湿</strong></p><script>alert(1)</script><img src="x" onerror="alert(2)">'
    )
    page = Client().get(reverse("web:product", args=[product.pk])).content.decode()
    article = page[page.index('id="product-description"') :]
    assert "<h3>亮点</h3><p><strong>保湿</strong></p>" in article
    assert "alert(" not in page


# --- query counts -------------------------------------------------------------------------------


def queries(url, params=None) -> int:
    """Queries of a visit once the units sold shown are in the shared cache (counted once a minute)."""
    assert Client().get(url, params or {}).status_code == 200
    client = Client()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def stock_shelf(count, category):
    for i in range(count):
        product = on_sale(f"好物{category.pk}-{i}", category=category, sort_order=i)
        ProductImage.objects.create(product=product, image=f"products/{product.pk}.jpg")
        sold(product, 1)


def test_pages_cost_the_same_queries_whatever_the_number_of_products():
    category = CategoryFactory()
    Banner.objects.create(title="横幅", image="banners/a.jpg", target="category", category=category)
    stock_shelf(2, category)
    pages = [
        (reverse("web:home"), None),
        (reverse("web:search"), {"q": "好物"}),
        (reverse("web:category", args=[category.pk]), None),
        (reverse("web:category", args=[category.pk]), {"sort": "sales"}),
        (reverse("web:category", args=[category.pk]), {"sort": "price"}),
    ]
    few = [queries(url, params) for url, params in pages]
    stock_shelf(12, category)
    many = [queries(url, params) for url, params in pages]
    assert few == many
    assert max(many) <= 10, many
