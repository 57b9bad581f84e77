"""Reading the shelf: constant query count, only what is on sale."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.catalog.models import ProductImage
from fenxiao.catalog.selectors import active_categories, shelf_product, shelf_products
from tests.factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def make_products(count, category=None):
    category = category or CategoryFactory()
    products = []
    for i in range(count):
        product = ProductFactory(category=category, sort_order=i)
        SkuFactory(product=product, retail_fen=15000)
        SkuFactory(product=product, retail_fen=9900, suggested_retail_fen=9900, control_fen=8000)
        ProductImage.objects.create(product=product, image=f"products/p{product.pk}-1.jpg", sort_order=1)
        ProductImage.objects.create(product=product, image=f"products/p{product.pk}-0.jpg", sort_order=0)
        products.append(product)
    return products


def render_shelf():
    """Touch everything a list page shows of each product."""
    return [
        (p.name, p.category.name, p.min_retail_fen, [s.code for s in p.skus.all()], [i.image.name for i in p.images.all()])
        for p in shelf_products()
    ]


def count_queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_shelf_query_count_is_constant(django_assert_num_queries):
    make_products(1)
    with django_assert_num_queries(3):  # products (+category, min price), skus, images
        rows = render_shelf()
    assert len(rows) == 1
    make_products(19)
    with django_assert_num_queries(3):
        rows = render_shelf()
    assert len(rows) == 20


def test_shelf_query_count_same_for_1_and_20_products():
    make_products(1)
    one = count_queries(render_shelf)
    make_products(19)
    twenty = count_queries(render_shelf)
    assert one == twenty


def test_shelf_shows_only_products_on_shelf_in_active_categories():
    shown = make_products(2)
    ProductFactory(is_on_shelf=False)
    hidden_category = CategoryFactory(is_active=False)
    make_products(1, category=hidden_category)
    assert [p.pk for p in shelf_products()] == [p.pk for p in shown]
    assert hidden_category not in active_categories()


def test_shelf_lowest_price_and_images_in_order():
    (product,) = make_products(1)
    item = shelf_product(product.pk)
    assert item.min_retail_fen == 9900
    assert [img.image.name for img in item.images.all()] == [f"products/p{product.pk}-0.jpg", f"products/p{product.pk}-1.jpg"]


def test_inactive_skus_are_not_shown():
    product = ProductFactory()
    active = SkuFactory(product=product, retail_fen=15000)
    SkuFactory(product=product, is_active=False)
    item = shelf_product(product.pk)
    assert [s.pk for s in item.skus.all()] == [active.pk]


def test_lowest_price_ignores_inactive_skus():
    product = ProductFactory()
    SkuFactory(product=product, retail_fen=15000)
    SkuFactory(product=product, retail_fen=5000, suggested_retail_fen=5000, control_fen=4000, is_active=False)
    assert shelf_product(product.pk).min_retail_fen == 15000


def test_filter_by_category_slug():
    beauty = CategoryFactory(slug="beauty", name="美妆")
    food = CategoryFactory(slug="food", name="食品")
    (lipstick,) = make_products(1, category=beauty)
    make_products(2, category=food)
    assert [p.pk for p in shelf_products(category_slug="beauty")] == [lipstick.pk]
    assert shelf_products(category_slug="food").count() == 2
    assert shelf_product(ProductFactory(is_on_shelf=False).pk) is None
