"""The operator stock API: read a SKU's stock per location, receive and adjust, who may, and bounds."""

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import issue_token
from fenxiao.inventory.models import StockMovement, StockRecord
from tests.api_helpers import assert_error
from tests.factories import SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

INV = "/api/v1/operator/inventory"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def staff_in(group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def supply():
    return bearer(staff_in("供应链"))


def send(client, method, url, body, headers):
    return getattr(client, method)(url, body, content_type="application/json", headers=headers)


# --- stock -----------------------------------------------------------------------------------------


def test_stock_read_receive_adjust(client, supply):
    sku = SkuFactory(stock=10)
    base = f"{INV}/skus/{sku.pk}/stock"
    assert client.get(base, headers=supply).json() == [
        {"sku_id": sku.pk, "location": "main", "on_hand": 10, "reserved": 0, "available": 10, "safety_stock": 0}
    ]
    assert send(client, "post", f"{base}/receive", {"quantity": 5, "note": "到货"}, supply).json()["on_hand"] == 15
    assert send(client, "post", f"{base}/adjust", {"delta": -3}, supply).json()["on_hand"] == 12
    assert send(client, "post", f"{base}/receive", {"quantity": 4, "location": "supplier:1"}, supply).json()["on_hand"] == 4
    assert [r["location"] for r in client.get(base, headers=supply).json()] == ["main", "supplier:1"]
    assert_error(send(client, "post", f"{base}/adjust", {"delta": -13}, supply), 409, "below_reserved")
    assert_error(send(client, "post", f"{base}/receive", {"quantity": 0}, supply), 400, "invalid_quantity")
    assert_error(client.get(f"{INV}/skus/999999/stock", headers=supply), 404, "unknown_sku")
    kinds = list(StockMovement.objects.filter(stock_record__sku=sku).values_list("kind", "on_hand_delta").order_by("pk"))
    assert kinds == [("receive", 5), ("adjust", -3), ("receive", 4)]
    assert StockRecord.objects.get(sku=sku, location="main").on_hand == 12


# --- who may -----------------------------------------------------------------------------------------


def test_operations_read_stock_and_supply_chain_changes_it(client):
    sku = SkuFactory()
    ops, finance = bearer(staff_in("运营")), bearer(staff_in("财务"))
    assert client.get(f"{INV}/skus/{sku.pk}/stock", headers=ops).status_code == 200
    assert_error(send(client, "post", f"{INV}/skus/{sku.pk}/stock/receive", {"quantity": 1}, ops), 403, "forbidden")
    assert_error(client.get(f"{INV}/skus/{sku.pk}/stock", headers=finance), 403, "forbidden")


# --- bounds ------------------------------------------------------------------------------------------


def test_a_receipt_near_the_column_limit_is_refused_not_overflowed(client, supply):
    sku = SkuFactory(stock=100)
    base = f"{INV}/skus/{sku.pk}/stock"
    body = assert_error(send(client, "post", f"{base}/receive", {"quantity": 2**63 - 1}, supply), 400, "invalid_quantity")
    assert body["detail"] == {"quantity": 2**63 - 1}
    assert_error(send(client, "post", f"{base}/adjust", {"delta": -(2**62)}, supply), 400, "invalid_quantity")
    assert StockRecord.objects.get(sku=sku, location="main").on_hand == 100
    assert send(client, "post", f"{base}/receive", {"quantity": 10**9}, supply).json()["on_hand"] == 10**9 + 100
