"""The public shop API: categories and products on sale, with prices and stock."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def test_category_list(client):
    beauty = CategoryFactory(slug="beauty", name="美妆", sort_order=1)
    CategoryFactory(slug="gone", name="停用", is_active=False)
    response = client.get("/api/v1/catalog/categories")
    assert response.status_code == 200
    assert response.json() == [{"id": beauty.pk, "name": "美妆", "slug": "beauty"}]


def test_product_list_shows_shelf_only_with_lowest_price(client):
    category = CategoryFactory(slug="beauty", name="美妆")
    shown = ProductFactory(category=category, name="精华液")
    SkuFactory(product=shown, retail_fen=15000)
    SkuFactory(product=shown, retail_fen=12000, suggested_retail_fen=12000, control_fen=10000)
    ProductFactory(category=category, is_on_shelf=False)
    response = client.get("/api/v1/catalog/products")
    assert response.status_code == 200
    items = response.json()
    assert [p["id"] for p in items] == [shown.pk]
    assert items[0]["min_retail_fen"] == 12000
    assert items[0]["category"]["slug"] == "beauty"
    assert isinstance(items[0]["min_retail_fen"], int)
    assert client.get("/api/v1/catalog/products", {"category": "food"}).json() == []
    assert len(client.get("/api/v1/catalog/products", {"category": "beauty"}).json()) == 1


def test_product_detail(client):
    product = ProductFactory(description="详情")
    sku = SkuFactory(product=product, stock=0)
    SkuFactory(product=product, is_active=False)
    response = client.get(f"/api/v1/catalog/products/{product.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "<p>详情</p>"  # stored sanitised; plain text becomes a paragraph
    assert body["skus"] == [
        {
            "id": sku.pk,
            "code": sku.code,
            "spec": sku.spec,
            "retail_fen": 15000,
            "suggested_retail_fen": 15000,
            "control_fen": 12000,
            "in_stock": False,
            "bundle": None,
        }
    ]
    assert "cost_fen" not in str(body)  # cost stays internal


def test_product_detail_off_shelf_or_missing_is_404(client):
    product = ProductFactory(is_on_shelf=False)
    for pk in (product.pk, 999999):
        response = client.get(f"/api/v1/catalog/products/{pk}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_product_list_and_detail_cost_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(2):
        SkuFactory(product=ProductFactory())
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/catalog/products")
    for _ in range(10):
        product = ProductFactory()
        SkuFactory(product=product)
        SkuFactory(product=product, stock=0)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/catalog/products").json()) == 12
    assert len(few.captured_queries) == len(many.captured_queries)
    # the detail reads the components of any bundle SKU among its SKUs too: one query more
    with django_assert_max_num_queries(len(many.captured_queries) + 1):
        body = client.get(f"/api/v1/catalog/products/{product.pk}").json()
    assert [sku["in_stock"] for sku in body["skus"]] == [True, False]
