"""场景套装 on the phone pages: the product page lists a bundle's parts and what it saves against them;
the cart and checkout show the parts under the bundle's line; an order shows the component lines of a
bundle together under its name, each with its share and its own 申请售后 button."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fenxiao.catalog.bundles import set_bundle_components
from fenxiao.orders import services
from fenxiao.orders.models import OrderLine
from fenxiao.web.bundles import group_bundle_lines
from tests.factories import OrderFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="阿华", phone="13955550001")
    client.force_login(user)
    return user


@pytest.fixture
def serum():
    """¥150."""
    return SkuFactory(product=ProductFactory(name="玻尿酸精华"), spec="30ml", retail_fen=15000, control_fen=12000, stock=10)


@pytest.fixture
def nuts():
    """¥50."""
    return SkuFactory(
        product=ProductFactory(name="每日坚果"),
        spec="30袋",
        retail_fen=5000,
        suggested_retail_fen=5000,
        control_fen=4500,
        stock=10,
    )


def make_bundle(parts, *, retail_fen=19900, name="新生儿礼盒"):
    bundle = SkuFactory(
        product=ProductFactory(name=name, role="bundle"),
        spec="礼盒装",
        retail_fen=retail_fen,
        suggested_retail_fen=retail_fen,
        control_fen=retail_fen,
        cost_fen=0,
        stock=0,
    )
    set_bundle_components(sku=bundle, components=[(sku.pk, quantity) for sku, quantity in parts])
    return bundle


@pytest.fixture
def bundle(serum, nuts):
    """Serum × 1 + nuts × 2 (¥250 one by one) for ¥199: saves ¥51."""
    return make_bundle([(serum, 1), (nuts, 2)])


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- product page --------------------------------------------------------------------------------


def test_product_page_lists_the_parts_and_the_saving(client, bundle, serum, nuts):
    html = html_of(client.get(reverse("web:product", args=[bundle.product_id])))
    section = re.search(rf'<section class="app-bundle" id="bundle-{bundle.pk}".*?</section>', html, re.S).group(0)
    assert "套装包含" in section
    serum_part = re.search(rf'id="bundle-{bundle.pk}-part-{serum.pk}".*?</li>', section, re.S).group(0)
    nuts_part = re.search(rf'id="bundle-{bundle.pk}-part-{nuts.pk}".*?</li>', section, re.S).group(0)
    assert "玻尿酸精华" in serum_part and "30ml" in serum_part and "¥150.00" in serum_part and "× 1" in serum_part
    assert "每日坚果" in nuts_part and "30袋" in nuts_part and "¥50.00" in nuts_part and "× 2" in nuts_part
    assert section.index("玻尿酸精华") < section.index("每日坚果")  # in the bundle's order
    assert "单买合计 ¥250.00" in section
    assert re.search(rf'id="bundle-{bundle.pk}-saving">比单买省 ¥51.00<', section)
    # the bundle is on sale as long as its parts are: 5 whole bundles from 10 nuts
    assert 'data-max="5"' in html


def test_changed_parts_show_at_once_on_a_cached_product_page(client, bundle, serum, nuts):
    path = reverse("web:product", args=[bundle.product_id])
    assert "比单买省 ¥51.00" in html_of(client.get(path))
    set_bundle_components(sku=bundle, components=[(serum.pk, 1), (nuts.pk, 3)])  # ¥300 one by one
    html = html_of(client.get(path))
    assert "比单买省 ¥101.00" in html and "比单买省 ¥51.00" not in html


def test_no_saving_shown_when_the_bundle_costs_as_much_as_its_parts(client, serum, nuts):
    dear = make_bundle([(serum, 1), (nuts, 1)], retail_fen=20000, name="高价套装")
    html = html_of(client.get(reverse("web:product", args=[dear.product_id])))
    assert "套装包含" in html and "单买合计 ¥200.00" in html
    assert "比单买省" not in html


def test_an_ordinary_product_shows_no_bundle(client, serum, bundle):
    html = html_of(client.get(reverse("web:product", args=[serum.product_id])))
    assert "套装包含" not in html and "比单买省" not in html


# --- cart and checkout -----------------------------------------------------------------------------


def test_cart_and_checkout_show_the_parts_under_the_bundle(client, buyer, bundle):
    services.add_to_cart(user=buyer, sku_id=bundle.pk, quantity=2)
    cart = html_of(client.get(reverse("web:cart")))
    parts = re.search(rf'id="cart-bundle-{bundle.pk}">(.*?)</p>', cart, re.S).group(1)
    assert "玻尿酸精华 30ml × 1" in parts and "每日坚果 30袋 × 2" in parts

    checkout = html_of(client.get(reverse("web:checkout")))
    line = re.search(rf'id="checkout-line-{bundle.pk}".*?id="checkout-bundle-{bundle.pk}">(.*?)</p>', checkout, re.S)
    assert line is not None
    assert "玻尿酸精华 30ml × 1" in line.group(1) and "每日坚果 30袋 × 2" in line.group(1)
    assert "¥398.00" in checkout  # two bundles at ¥199: the price breakdown is the bundle's


# --- orders ----------------------------------------------------------------------------------------


def test_order_page_groups_the_bundle_lines_with_an_aftersale_button_each(client, buyer, bundle, serum, nuts):
    other = SkuFactory(product=ProductFactory(name="婴儿湿巾"), spec="6包", retail_fen=4500, control_fen=3900, stock=10)
    order = OrderFactory(user=buyer, items=[(other, 1), (bundle, 2)], shipped=True)
    lines = list(OrderLine.objects.filter(order=order).order_by("id"))
    parts = [line for line in lines if line.bundle_sku_id == bundle.pk]
    assert [line.sku_id for line in parts] == [serum.pk, nuts.pk]

    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    head = re.search(rf'id="bundle-{bundle.pk}".*?</div>\s*</div>', html, re.S).group(0)
    assert "套装" in head and "新生儿礼盒 礼盒装" in head and "× 2" in head
    assert "¥398.00" in head  # what the component lines add up to
    # the heading comes before its component lines, which follow one another
    positions = [html.index(f'id="line-{line.pk}"') for line in parts]
    assert html.index(f'id="bundle-{bundle.pk}"') < positions[0] < positions[1]
    (wipes,) = [line for line in lines if line.bundle_sku_id is None]
    assert f'id="line-{wipes.pk}"' in html
    for line in parts:
        cell = re.search(rf'<div class="weui-cell app-line app-line_part" id="line-{line.pk}" data-bundle="{bundle.pk}">', html)
        assert cell is not None
        assert f"套装分摊 ¥{line.line_total_fen // 100}." in html
        assert reverse("web:aftersale_new", args=[line.pk]) in html  # after-sales per component line
    assert sum(line.line_total_fen for line in parts) == 39800
    assert reverse("web:aftersale_new", args=[wipes.pk]) in html
    assert f'id="line-{wipes.pk}" data-bundle' not in html


def test_order_list_names_the_bundle_of_a_line(client, buyer, bundle):
    OrderFactory(user=buyer, items=[(bundle, 1)])
    html = html_of(client.get(reverse("web:orders")))
    assert html.count("套装：新生儿礼盒 礼盒装 × 1") == 2  # on each of its two component lines


def test_lines_of_one_bundle_are_brought_together_under_one_heading():
    from types import SimpleNamespace

    def line(pk, bundle=None, total=1000, paid=900):
        return SimpleNamespace(
            pk=pk,
            bundle_sku_id=bundle,
            bundle_name=f"套装{bundle}" if bundle else "",
            bundle_quantity=2 if bundle else None,
            line_total_fen=total,
            paid_fen=paid,
            refunded_fen=0,
        )

    items = group_bundle_lines([line(1, 7), line(2), line(3, 8), line(4, 7), line(5, 8)])
    assert [item["row"].pk for item in items] == [1, 4, 2, 3, 5]
    assert [item["in_bundle"] for item in items] == [True, True, False, True, True]
    heads = [item["bundle"] for item in items]
    assert heads[1] is heads[2] is heads[4] is None
    assert heads[0] == {
        "sku_id": 7,
        "name": "套装7",
        "quantity": 2,
        "total_fen": 2000,
        "paid_fen": 1800,
        "refunded_fen": 0,
        "lines": 2,
    }
    assert heads[3]["sku_id"] == 8
