"""`POST /api/v1/orders` takes the address from the buyer's own address book (`address_id`) or typed in the
body (`address`), exactly one of them; somebody else's address is not found, and never shows."""

import json

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.addresses import services as address_services
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.orders.models import Order
from tests.api_helpers import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"


class Api:
    def __init__(self, client, user):
        self.client, self.headers = client, {"Authorization": f"Bearer {issue_token(user=user)}"}

    def post(self, url, data, **headers):
        return self.client.post(url, json.dumps(data), content_type="application/json", headers={**self.headers, **headers})


@pytest.fixture
def api(client, buyer):
    return Api(client, buyer)


@pytest.fixture
def book(buyer):
    return address_services.add_address(user=buyer, data=dict(BOOK_ADDRESS))


def items(sku):
    return [{"sku_id": sku.pk, "quantity": 1}]


def test_an_address_book_entry_is_copied_into_the_order(api, sku, buyer, book):
    response = api.post(ORDERS, {"items": items(sku), "address_id": book.pk})
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    assert (order.receiver, order.receiver_phone, order.province, order.city, order.district, order.address_detail) == (
        "王小明",
        "13812345678",
        "浙江省",
        "杭州市",
        "西湖区",
        "文三路 100 号 3 幢 501",
    )
    assert response.json()["address"] == "浙江省杭州市西湖区文三路 100 号 3 幢 501"
    # the order keeps its own copy: a later edit of the book does not change it
    address_services.update_address(user=buyer, address_id=book.pk, data={**BOOK_ADDRESS, "detail": "别处 1 号"})
    order.refresh_from_db()
    assert order.address_detail == "文三路 100 号 3 幢 501"


def test_the_typed_address_still_works(api, sku, address):
    response = api.post(ORDERS, {"items": items(sku), "address": address})
    assert response.status_code == 201, response.content


def test_another_buyers_address_is_not_found_and_not_shown(client, sku, book):
    stranger = Api(client, UserFactory())
    body = assert_error(stranger.post(ORDERS, {"items": items(sku), "address_id": book.pk}), 404, "address_not_found")
    assert body["detail"] == {"address_id": book.pk}
    assert "王小明" not in json.dumps(body, ensure_ascii=False) and "文三路" not in json.dumps(body, ensure_ascii=False)
    missing = assert_error(stranger.post(ORDERS, {"items": items(sku), "address_id": book.pk + 1000}), 404, "address_not_found")
    assert missing["message"] == body["message"]  # nobody learns which ids exist
    assert not Order.objects.exists()


def test_exactly_one_of_the_two(api, sku, address, book):
    for body in ({"items": items(sku)}, {"items": items(sku), "address": address, "address_id": book.pk}):
        assert_error(api.post(ORDERS, body), 422, "invalid_input")
    assert not Order.objects.exists()


def test_a_deleted_entry_is_not_found(api, sku, buyer, book):
    address_services.delete_address(user=buyer, address_id=book.pk)
    assert_error(api.post(ORDERS, {"items": items(sku), "address_id": book.pk}), 404, "address_not_found")


def test_a_retry_with_the_same_key_returns_the_first_order(api, sku, book):
    first = api.post(ORDERS, {"items": items(sku), "address_id": book.pk}, **{"Idempotency-Key": "k-address-1"})
    again = api.post(ORDERS, {"items": items(sku), "address_id": book.pk}, **{"Idempotency-Key": "k-address-1"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert Order.objects.count() == 1


def test_the_contract_declares_the_not_found(client):
    responses = client.get("/api/openapi.json").json()["paths"][ORDERS]["post"]["responses"]
    assert "`address_not_found`" in responses["404"]["description"]
    assert "`invalid_input`" in responses["422"]["description"]
