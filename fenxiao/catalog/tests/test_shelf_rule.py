"""A product goes on the shelf only with a sellable SKU: in the service, the admin forms, the
admin bulk action, and the shop reads (the API is tested with the operator endpoints)."""

import pytest

from fenxiao.catalog.errors import CatalogError
from fenxiao.catalog.models import Product, Sku
from fenxiao.catalog.selectors import shelf_product, shelf_products
from fenxiao.catalog.services import set_shelf, update_sku
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _product_post(product_fields: dict, skus: list[Sku] = (), sku_active: dict | None = None) -> dict:
    data = {"sort_order": "0", "role": "normal", **product_fields}
    data.update(_inline_management("skus", len(skus), len(skus)))
    for i, sku in enumerate(skus):
        data[f"skus-{i}-id"] = str(sku.pk)
        data[f"skus-{i}-product"] = str(sku.product_id)
        data[f"skus-{i}-spec"] = sku.spec
        if (sku_active or {}).get(sku.pk, sku.is_active):
            data[f"skus-{i}-is_active"] = "on"
    data.update(_inline_management("images"))
    data.update(_inline_management("commission_overrides"))
    return data


@pytest.fixture
def operator(client):
    client.force_login(StaffFactory())
    return client


# --- the service -------------------------------------------------------------------------------


def test_only_inactive_skus_is_refused_and_zero_stock_is_allowed():
    product = ProductFactory(is_on_shelf=False)
    SkuFactory(product=product, is_active=False)
    with pytest.raises(CatalogError) as exc:
        set_shelf(product=product, on_shelf=True)
    assert (exc.value.code, exc.value.detail) == ("no_active_sku", {"product_id": product.pk})
    product.refresh_from_db()
    assert product.is_on_shelf is False

    SkuFactory(product=product, stock=0)  # sellable, sold out
    set_shelf(product=product, on_shelf=True)
    product.refresh_from_db()
    assert product.is_on_shelf is True


def test_last_sellable_sku_of_a_product_on_shelf_cannot_be_switched_off():
    sku = SkuFactory()
    with pytest.raises(CatalogError) as exc:
        update_sku(sku=sku, is_active=False)
    assert exc.value.code == "last_sellable_sku"
    sku.refresh_from_db()
    assert sku.is_active is True
    other = SkuFactory(product=sku.product)
    update_sku(sku=sku, is_active=False)
    sku.refresh_from_db()
    assert (sku.is_active, other.is_active) == (False, True)


# --- the shop ----------------------------------------------------------------------------------


def test_shop_hides_a_product_on_shelf_without_a_sellable_sku(client):
    bare = ProductFactory(name="无规格商品")  # on shelf from older data, no SKU
    switched_off = ProductFactory(name="规格已停用")
    SkuFactory(product=switched_off, is_active=False)
    sold_out = ProductFactory(name="售罄商品")
    SkuFactory(product=sold_out, stock=0)
    assert [p.pk for p in shelf_products()] == [sold_out.pk]
    assert shelf_product(bare.pk) is None
    assert [p["id"] for p in client.get("/api/v1/catalog/products").json()] == [sold_out.pk]
    page = client.get("/").content.decode()
    assert "无规格商品" not in page and "规格已停用" not in page


# --- the admin ---------------------------------------------------------------------------------


def test_admin_add_form_refuses_on_shelf_without_sku(operator):
    category = CategoryFactory()
    post = _product_post({"category": str(category.pk), "name": "新品", "is_on_shelf": "on"})
    response = operator.post("/admin/catalog/product/add/", post)
    assert response.status_code == 200
    assert "商品没有可售 SKU" in response.content.decode()
    assert not Product.objects.filter(name="新品").exists()

    del post["is_on_shelf"]
    response = operator.post("/admin/catalog/product/add/", post)
    assert response.status_code == 302
    assert Product.objects.get(name="新品").is_on_shelf is False


def test_admin_change_form_refuses_on_shelf_with_only_inactive_skus(operator):
    product = ProductFactory(is_on_shelf=False, name="旧品")
    sku = SkuFactory(product=product, is_active=False)
    post = _product_post({"category": str(product.category_id), "name": "旧品", "is_on_shelf": "on"}, [sku])
    response = operator.post(f"/admin/catalog/product/{product.pk}/change/", post)
    assert response.status_code == 200
    assert "商品没有可售 SKU" in response.content.decode()
    product.refresh_from_db()
    assert product.is_on_shelf is False


def test_admin_change_form_refuses_switching_off_the_last_sku_inline(operator):
    sku = SkuFactory()
    product = sku.product
    post = _product_post(
        {"category": str(product.category_id), "name": product.name, "is_on_shelf": "on"}, [sku], {sku.pk: False}
    )
    response = operator.post(f"/admin/catalog/product/{product.pk}/change/", post)
    assert response.status_code == 200
    assert "最后一个可售 SKU" in response.content.decode()
    sku.refresh_from_db()
    assert sku.is_active is True

    del post["is_on_shelf"]  # taking it off the shelf in the same save is fine
    assert operator.post(f"/admin/catalog/product/{product.pk}/change/", post).status_code == 302
    sku.refresh_from_db()
    product.refresh_from_db()
    assert (sku.is_active, product.is_on_shelf) == (False, False)


def test_admin_sku_page_refuses_switching_off_the_last_sku(operator):
    sku = SkuFactory()
    response = operator.post(f"/admin/catalog/sku/{sku.pk}/change/", {"spec": "新规格"})
    assert response.status_code == 200
    assert "最后一个可售 SKU" in response.content.decode()
    sku.refresh_from_db()
    assert (sku.is_active, sku.spec) == (True, "标准装")


def test_admin_bulk_action_puts_on_shelf_only_products_with_a_sellable_sku(operator):
    ready = ProductFactory(is_on_shelf=False, name="有货商品")
    SkuFactory(product=ready)
    bare = ProductFactory(is_on_shelf=False, name="空商品")
    response = operator.post(
        "/admin/catalog/product/",
        {"action": "put_on_shelf", "_selected_action": [str(ready.pk), str(bare.pk)]},
        follow=True,
    )
    text = response.content.decode()
    assert "空商品：商品没有可售 SKU" in text
    assert "已上架 1 个商品" in text
    ready.refresh_from_db()
    bare.refresh_from_db()
    assert (ready.is_on_shelf, bare.is_on_shelf) == (True, False)
