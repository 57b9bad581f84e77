"""From a distributor's page and a customer's page to their orders: a link to the order list filtered by
the distributor it is attributed to, or by the buyer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fenxiao.orders.models import Order
from tests.factories import DistributorFactory, OrderFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def order_numbers(client, query: dict) -> set[str]:
    response = client.get(reverse("admin:orders_order_changelist"), query)
    assert response.status_code == 200
    return {order.number for order in response.context["cl"].result_list}


@pytest.fixture
def orders():
    sku = SkuFactory()
    distributor = DistributorFactory()
    buyer, other = UserFactory(), UserFactory()
    return {
        "distributor": distributor,
        "buyer": buyer,
        "attributed": OrderFactory(user=buyer, distributor=distributor, items=[(sku, 1)]),
        "own": OrderFactory(user=buyer, items=[(sku, 1)]),
        "other": OrderFactory(user=other, items=[(sku, 1)]),
    }


def test_the_distributor_page_links_to_its_orders(client, orders):
    client.force_login(StaffFactory())
    distributor = orders["distributor"]
    page = client.get(reverse("admin:distribution_distributor_change", args=[distributor.pk])).content.decode()
    link = f"{reverse('admin:orders_order_changelist')}?distributor={distributor.pk}"
    assert f'href="{link}" id="distributor-orders"' in page and "查看订单" in page
    attributed = set(Order.objects.filter(distributor=distributor).values_list("number", flat=True))
    assert orders["attributed"].number in attributed and orders["other"].number not in attributed
    assert order_numbers(client, {"distributor": distributor.pk}) == attributed


def test_the_customer_page_links_to_the_customers_orders(client, orders):
    client.force_login(StaffFactory())
    buyer = orders["buyer"]
    page = client.get(reverse("admin:accounts_user_change", args=[buyer.pk])).content.decode()
    link = f"{reverse('admin:orders_order_changelist')}?buyer={buyer.pk}"
    assert f'href="{link}" id="customer-orders"' in page and "查看订单" in page
    assert order_numbers(client, {"buyer": buyer.pk}) == {orders["attributed"].number, orders["own"].number}
    assert len(order_numbers(client, {})) == 3
