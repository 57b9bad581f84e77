"""The leaderboard page with prizes: the prizes of the board being viewed, the winners of a closed
period (masked, except the viewer) and the viewer's own awards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fenxiao.analytics.selectors import period_for
from fenxiao.growth.services import prizes as services_prizes
from tests.factories import DistributorFactory, LevelFactory, SkuFactory, UserFactory, sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    level = LevelFactory(rank=1, name="普通分销商")
    me = DistributorFactory(level=level, user=UserFactory(nickname="我自己"))
    rival = DistributorFactory(level=level, user=UserFactory(nickname="李小龙", phone="13812345678"))
    last = period_for("month", -1)
    sku = SkuFactory()
    sale(rival, 9000, completed_at=last.start + timedelta(days=2), sku=sku)
    sale(me, 3000, completed_at=last.start + timedelta(days=2), sku=sku)
    return {"me": me, "rival": rival}


def prizes():
    services_prizes.save_prize(board="sales", period_kind="month", rank_from=1, rank_to=1, reward="cash", cash_fen=50000)
    services_prizes.save_prize(
        board="sales", period_kind="month", rank_from=2, rank_to=3, reward="gift", gift_name="品牌定制礼盒"
    )
    services_prizes.save_prize(board="invites", period_kind="quarter", rank_from=1, rank_to=1, reward="points", points=800)


def test_prizes_winners_and_my_awards(client, people):
    prizes()
    client.force_login(people["me"].user)
    url = reverse("web:leaderboard")
    current = client.get(url).content.decode()
    assert 'id="board-prizes"' in current and "现金 ¥500.00" in current and "礼品：品牌定制礼盒" in current
    assert "800 积分" not in current  # another board's prize
    assert 'id="board-winners"' not in current and 'id="my-awards"' not in current

    services_prizes.close_period("sales", "month")
    closed = client.get(url, {"board": "sales", "period": "last_month"}).content.decode()
    assert 'id="board-winners"' in closed
    assert f'id="winner-{people["rival"].pk}"' in closed and "李**" in closed and "李小龙" not in closed
    assert f'id="winner-{people["me"].pk}"' in closed and "我自己" in closed
    assert 'id="my-awards"' in closed and "礼品：品牌定制礼盒" in closed
    award_id = people["me"].leaderboard_awards.get().pk
    assert f'id="my-award-{award_id}"' in closed
    # my awards show on every board; the winners only on the closed period's own board
    invites = client.get(url, {"board": "invites", "period": "last_quarter"}).content.decode()
    assert 'id="my-awards"' in invites and 'id="board-winners"' not in invites and "800 积分" in invites


def test_closed_period_without_winners_and_page_queries(client, people):
    client.force_login(people["me"].user)
    url = reverse("web:leaderboard")
    services_prizes.close_period("invites", "month")  # no prize configured: closed with nobody
    page = client.get(url, {"board": "invites", "period": "last_month"}).content.decode()
    assert "本期已结榜，无人获奖" in page
    prizes()
    services_prizes.close_period("sales", "month")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"board": "sales", "period": "last_month"}).status_code == 200
    more = DistributorFactory(level=people["me"].level)
    sale(more, 100, completed_at=period_for("month", -1).start + timedelta(days=1))
    with CaptureQueriesContext(connection) as again:
        assert client.get(url, {"board": "sales", "period": "last_month"}).status_code == 200
    assert len(again) == len(queries)
