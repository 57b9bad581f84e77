"""场景套装 in the console: a SKU's bundle page sets its components through the catalog's service
(refusals shown on the form), the SKU page shows the parts' value and the saving, the lists filter by
套装, and an order's page names the bundle of each component line."""

import pytest
from django.urls import reverse

from fenxiao.catalog.bundles import set_bundle_components
from fenxiao.catalog.models import BundleComponent
from tests.factories import OrderFactory, ProductFactory, SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    staff = StaffFactory()
    client.force_login(staff)
    return staff


@pytest.fixture
def serum():
    return SkuFactory(product=ProductFactory(name="玻尿酸精华"), spec="30ml", retail_fen=15000, control_fen=12000)


@pytest.fixture
def nuts():
    return SkuFactory(
        product=ProductFactory(name="每日坚果"), spec="30袋", retail_fen=5000, suggested_retail_fen=5000, control_fen=4500
    )


@pytest.fixture
def gift_box():
    return SkuFactory(
        product=ProductFactory(name="新生儿礼盒"),
        spec="礼盒装",
        retail_fen=19900,
        suggested_retail_fen=19900,
        control_fen=19900,
        cost_fen=0,
        stock=0,
    )


def test_operator_sets_the_components_of_a_bundle(client, operator, gift_box, serum, nuts):
    url = reverse("admin:catalog_sku_bundle", args=[gift_box.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "不是套装" in page.content.decode()
    assert f'value="{serum.pk}"' in page.content.decode()
    assert f'value="{gift_box.pk}"' not in page.content.decode()  # never its own component

    response = client.post(url, {"part_1": serum.pk, "quantity_1": 1, "part_2": nuts.pk, "quantity_2": 2})
    assert response.status_code == 302
    assert response.url == reverse("admin:catalog_sku_change", args=[gift_box.pk])
    rows = list(BundleComponent.objects.filter(bundle=gift_box).order_by("position"))
    assert [(row.component_id, row.quantity) for row in rows] == [(serum.pk, 1), (nuts.pk, 2)]

    change = client.get(reverse("admin:catalog_sku_change", args=[gift_box.pk])).content.decode()
    assert "单买合计 ¥250.00，套装价 ¥199.00，比单买省 ¥51.00" in change
    assert "玻尿酸精华 30ml × 1" in change and "每日坚果 30袋 × 2" in change

    # changing it again replaces what it held; the page starts from the current parts
    page = client.get(url).content.decode()
    assert "比单买省 ¥51.00" in page
    response = client.post(url, {"part_1": nuts.pk, "quantity_1": 3})
    assert response.status_code == 302
    assert list(BundleComponent.objects.filter(bundle=gift_box).values_list("component_id", "quantity")) == [(nuts.pk, 3)]


def test_the_service_refusal_shows_on_the_form(client, operator, gift_box, serum):
    url = reverse("admin:catalog_sku_bundle", args=[gift_box.pk])
    response = client.post(url, {"part_1": serum.pk, "quantity_1": 1})  # one unit is no bundle
    assert response.status_code == 200
    assert "套装至少包含" in response.content.decode()
    assert not BundleComponent.objects.filter(bundle=gift_box).exists()

    response = client.post(url, {})
    assert response.status_code == 200 and "请至少选择一个组成 SKU" in response.content.decode()


def test_a_staff_member_without_the_permission_cannot_set_components(client, gift_box, serum, nuts):
    client.force_login(StaffFactory(is_superuser=False))
    url = reverse("admin:catalog_sku_bundle", args=[gift_box.pk])
    response = client.post(url, {"part_1": serum.pk, "quantity_1": 1, "part_2": nuts.pk, "quantity_2": 1})
    assert response.status_code == 302 and response.url != reverse("admin:catalog_sku_change", args=[gift_box.pk])
    assert not BundleComponent.objects.filter(bundle=gift_box).exists()


def test_lists_filter_the_bundles(client, operator, gift_box, serum, nuts):
    set_bundle_components(sku=gift_box, components=[(serum.pk, 1), (nuts.pk, 2)])
    bundles = client.get(reverse("admin:catalog_sku_changelist"), {"bundle": "yes"}).content.decode()
    assert gift_box.code in bundles and serum.code not in bundles
    plain = client.get(reverse("admin:catalog_sku_changelist"), {"bundle": "no"}).content.decode()
    assert gift_box.code not in plain and serum.code in plain
    products = client.get(reverse("admin:catalog_product_changelist"), {"bundle": "yes"}).content.decode()
    assert "新生儿礼盒" in products and "玻尿酸精华" not in products


def test_order_page_names_the_bundle_of_each_component_line(client, operator, gift_box, serum, nuts):
    set_bundle_components(sku=gift_box, components=[(serum.pk, 1), (nuts.pk, 2)])
    order = OrderFactory(items=[(gift_box, 1)], paid=True)
    html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert html.count("套装 新生儿礼盒 礼盒装 × 1") == 2
    assert 'class="order-bundles"' in html and "¥199.00" in html
