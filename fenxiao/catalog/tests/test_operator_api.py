"""The operator catalog API: each endpoint, its permission, and its refusals (stock: inventory's tests)."""

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import issue_token
from fenxiao.catalog.models import CommissionOverride, Product, Sku
from tests.api_helpers import assert_error
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

OP = "/api/v1/operator/catalog"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def staff_in(group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def ops():
    return bearer(staff_in("运营"))


@pytest.fixture
def supply():
    return bearer(staff_in("供应链"))


def send(client, method, url, body, headers):
    return getattr(client, method)(url, body, content_type="application/json", headers=headers)


# --- categories and products -----------------------------------------------------------------------


def test_categories_include_inactive(client, ops):
    on = CategoryFactory(slug="a", name="美妆", sort_order=1)
    off = CategoryFactory(slug="b", name="停用", sort_order=2, is_active=False)
    response = client.get(f"{OP}/categories", headers=ops)
    assert response.status_code == 200
    assert [(c["id"], c["is_active"]) for c in response.json()] == [(on.pk, True), (off.pk, False)]


def test_product_list_filters_and_pages(client, ops):
    beauty, food = CategoryFactory(slug="beauty"), CategoryFactory(slug="food")
    shelf = [ProductFactory(category=beauty, name=f"精华{i}") for i in range(3)]
    SkuFactory(product=shelf[0], cost_fen=4321)
    off = ProductFactory(category=food, name="坚果", is_on_shelf=False)
    page = client.get(f"{OP}/products", {"category_id": beauty.pk, "page_size": 2, "page": 2}, headers=ops).json()
    assert (page["count"], page["page"], page["page_size"]) == (3, 2, 2)
    assert [p["id"] for p in page["items"]] == [shelf[2].pk]
    first = client.get(f"{OP}/products", {"q": "精华0"}, headers=ops).json()["items"][0]
    assert first["skus"][0]["cost_fen"] == 4321  # the operator sees the cost
    hidden = client.get(f"{OP}/products", {"on_shelf": "false"}, headers=ops).json()
    assert [p["id"] for p in hidden["items"]] == [off.pk]
    assert_error(client.get(f"{OP}/products", {"page_size": 101}, headers=ops), 422, "invalid_input")


def test_create_read_update_product(client, ops):
    category = CategoryFactory()
    response = send(client, "post", f"{OP}/products", {"category_id": category.pk, "name": "新品", "role": "profit"}, ops)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["role"], body["is_on_shelf"], body["skus"]) == ("新品", "profit", False, [])
    pid = body["id"]
    assert client.get(f"{OP}/products/{pid}", headers=ops).json()["name"] == "新品"
    response = send(client, "patch", f"{OP}/products/{pid}", {"subtitle": "好用", "sort_order": 5}, ops)
    assert response.status_code == 200
    product = Product.objects.get(pk=pid)
    assert (product.name, product.subtitle, product.sort_order) == ("新品", "好用", 5)
    # the shelf is not a field of the product update, and a new product never starts on it
    assert_error(send(client, "patch", f"{OP}/products/{pid}", {"is_on_shelf": True}, ops), 422, "invalid_input")
    assert_error(
        send(client, "post", f"{OP}/products", {"category_id": category.pk, "name": "x", "is_on_shelf": True}, ops),
        422,
        "invalid_input",
    )
    assert_error(send(client, "post", f"{OP}/products", {"category_id": 999999, "name": "x"}, ops), 404, "category_not_found")
    assert_error(client.get(f"{OP}/products/999999", headers=ops), 404, "product_not_found")


def test_shelf_needs_a_sellable_sku(client, ops):
    product = ProductFactory(is_on_shelf=False)
    SkuFactory(product=product, is_active=False)
    url = f"{OP}/products/{product.pk}/shelf"
    body = assert_error(send(client, "post", url, {"on_shelf": True}, ops), 400, "no_active_sku")
    assert body["detail"] == {"product_id": product.pk}
    product.refresh_from_db()
    assert product.is_on_shelf is False
    SkuFactory(product=product, stock=0)
    assert send(client, "post", url, {"on_shelf": True}, ops).json()["is_on_shelf"] is True
    assert send(client, "post", url, {"on_shelf": False}, ops).json()["is_on_shelf"] is False


# --- SKUs and prices -------------------------------------------------------------------------------


def test_create_sku_and_change_it(client, ops):
    product = ProductFactory(is_on_shelf=False)
    url = f"{OP}/products/{product.pk}/skus"
    response = send(client, "post", url, {"code": "NEW-1", "spec": "50ml", "cost_fen": 3000, "retail_fen": 9900}, ops)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["retail_fen"], body["suggested_retail_fen"], body["control_fen"], body["is_active"]) == (9900, 9900, 9900, True)
    assert_error(send(client, "post", url, {"code": "NEW-1", "cost_fen": 1, "retail_fen": 2}, ops), 409, "sku_code_taken")
    assert_error(send(client, "post", url, {"code": "NEW-2", "cost_fen": 1, "retail_fen": 0}, ops), 400, "invalid_price")
    sku_id = body["id"]
    response = send(client, "patch", f"{OP}/skus/{sku_id}", {"spec": "100ml"}, ops)
    assert response.json()["spec"] == "100ml"
    assert Sku.objects.get(pk=sku_id).spec == "100ml"


def test_switching_off_the_last_sku_of_a_product_on_shelf_is_refused(client, ops):
    sku = SkuFactory()
    assert_error(send(client, "patch", f"{OP}/skus/{sku.pk}", {"is_active": False}, ops), 400, "last_sellable_sku")
    SkuFactory(product=sku.product)
    assert send(client, "patch", f"{OP}/skus/{sku.pk}", {"is_active": False}, ops).json()["is_active"] is False


def test_prices_through_the_price_service(client, ops):
    sku = SkuFactory()
    url = f"{OP}/skus/{sku.pk}/prices"
    prices = {"cost_fen": 6000, "retail_fen": 16800, "suggested_retail_fen": 19900, "control_fen": 15000}
    assert send(client, "put", url, prices, ops).status_code == 200
    sku.refresh_from_db()
    assert (sku.cost_fen, sku.retail_fen, sku.suggested_retail_fen, sku.control_fen) == (6000, 16800, 19900, 15000)
    body = assert_error(send(client, "put", url, {**prices, "control_fen": 20000}, ops), 400, "price_order")
    assert body["detail"] == {"control_fen": 20000, "suggested_retail_fen": 19900}
    assert_error(send(client, "put", url, {**prices, "retail_fen": 99.5}, ops), 422, "invalid_input")
    assert_error(send(client, "put", f"{OP}/skus/999999/prices", prices, ops), 404, "sku_not_found")


# --- commission overrides --------------------------------------------------------------------------


def test_overrides_per_category_and_product(client, ops):
    sku = SkuFactory()
    product, category = sku.product, sku.product.category
    url = f"{OP}/categories/{category.pk}/commission-overrides"
    response = send(client, "put", f"{url}/1", {"mode": "rate", "rate_bp": 1500}, ops)
    assert response.status_code == 200, response.content
    assert (response.json()["category_id"], response.json()["rate_bp"]) == (category.pk, 1500)
    purl = f"{OP}/products/{product.pk}/commission-overrides"
    assert send(client, "put", f"{purl}/2", {"mode": "fixed", "fixed_fen": 300}, ops).status_code == 200
    assert send(client, "put", f"{purl}/2", {"mode": "fixed", "fixed_fen": 500}, ops).json()["fixed_fen"] == 500
    assert [(o["depth"], o["mode"], o["fixed_fen"]) for o in client.get(purl, headers=ops).json()] == [(2, "fixed", 500)]
    assert [o["depth"] for o in client.get(url, headers=ops).json()] == [1]
    assert client.delete(f"{purl}/2", headers=ops).status_code == 204
    assert not CommissionOverride.objects.filter(product=product).exists()


def test_a_third_commission_level_is_refused(client, ops):
    product = ProductFactory()
    for url in (
        f"{OP}/products/{product.pk}/commission-overrides/3",
        f"{OP}/categories/{product.category_id}/commission-overrides/3",
    ):
        body = assert_error(send(client, "put", url, {"mode": "rate", "rate_bp": 100}, ops), 400, "commission_depth_exceeded")
        assert body["detail"]["max_depth"] == 2
    assert_error(
        send(
            client,
            "put",
            f"{OP}/products/{product.pk}/commission-overrides/1",
            {"mode": "rate", "rate_bp": 100, "level3_rate_bp": 50},
            ops,
        ),
        400,
        "commission_depth_exceeded",
    )
    assert_error(
        send(client, "put", f"{OP}/products/{product.pk}/commission-overrides/1", {"mode": "rate", "rate_bp": 10001}, ops),
        400,
        "invalid_override",
    )
    assert not CommissionOverride.objects.exists()


# --- who may -----------------------------------------------------------------------------------------


def test_permissions(client):
    sku = SkuFactory()
    product = sku.product
    member, finance, service = bearer(UserFactory()), bearer(staff_in("财务")), bearer(staff_in("客服"))
    assert_error(client.get(f"{OP}/products"), 401, "not_authenticated")
    assert_error(client.get(f"{OP}/products", headers=member), 403, "forbidden")
    assert client.get(f"{OP}/products", headers=finance).status_code == 200  # finance reads the catalog
    assert_error(send(client, "post", f"{OP}/products/{product.pk}/shelf", {"on_shelf": False}, finance), 403, "forbidden")
    assert_error(
        send(
            client,
            "put",
            f"{OP}/skus/{sku.pk}/prices",
            {"cost_fen": 1, "retail_fen": 2, "suggested_retail_fen": 2, "control_fen": 2},
            service,
        ),
        403,
        "forbidden",
    )
    assert_error(
        send(client, "put", f"{OP}/products/{product.pk}/commission-overrides/1", {"mode": "rate", "rate_bp": 1}, member),
        403,
        "forbidden",
    )
    assert (
        send(client, "post", f"{OP}/products/{product.pk}/shelf", {"on_shelf": False}, bearer(StaffFactory())).status_code == 200
    )


# --- bounds ------------------------------------------------------------------------------------------


def test_prices_and_fixed_commissions_have_a_ceiling(client, ops):
    sku = SkuFactory()
    huge = 10**10 + 1
    prices = {"cost_fen": 1, "retail_fen": huge, "suggested_retail_fen": huge, "control_fen": 1}
    body = assert_error(send(client, "put", f"{OP}/skus/{sku.pk}/prices", prices, ops), 400, "invalid_price")
    assert body["detail"] == {"field": "retail_fen", "max": 10**10}
    sku.refresh_from_db()
    assert sku.retail_fen == 15000
    url = f"{OP}/products/{sku.product_id}/commission-overrides/1"
    assert_error(send(client, "put", url, {"mode": "fixed", "fixed_fen": huge}, ops), 400, "invalid_override")
    assert_error(client.get(f"{OP}/products", {"page": 1_000_001}, headers=ops), 422, "invalid_input")
