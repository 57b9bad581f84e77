"""/api/v1/earnings: a distributor's own money only, errors as {code, message, detail}, pages."""

from datetime import UTC, datetime

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.services import bind_customer
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, OrderFactory, StaffFactory, UserFactory

from .money_flows import accrue_direct, at, first_line, received, refund, settle, withdraw

pytestmark = pytest.mark.django_db

BASE = "/api/v1/earnings"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


@pytest.fixture
def buyer(distributor):
    user = UserFactory(nickname="王大锤", phone="13700001111")
    bind_customer(customer=user, distributor=distributor)
    return user


@pytest.fixture
def api(client, distributor):
    def get(path, user=None):
        return client.get(BASE + path, headers=bearer(user or distributor.user))

    return get


def test_summary_with_a_debt(api, distributor, buyer, beauty):
    order = received(OrderFactory(paid=True, user=buyer, items=[(beauty, 1)]), buyer, StaffFactory())
    settle(order)
    withdraw(distributor.pk, 3000, "w:1")
    refund(buyer, StaffFactory(), first_line(order), 15000)
    r = api("/summary")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["available_fen"], body["debt_fen"], body["withdrawable_fen"], body["withdrawing_fen"]) == (-3000, 3000, 0, 3000)
    assert (body["settled_fen"], body["clawed_back_fen"], body["pending_fen"]) == (3000, 3000, 0)
    assert body["month_accrued_fen"] == 3000


def test_orders_are_paged_filtered_and_mask_the_buyer(api, distributor, buyer, beauty):
    orders = [OrderFactory(paid=True, user=buyer, items=[(beauty, 1)]) for _ in range(3)]
    settle(orders[0])
    r = api("/orders?page_size=2")
    assert r.status_code == 200
    body = r.json()
    assert (body["total"], body["page"], body["page_size"], body["has_next"]) == (3, 1, 2, True)
    assert [o["order_id"] for o in body["items"]] == [orders[2].pk, orders[1].pk]
    item = body["items"][0]
    assert (item["buyer_name"], item["buyer_phone"]) == ("王**", "137****1111")
    assert "13700001111" not in r.content.decode()
    line = item["lines"][0]
    assert (line["depth"], line["depth_label"], line["base_fen"], line["rate_bp"], line["amount_fen"]) == (
        1,
        "直推",
        15000,
        2000,
        3000,
    )
    assert (line["status"], line["capped"], line["capped_note"]) == ("pending", False, "")

    second = api("/orders?page_size=2&page=2").json()
    assert ([o["order_id"] for o in second["items"]], second["has_next"]) == ([orders[0].pk], False)
    settled = api("/orders?status=settled").json()
    assert [o["order_id"] for o in settled["items"]] == [orders[0].pk] and settled["status"] == "settled"
    assert api("/orders?page=0").json()["page"] == 1
    assert_error(api("/orders?status=shipped"), 422, "invalid_status")
    assert_error(api("/orders?page=x"), 422, "invalid_input")


def test_order_detail_only_where_the_distributor_earns(api, distributor, upline, buyer, beauty, level):
    order = OrderFactory(paid=True, user=buyer, items=[(beauty, 2)])
    r = api(f"/orders/{order.pk}")
    assert r.status_code == 200
    assert (r.json()["order_number"], r.json()["net_fen"], r.json()["lines"][0]["quantity"]) == (order.number, 6000, 2)
    assert api(f"/orders/{order.pk}", user=upline.user).json()["lines"][0]["depth_label"] == "间推"
    other = DistributorFactory(level=level)
    body = assert_error(api(f"/orders/{order.pk}", user=other.user), 404, "order_not_found")
    assert body["detail"] == {"order_id": order.pk}
    assert_error(api("/orders/999999"), 404, "order_not_found")


def test_statement_and_months(api, distributor):
    with at(datetime(2026, 10, 31, 16, 30, tzinfo=UTC)):  # 1 November, 00:30 in Shanghai
        accrue_direct(distributor.pk, 1234, "a:1")
    r = api("/statement?month=2026-11")
    assert r.status_code == 200, r.content
    body = r.json()
    pending = body["accounts"][0]
    assert (pending["role"], pending["opening_fen"], pending["closing_fen"]) == ("pending", 0, 1234)
    assert [(row["kind"], row["change_fen"], row["balance_fen"]) for row in pending["rows"]] == [
        ("commission_accrue", 1234, 1234)
    ]
    assert body["totals"]["accrued_fen"] == 1234
    assert body["months"] == ["2026-11"]
    assert api("/statement?month=2026-10").json()["accounts"][0]["rows"] == []
    assert api("/months").json() == {"months": ["2026-11"]}
    assert api("/statement").status_code == 200  # this month by default
    for bad in ("2026-13", "202611", "2026-11-01", "x"):
        body = assert_error(api(f"/statement?month={bad}"), 422, "invalid_month")
        assert body["detail"]["month"] == bad


def test_who_may_see_earnings(client, distributor, level):
    assert_error(client.get(BASE + "/summary"), 401, "not_authenticated")
    stranger = UserFactory()
    for path in ("/summary", "/orders", "/orders/1", "/statement?month=2026-11", "/months"):
        assert_error(client.get(BASE + path, headers=bearer(stranger)), 403, "not_distributor")
    applicant = DistributorFactory(level=level, status=Distributor.Status.PENDING)
    body = assert_error(client.get(BASE + "/summary", headers=bearer(applicant.user)), 403, "not_distributor")
    assert body["detail"] == {"status": "pending"}
    # a suspended distributor still sees the money it earned
    suspended = DistributorFactory(level=level, status=Distributor.Status.SUSPENDED)
    assert client.get(BASE + "/summary", headers=bearer(suspended.user)).status_code == 200


def test_the_session_works_too(client, distributor):
    client.force_login(distributor.user)
    assert client.get(BASE + "/summary").status_code == 200
