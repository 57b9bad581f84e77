"""/api/v1/team, /api/v1/leaderboards and /api/v1/operator/analytics/chain: a distributor sees its own
two levels only (anyone else is 404), errors are {code, message, detail}, staff only for the chain."""

import pytest
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.distribution.models import Distributor
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, StaffFactory, UserFactory, sale

pytestmark = pytest.mark.django_db


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


@pytest.fixture
def net(level):
    up = DistributorFactory(level=level)
    me = DistributorFactory(level=level, inviter=up, user=UserFactory(nickname="我自己"))
    a = DistributorFactory(level=level, inviter=me, user=UserFactory(nickname="李小龙", phone="13812345678"))
    b = DistributorFactory(level=level, inviter=a)
    c = DistributorFactory(level=level, inviter=b)
    return {"up": up, "me": me, "A": a, "B": b, "C": c}


@pytest.fixture
def get(client, net):
    def call(path, user=None):
        return client.get(path, headers=bearer(user or net["me"].user))

    return call


def test_team_list(get, net, sku):
    sale(net["A"], 8000, refunded_fen=1000, completed_at=timezone.now(), sku=sku)
    r = get("/api/v1/team")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["kind"], body["total"], body["direct_count"], body["indirect_count"], body["has_next"]) == (
        "direct",
        1,
        1,
        1,
        False,
    )
    (item,) = body["items"]
    assert (item["distributor_id"], item["name"], item["phone"], item["month_sales_fen"], item["month_order_count"]) == (
        net["A"].pk,
        "李**",
        "138****5678",
        7000,
        1,
    )
    r = get("/api/v1/team?kind=indirect&sort=sales&page=1")
    assert [i["distributor_id"] for i in r.json()["items"]] == [net["B"].pk]


def test_team_rejects_bad_input(get):
    assert_error(get("/api/v1/team?kind=third"), 422, "invalid_input")
    assert_error(get("/api/v1/team?sort=age"), 422, "invalid_input")


def test_tree_children_within_two_levels_only(get, net):
    r = get(f"/api/v1/team/{net['me'].pk}/children")
    assert r.status_code == 200
    assert [(i["distributor_id"], i["expandable"]) for i in r.json()["items"]] == [(net["A"].pk, True)]
    r = get(f"/api/v1/team/{net['A'].pk}/children")
    assert [(i["distributor_id"], i["depth"], i["expandable"]) for i in r.json()["items"]] == [(net["B"].pk, 2, False)]
    for outside in ("B", "C", "up"):
        body = assert_error(get(f"/api/v1/team/{net[outside].pk}/children"), 404, "not_in_team")
        assert body["detail"] == {"distributor_id": net[outside].pk}


def test_leaderboard(get, net, sku):
    sale(net["A"], 5000, completed_at=timezone.now(), sku=sku)
    sale(net["me"], 3000, completed_at=timezone.now(), sku=sku)
    r = get("/api/v1/leaderboards?board=sales&period=month&scope=team&offset=0")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [(e["rank"], e["name"], e["value"], e["is_me"]) for e in body["entries"]] == [
        (1, "李**", 5000, False),
        (2, "我自己", 3000, True),
    ]
    assert body["me"]["rank"] == 2 and body["period"]["kind"] == "month"
    r = get("/api/v1/leaderboards?board=invites&period=quarter&offset=-1")
    assert r.status_code == 200 and r.json()["period"]["offset"] == -1
    assert_error(get("/api/v1/leaderboards?offset=1"), 400, "invalid_period")
    assert_error(get("/api/v1/leaderboards?board=visits"), 422, "invalid_input")


def test_not_a_distributor(client, net, level):
    assert_error(client.get("/api/v1/team", headers=bearer(UserFactory())), 403, "not_distributor")
    pending = DistributorFactory(level=level, status=Distributor.Status.PENDING)
    assert_error(client.get("/api/v1/leaderboards", headers=bearer(pending.user)), 403, "not_distributor")
    assert_error(client.get("/api/v1/team"), 401, "not_authenticated")


def test_operator_chain(client, net):
    staff = StaffFactory()
    r = client.get(f"/api/v1/operator/analytics/chain/{net['A'].pk}", headers=bearer(staff))
    assert r.status_code == 200, r.content
    body = r.json()
    assert [n["distributor_id"] for n in body["upline"]] == [net["me"].pk, net["up"].pk]
    assert (body["direct_count"], body["indirect_count"]) == (1, 1)
    assert [n["distributor_id"] for n in body["children"]] == [net["B"].pk]
    assert_error(client.get("/api/v1/operator/analytics/chain/999999999", headers=bearer(staff)), 404, "distributor_not_found")
    assert_error(client.get(f"/api/v1/operator/analytics/chain/{net['A'].pk}", headers=bearer(net["me"].user)), 403, "forbidden")
