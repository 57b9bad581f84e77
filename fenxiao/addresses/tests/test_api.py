"""/api/v1/addresses: list, create, update, delete, set default; the region list for pickers."""

import json

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.addresses import services
from fenxiao.addresses.models import MAX_ADDRESSES, Address


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=user)}"}


def send(client, method, url, user, body=None):
    call = getattr(client, method)
    if body is None:
        return call(url, **auth(user))
    return call(url, json.dumps(body), content_type="application/json", **auth(user))


@pytest.mark.django_db
def test_crud(client, buyer, book_address):
    created = send(client, "post", "/api/v1/addresses", buyer, book_address)
    assert created.status_code == 201, created.content
    first = created.json()
    assert first["is_default"] and first["region_label"] == "浙江省 杭州市 西湖区"
    assert (first["province"], first["city_code"]) == ("浙江省", "3301")

    beijing = {**book_address, "receiver": "李雷", "province_code": "11", "city_code": "1101", "district_code": "110108"}
    second = send(client, "post", "/api/v1/addresses", buyer, {**beijing, "is_default": True}).json()
    listed = send(client, "get", "/api/v1/addresses", buyer).json()
    assert [a["id"] for a in listed] == [second["id"], first["id"]]  # the default first
    assert [a["is_default"] for a in listed] == [True, False]

    changed = send(client, "put", f"/api/v1/addresses/{first['id']}", buyer, {**book_address, "detail": "文一西路 1 号"})
    assert changed.status_code == 200 and changed.json()["detail"] == "文一西路 1 号"

    made = send(client, "post", f"/api/v1/addresses/{first['id']}/default", buyer)
    assert made.status_code == 200 and made.json()["is_default"]

    gone = send(client, "delete", f"/api/v1/addresses/{first['id']}", buyer)
    assert gone.status_code == 204
    assert [(a["id"], a["is_default"]) for a in send(client, "get", "/api/v1/addresses", buyer).json()] == [(second["id"], True)]


@pytest.mark.django_db
def test_errors_are_declared_answers(client, buyer, book_address):
    wrong = send(client, "post", "/api/v1/addresses", buyer, {**book_address, "city_code": "3201"})
    assert wrong.status_code == 400
    assert wrong.json() == {
        "code": "invalid_region",
        "message": "请选择所在省份下的城市",
        "detail": {"field": "city", "code": "3201"},
    }
    assert send(client, "post", "/api/v1/addresses", buyer, {**book_address, "phone": "123"}).json()["code"] == "invalid_phone"
    assert send(client, "post", "/api/v1/addresses", buyer, {"receiver": "x"}).status_code == 422
    for _ in range(MAX_ADDRESSES):
        services.add_address(user=buyer, data=book_address)
    full = send(client, "post", "/api/v1/addresses", buyer, book_address)
    assert (full.status_code, full.json()["code"]) == (400, "address_limit")
    assert client.get("/api/v1/addresses").status_code == 401


@pytest.mark.django_db
def test_another_users_address_answers_404_and_stays_as_it_was(client, buyer, other_buyer, book_address):
    theirs = services.add_address(user=other_buyer, data=book_address)
    for method, url, body in (
        ("put", f"/api/v1/addresses/{theirs.pk}", {**book_address, "detail": "改掉"}),
        ("delete", f"/api/v1/addresses/{theirs.pk}", None),
        ("post", f"/api/v1/addresses/{theirs.pk}/default", None),
    ):
        response = send(client, method, url, buyer, body)
        assert (response.status_code, response.json()["code"]) == (404, "address_not_found"), (method, url)
    assert send(client, "get", "/api/v1/addresses", buyer).json() == []
    theirs.refresh_from_db()
    assert theirs.detail == book_address["detail"]
    assert Address.objects.filter(user=other_buyer).count() == 1


@pytest.mark.django_db
def test_the_region_list_walks_down_the_dataset(client):
    provinces = client.get("/api/v1/addresses/regions").json()
    assert len(provinces) == 31 and provinces[0] == {"code": "11", "name": "北京市"}
    assert client.get("/api/v1/addresses/regions?parent=11").json() == [{"code": "1101", "name": "市辖区"}]
    districts = client.get("/api/v1/addresses/regions?parent=3301").json()
    assert {"code": "330106", "name": "西湖区"} in districts
    missing = client.get("/api/v1/addresses/regions?parent=330106")  # a district has no children here
    assert (missing.status_code, missing.json()["code"]) == (404, "invalid_region")


@pytest.mark.django_db
def test_the_openapi_document_declares_the_errors(client):
    doc = client.get("/api/openapi.json").json()
    put = doc["paths"]["/api/v1/addresses/{address_id}"]["put"]["responses"]
    assert {"400", "401", "404", "422"} <= set(put)
    assert "invalid_region" in put["400"]["description"] and "address_not_found" in put["404"]["description"]
    post = doc["paths"]["/api/v1/addresses"]["post"]["responses"]
    assert "address_limit" in post["400"]["description"]
