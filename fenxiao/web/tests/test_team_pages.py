"""The team pages and the leaderboard through the test client: tabs, sort, htmx "load more", the lazy
tree that stops at the second level, the board with my rank highlighted, and the links from the
distributor center."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.distribution.models import Distributor
from tests.factories import DistributorFactory, LevelFactory, SkuFactory, UserFactory, sale

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def level():
    return LevelFactory(rank=1, name="普通分销商")


@pytest.fixture
def net(level):
    me = DistributorFactory(level=level, user=UserFactory(nickname="我自己"))
    a = DistributorFactory(level=level, inviter=me, user=UserFactory(nickname="李小龙", phone="13812345678"))
    b = DistributorFactory(level=level, inviter=a, user=UserFactory(nickname="王五"))
    c = DistributorFactory(level=level, inviter=b)
    other = DistributorFactory(level=level)
    return {"me": me, "A": a, "B": b, "C": c, "other": other}


@pytest.fixture
def logged_in(client, net):
    client.force_login(net["me"].user)
    return client


def test_team_page_lists_members_masked_with_month_sales(logged_in, net):
    sale(net["A"], 6000, refunded_fen=1000, completed_at=timezone.now(), sku=SkuFactory())
    r = logged_in.get(reverse("web:team"))
    assert r.status_code == 200
    html = r.content.decode()
    assert f'id="member-{net["A"].pk}"' in html and "李**" in html and "138****5678" in html
    assert "李小龙" not in html and "13812345678" not in html
    assert "¥50.00" in html
    assert f'id="member-{net["B"].pk}"' not in html
    r = logged_in.get(reverse("web:team"), {"kind": "indirect", "sort": "sales"})
    html = r.content.decode()
    assert f'id="member-{net["B"].pk}"' in html and "王*" in html and f'id="member-{net["C"].pk}"' not in html


def test_load_more_returns_the_next_cards_only(logged_in, net, level):
    for _ in range(21):
        DistributorFactory(level=level, inviter=net["me"])
    first = logged_in.get(reverse("web:team")).content.decode()
    assert first.count('class="app-ocard"') == 20 and 'id="load-more"' in first
    r = logged_in.get(reverse("web:team"), {"kind": "direct", "sort": "joined", "page": 2}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert html.count('class="app-ocard"') == 2 and 'id="load-more"' not in html


def test_tree_is_lazy_and_stops_at_the_second_level(logged_in, net):
    r = logged_in.get(reverse("web:team_tree"))
    html = r.content.decode()
    assert r.status_code == 200
    children_url = reverse("web:team_tree_children", args=[net["A"].pk])
    assert f'id="node-{net["A"].pk}"' in html and children_url in html
    assert f'id="node-{net["B"].pk}"' not in html  # not loaded until expanded
    r = logged_in.get(children_url, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and f'id="node-{net["B"].pk}"' in html
    assert reverse("web:team_tree_children", args=[net["B"].pk]) not in html  # no third level to open
    for outside in ("B", "C", "other"):
        assert logged_in.get(reverse("web:team_tree_children", args=[net[outside].pk]), headers=HTMX).status_code == 404


def test_leaderboard_highlights_my_rank(logged_in, net):
    sku = SkuFactory()
    sale(net["other"], 9000, completed_at=timezone.now(), sku=sku)
    sale(net["me"], 3000, completed_at=timezone.now(), sku=sku)
    r = logged_in.get(reverse("web:leaderboard"))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="my-rank"' in html and f'id="board-{net["me"].pk}"' in html
    assert 'board-row_me" id="board-{}"'.format(net["me"].pk) in html
    assert "我自己" in html
    for params in (
        {"board": "invites", "period": "last_quarter", "scope": "team"},
        {"board": "sales", "period": "last_month", "scope": "network"},
        {"board": "bogus", "period": "bogus", "scope": "bogus"},
    ):
        assert logged_in.get(reverse("web:leaderboard"), params).status_code == 200
    team = logged_in.get(reverse("web:leaderboard"), {"scope": "team"}).content.decode()
    assert f'id="board-{net["other"].pk}"' not in team


def test_distributor_center_links_and_non_distributors_are_sent_to_apply(client, logged_in, net, level):
    html = logged_in.get(reverse("web:distributor_center")).content.decode()
    assert 'id="team-link"' in html and 'id="leaderboard-link"' in html
    pending = DistributorFactory(level=level, status=Distributor.Status.PENDING)
    client.force_login(pending.user)
    for name in ("web:team", "web:team_tree", "web:leaderboard"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and r["Location"] == reverse("web:apply")
    client.logout()
    assert "/login/" in client.get(reverse("web:team"))["Location"]
