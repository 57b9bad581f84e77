"""场景套装 in the API: a SKU of the product detail carries its bundle (parts, their list value, the
saving; null for an ordinary SKU), and an order's lines name the bundle each component line belongs to."""

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.catalog.bundles import set_bundle_components
from fenxiao.orders.models import OrderLine
from tests.factories import OrderFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def serum():
    return SkuFactory(product=ProductFactory(name="玻尿酸精华"), spec="30ml", retail_fen=15000, control_fen=12000, stock=10)


@pytest.fixture
def nuts():
    return SkuFactory(
        product=ProductFactory(name="每日坚果"),
        spec="30袋",
        retail_fen=5000,
        suggested_retail_fen=5000,
        control_fen=4500,
        stock=10,
    )


@pytest.fixture
def bundle(serum, nuts):
    """Serum × 1 + nuts × 2 (¥250 one by one) for ¥199."""
    sku = SkuFactory(
        product=ProductFactory(name="新生儿礼盒"),
        spec="礼盒装",
        retail_fen=19900,
        suggested_retail_fen=19900,
        control_fen=19900,
        cost_fen=0,
        stock=0,
    )
    set_bundle_components(sku=sku, components=[(serum.pk, 1), (nuts.pk, 2)])
    return sku


def test_product_detail_gives_a_bundle_sku_its_parts_and_saving(client, bundle, serum, nuts):
    plain = SkuFactory(product=bundle.product, spec="单件", retail_fen=9900, suggested_retail_fen=9900, control_fen=9000)
    response = client.get(f"/api/v1/catalog/products/{bundle.product_id}")
    assert response.status_code == 200
    skus = {sku["id"]: sku for sku in response.json()["skus"]}
    assert skus[plain.pk]["bundle"] is None
    assert skus[bundle.pk]["in_stock"] is True  # 5 whole bundles from its parts' stock
    assert skus[bundle.pk]["bundle"] == {
        "components": [
            {"sku_id": serum.pk, "name": "玻尿酸精华", "spec": "30ml", "quantity": 1, "retail_fen": 15000},
            {"sku_id": nuts.pk, "name": "每日坚果", "spec": "30袋", "quantity": 2, "retail_fen": 5000},
        ],
        "parts_fen": 25000,
        "saving_fen": 5100,
    }


def test_ordinary_product_detail_has_no_bundle(client, serum):
    skus = client.get(f"/api/v1/catalog/products/{serum.product_id}").json()["skus"]
    assert [sku["bundle"] for sku in skus] == [None]


def test_order_lines_name_their_bundle(client, bundle, serum, nuts):
    buyer = UserFactory()
    other = SkuFactory(retail_fen=4500, suggested_retail_fen=4500, control_fen=3900)
    order = OrderFactory(user=buyer, items=[(bundle, 2), (other, 1)], paid=True)
    headers = {"Authorization": f"Bearer {issue_token(user=buyer)}"}
    response = client.get(f"/api/v1/orders/{order.pk}", headers=headers)
    assert response.status_code == 200
    lines = {line["sku_id"]: line for line in response.json()["lines"]}
    for sku, units in ((serum, 2), (nuts, 4)):
        line = lines[sku.pk]
        assert (line["bundle_sku_id"], line["bundle_name"], line["bundle_quantity"], line["quantity"]) == (
            bundle.pk,
            "新生儿礼盒 礼盒装",
            2,
            units,
        )
    assert sum(lines[sku.pk]["line_total_fen"] for sku in (serum, nuts)) == 39800
    assert (lines[other.pk]["bundle_sku_id"], lines[other.pk]["bundle_name"], lines[other.pk]["bundle_quantity"]) == (
        None,
        "",
        None,
    )
    assert OrderLine.objects.filter(order=order, bundle_sku=bundle).count() == 2
