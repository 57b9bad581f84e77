"""Idempotency-Key on order creation: replay, conflict, in progress."""

import json
import threading

import pytest
from django.db import connection

from fenxiao.accounts.services import issue_token
from fenxiao.orders.models import IdempotencyRecord, Order
from tests.api_helpers import assert_error

URL = "/api/v1/orders"


def body(sku, address, qty=1):
    return {"items": [{"sku_id": sku.pk, "quantity": qty}], "address": address}


def post(client, token, payload, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(URL, json.dumps(payload), content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_replay_returns_the_first_response(client, buyer, sku, address):
    token = issue_token(user=buyer)
    first = post(client, token, body(sku, address), key="k-1")
    assert first.status_code == 201
    again = post(client, token, body(sku, address), key="k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_same_key_other_body_is_422(client, buyer, sku, address):
    token = issue_token(user=buyer)
    assert post(client, token, body(sku, address), key="k-2").status_code == 201
    assert_error(post(client, token, body(sku, address, qty=2), key="k-2"), 422, "idempotency_conflict")
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_request_replays_its_refusal(client, buyer, sku, address):
    token = issue_token(user=buyer)
    bad = dict(address, phone="123")
    assert_error(post(client, token, body(sku, bad), key="k-3"), 400, "invalid_phone")
    assert_error(post(client, token, body(sku, bad), key="k-3"), 400, "invalid_phone")


@pytest.mark.django_db
def test_keys_are_per_user(client, buyer, sku, address):
    from tests.factories import UserFactory

    assert post(client, issue_token(user=buyer), body(sku, address), key="shared").status_code == 201
    assert post(client, issue_token(user=UserFactory()), body(sku, address), key="shared").status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_replay_while_the_first_runs_is_409(client, buyer, sku, address, monkeypatch):
    from fenxiao.orders import services

    token = issue_token(user=buyer)
    started, release = threading.Event(), threading.Event()
    real = services.place_order

    def slow_place_order(**kwargs):
        started.set()
        release.wait(10)
        return real(**kwargs)

    monkeypatch.setattr(services, "place_order", slow_place_order)
    results = {}

    def first():
        from django.test import Client

        results["first"] = post(Client(), token, body(sku, address), key="k-slow")
        connection.close()

    worker = threading.Thread(target=first)
    worker.start()
    assert started.wait(10)
    try:
        assert_error(post(client, token, body(sku, address), key="k-slow"), 409, "idempotency_in_progress")
    finally:
        release.set()
        worker.join(20)
    assert results["first"].status_code == 201
    assert IdempotencyRecord.objects.get(key="k-slow").state == "done"
