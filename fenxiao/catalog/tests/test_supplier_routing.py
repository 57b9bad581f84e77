"""Who fulfils a product or SKU (the platform warehouse or one approved supplier), and what a supplier's
status does to what the shop sells: a suspended (or not approved) supplier's products leave the shop
and cannot be bought, and come back when it is reinstated."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from fenxiao.accounts.services import issue_token
from fenxiao.catalog.models import Sku as SkuModel
from fenxiao.catalog.models import Unpurchasable, purchasable_sku_q
from fenxiao.common.errors import DomainError
from fenxiao.inventory.models import StockBatch, StockRecord
from fenxiao.orders import services as orders
from fenxiao.shop import selectors as shop
from fenxiao.shop.purchase import purchasable_skus, purchase_info
from fenxiao.suppliers import services as suppliers
from fenxiao.suppliers.models import Supplier, supplier_location
from tests.api_helpers import assert_error
from tests.factories import ADDRESS, ProductFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
OP = "/api/v1/operator/catalog"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def make_supplier(status=Supplier.Status.APPROVED, name=None) -> Supplier:
    supplier = suppliers.create_supplier(name=name or f"供应商{UserFactory().pk}", user=UserFactory())
    Supplier.objects.filter(pk=supplier.pk).update(status=status)
    supplier.refresh_from_db()
    return supplier


def stock_at_supplier(sku, supplier, units=50) -> None:
    record = StockRecord.objects.create(sku=sku, location=supplier_location(supplier.pk), on_hand=units)
    StockBatch.objects.create(stock_record=record, batch_number="S-OPENING", on_hand=units)


@pytest.fixture
def reviewer(db):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="供应链"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def supplied(db):
    """An approved supplier with a product it fulfils (and a platform product beside it)."""
    supplier = make_supplier()
    product = ProductFactory(supplier=supplier, name="供应商的蜂蜜")
    sku = SkuFactory(product=product)
    stock_at_supplier(sku, supplier)
    platform = SkuFactory(product=ProductFactory(name="平台的茶叶"))
    return supplier, product, sku, platform


def listed_ids() -> set[int]:
    return {p.pk for p in shop.shop_products()}


def test_fulfilment_supplier_is_the_skus_own_else_the_products():
    a, b = make_supplier(), make_supplier()
    product = ProductFactory(supplier=a)
    own = SkuFactory(product=product, supplier=b)
    follows = SkuFactory(product=product)
    platform = SkuFactory()
    assert (own.fulfilment_supplier_id, follows.fulfilment_supplier_id, platform.fulfilment_supplier_id) == (b.pk, a.pk, None)


def test_a_suspended_suppliers_product_leaves_the_shop_and_returns_when_reinstated(client, supplied, reviewer):
    supplier, product, sku, platform = supplied
    buyer = UserFactory()
    assert product.pk in listed_ids() and platform.product_id in listed_ids()
    assert client.get(reverse("web:product", args=[product.pk])).status_code == 200

    suppliers.suspend(supplier.pk, reviewer, "抽检不合格")
    assert product.pk not in listed_ids() and platform.product_id in listed_ids()
    assert set(purchasable_skus([sku.pk, platform.pk])) == {platform.pk}
    assert client.get(reverse("web:product", args=[product.pk])).status_code == 404
    assert client.get(f"/api/v1/catalog/products/{product.pk}").status_code == 404
    with pytest.raises(DomainError) as exc:
        orders.place_order(user=buyer, items=[(sku.pk, 1)], address=dict(ADDRESS))
    assert (exc.value.status, exc.value.code) == (404, "sku_unavailable")  # as for any SKU not on sale
    loaded = SkuModel.objects.select_related("product__category").get(pk=sku.pk)
    assert purchase_info([loaded])[sku.pk].reason == Unpurchasable.SUPPLIER_UNAVAILABLE

    suppliers.reinstate(supplier.pk, reviewer, "整改完成")
    cache.clear()
    assert product.pk in listed_ids()
    assert set(purchasable_skus([sku.pk, platform.pk])) == {sku.pk, platform.pk}
    assert client.get(reverse("web:product", args=[product.pk])).status_code == 200
    order = orders.place_order(user=buyer, items=[(sku.pk, 1)], address=dict(ADDRESS))
    assert order.lines.get().sku_id == sku.pk


@pytest.mark.parametrize("status", [Supplier.Status.APPLIED, Supplier.Status.REJECTED, Supplier.Status.SUSPENDED])
def test_only_an_approved_supplier_sells(status):
    supplier = make_supplier(status)
    on_product = SkuFactory(product=ProductFactory(supplier=supplier))
    on_sku = SkuFactory(supplier=supplier)
    other_supplier_sku = SkuFactory(product=ProductFactory(supplier=supplier), supplier=make_supplier())
    ids = [on_product.pk, on_sku.pk, other_supplier_sku.pk]
    assert set(SkuModel.objects.filter(purchasable_sku_q(), pk__in=ids).values_list("pk", flat=True)) == {
        other_supplier_sku.pk  # its own supplier (approved) fulfils it, not the product's
    }
    assert set(purchasable_skus(ids)) == {other_supplier_sku.pk}
    infos = purchase_info(SkuModel.objects.select_related("product__category").filter(pk__in=ids))
    assert {pk for pk, info in infos.items() if info.is_purchasable} == {other_supplier_sku.pk}


def test_the_operator_api_reads_and_writes_the_route_and_the_label(client, reviewer):
    headers = bearer(reviewer)
    supplier = make_supplier()
    pending = make_supplier(Supplier.Status.APPLIED)
    product = ProductFactory()
    sku = SkuFactory(product=product)

    body = {
        "supplier_id": supplier.pk,
        "ingredients": "洋槐蜂蜜",
        "shelf_life_days": 730,
        "manufacturer": "某某蜂业",
        "licence_number": "SC12633010600001",
    }
    response = client.patch(f"{OP}/products/{product.pk}", body, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["supplier_id"], data["shelf_life_days"], data["manufacturer"]) == (supplier.pk, 730, "某某蜂业")
    assert data["skus"][0]["fulfilment_supplier_id"] == supplier.pk and data["skus"][0]["supplier_id"] is None

    refused = client.patch(
        f"{OP}/products/{product.pk}", {"supplier_id": pending.pk}, content_type="application/json", headers=headers
    )
    assert_error(refused, 422, "supplier_not_approved")
    unknown = client.patch(
        f"{OP}/products/{product.pk}", {"supplier_id": 987654}, content_type="application/json", headers=headers
    )
    assert_error(unknown, 422, "supplier_not_approved")

    back = client.patch(
        f"{OP}/products/{product.pk}",
        {"supplier_id": None, "shelf_life_days": None},
        content_type="application/json",
        headers=headers,
    )
    assert (back.json()["supplier_id"], back.json()["shelf_life_days"]) == (None, None)

    other = make_supplier()
    routed = client.patch(f"{OP}/skus/{sku.pk}", {"supplier_id": other.pk}, content_type="application/json", headers=headers)
    assert (routed.json()["supplier_id"], routed.json()["fulfilment_supplier_id"]) == (other.pk, other.pk)
    assert_error(
        client.patch(f"{OP}/skus/{sku.pk}", {"supplier_id": pending.pk}, content_type="application/json", headers=headers),
        422,
        "supplier_not_approved",
    )
    created = client.post(
        f"{OP}/products",
        {"category_id": product.category_id, "name": "代发新品", "supplier_id": supplier.pk, "storage": "阴凉干燥处"},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["supplier_id"] == supplier.pk
    assert_error(
        client.post(
            f"{OP}/products",
            {"category_id": product.category_id, "name": "代发新品2", "supplier_id": pending.pk},
            content_type="application/json",
            headers=headers,
        ),
        422,
        "supplier_not_approved",
    )
    new_sku = client.post(
        f"{OP}/products/{product.pk}/skus",
        {"code": "SUP-1", "cost_fen": 100, "retail_fen": 200, "supplier_id": supplier.pk},
        content_type="application/json",
        headers=headers,
    )
    assert new_sku.status_code == 201 and new_sku.json()["supplier_id"] == supplier.pk


def test_the_console_offers_only_approved_suppliers(client):
    supplier = make_supplier(name="合作中的供应商")
    make_supplier(Supplier.Status.SUSPENDED, name="暂停的供应商")
    product = ProductFactory()
    client.force_login(StaffFactory())
    page = client.get(reverse("admin:catalog_product_change", args=[product.pk])).content.decode()
    assert "合作中的供应商" in page and "暂停的供应商" not in page
    assert "产品标签" in page
    sku = SkuFactory(product=product)
    page = client.get(reverse("admin:catalog_sku_change", args=[sku.pk])).content.decode()
    assert "合作中的供应商" in page and "暂停的供应商" not in page
    assert supplier.pk
