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

