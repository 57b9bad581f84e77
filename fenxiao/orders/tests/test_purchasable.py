"""One rule says what a buyer may order (a sellable SKU of a product on the shelf in an active
category), asked by the cart, the quote, checkout and the order alike. A product in a disabled
category was hidden from the shop but could still be put in the cart and ordered."""

from __future__ import annotations

import pytest

from fenxiao.catalog.models import Category, is_purchasable
from fenxiao.orders import selectors, services
from fenxiao.orders.errors import OrderError
from fenxiao.orders.models import CartLine, Order

pytestmark = pytest.mark.django_db


def _disable_category(sku) -> None:
    Category.objects.filter(pk=sku.product.category_id).update(is_active=False)


def test_a_product_of_a_disabled_category_cannot_be_added_quoted_or_ordered(buyer, sku, address):
    _disable_category(sku)
    with pytest.raises(OrderError) as added:
        services.add_to_cart(user=buyer, sku_id=sku.pk, quantity=1)
    assert (added.value.code, added.value.status) == ("sku_unavailable", 404)
    with pytest.raises(OrderError) as quoted:
        services.quote_items(user=buyer, items=[(sku.pk, 1)])
    assert quoted.value.code == "sku_unavailable" and quoted.value.detail == {"sku_ids": [sku.pk]}
    with pytest.raises(OrderError):
        services.place_order(user=buyer, items=[(sku.pk, 1)], address=address)
    assert not CartLine.objects.exists() and not Order.objects.exists()


def test_a_cart_line_whose_category_was_disabled_is_not_sellable_any_more(buyer, sku):
    services.add_to_cart(user=buyer, sku_id=sku.pk, quantity=2)
    [line] = selectors.cart_lines(buyer)
    assert is_purchasable(line.sku)
    _disable_category(sku)
    [line] = selectors.cart_lines(buyer)
    assert not is_purchasable(line.sku)


def test_the_cart_api_marks_a_line_gone_off_the_shelf_and_orders_only_the_rest(client, buyer, sku, address):
    """One line whose category was disabled used to make the whole cart answer 404 and block an order
    from the cart; now the line is marked, left out of the quote, and the rest can be ordered."""
    from fenxiao.accounts.services import issue_token
    from tests.factories import SkuFactory

    other = SkuFactory(retail_fen=2000, suggested_retail_fen=2000, control_fen=1500, cost_fen=800, stock=10)
    services.add_to_cart(user=buyer, sku_id=sku.pk, quantity=1)
    services.add_to_cart(user=buyer, sku_id=other.pk, quantity=2)
    _disable_category(sku)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=buyer)}"}

    cart = client.get("/api/v1/cart", **auth)
    assert cart.status_code == 200
    body = cart.json()
    assert {line["sku_id"]: line["purchasable"] for line in body["lines"]} == {sku.pk: False, other.pk: True}
    assert body["quote"]["goods_fen"] == 4000

    placed = client.post(
        "/api/v1/orders", {"items": [], "address": address, "from_cart": True}, content_type="application/json", **auth
    )
    assert placed.status_code == 201, placed.json()
    assert [(line["sku_id"], line["quantity"]) for line in placed.json()["lines"]] == [(other.pk, 2)]
    assert list(CartLine.objects.filter(user=buyer).values_list("sku_id", flat=True)) == [sku.pk]
