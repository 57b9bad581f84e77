"""Leaderboards: competition ranks with ties, local period boundaries, the definition of a valid
invitation, the team scope, "my rank" outside the top, masking, and a constant query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.analytics import selectors
from fenxiao.analytics.errors import AnalyticsError
from fenxiao.distribution.models import Distributor
from fenxiao.orders.models import Order
from tests.factories import DistributorFactory, UserFactory, sale

from .helpers import local

pytestmark = pytest.mark.django_db

NOW = local(2026, 4, 15, 10, 0)
IN_APRIL = local(2026, 4, 10, 12, 0)


def dist(level, inviter=None, *, name="", approved_at=None, status=Distributor.Status.APPROVED):
    return DistributorFactory(
        user=UserFactory(nickname=name),
        inviter=inviter,
        level=level,
        status=status,
        approved_at=approved_at or local(2026, 1, 1, 9, 0),
    )


def board(viewer, **kw):
    return selectors.leaderboard(viewer, now=NOW, **kw)


def ranking(result):
    return [(e.distributor_id, e.rank, e.value) for e in result.entries]


# --- periods ---


@pytest.mark.parametrize(
    ("kind", "offset", "now", "label", "start", "end"),
    [
        ("month", 0, local(2026, 4, 15), "2026-04", local(2026, 4, 1), local(2026, 5, 1)),
        ("month", -1, local(2026, 1, 1, 0, 0), "2025-12", local(2025, 12, 1), local(2026, 1, 1)),
        ("month", 0, local(2026, 3, 31, 23, 59, 59), "2026-03", local(2026, 3, 1), local(2026, 4, 1)),
        ("quarter", 0, local(2026, 5, 15), "2026-Q2", local(2026, 4, 1), local(2026, 7, 1)),
        ("quarter", -1, local(2026, 2, 1), "2025-Q4", local(2025, 10, 1), local(2026, 1, 1)),
        ("quarter", 0, local(2026, 12, 31, 23), "2026-Q4", local(2026, 10, 1), local(2027, 1, 1)),
    ],
)
def test_periods_are_local_calendar_months_and_quarters(kind, offset, now, label, start, end):
    period = selectors.period_for(kind, offset, now=now)
    assert (period.label, period.start, period.end) == (label, start, end)


def test_period_boundaries_follow_asia_shanghai(level, sku):
    me = dist(level)
    sale(me, 1000, completed_at=local(2026, 3, 31, 23, 59, 59), sku=sku)  # 15:59:59 UTC on March 31
    sale(me, 2000, completed_at=local(2026, 4, 1, 0, 0), sku=sku)  # 16:00 UTC on March 31, but April here
    sale(me, 4000, completed_at=local(2026, 1, 1, 0, 0), sku=sku)
    sale(me, 8000, completed_at=local(2025, 12, 31, 23, 59, 59), sku=sku)
    assert board(me).me.value == 2000
    assert board(me, offset=-1).me.value == 1000
    assert board(me, period="quarter").me.value == 2000
    assert board(me, period="quarter", offset=-1).me.value == 5000


def test_bad_periods_boards_and_scopes_are_refused(level):
    me = dist(level)
    for kw, code in (
        ({"offset": 1}, "invalid_period"),
        ({"period": "year"}, "invalid_period"),
        ({"board": "visits"}, "invalid_board"),
        ({"scope": "world"}, "invalid_scope"),
    ):
        with pytest.raises(AnalyticsError) as exc:
            board(me, **kw)
        assert exc.value.code == code


# --- sales board ---


def test_ties_share_a_rank_and_are_listed_by_earlier_approval_then_id(level, sku):
    first = dist(level, approved_at=local(2025, 6, 1))
    tie_late = dist(level, approved_at=local(2025, 9, 1))
    tie_early = dist(level, approved_at=local(2025, 8, 1))
    same_time_a = dist(level, approved_at=local(2025, 7, 1))
    same_time_b = dist(level, approved_at=local(2025, 7, 1))
    last = dist(level, approved_at=local(2025, 1, 1))
    for d, paid in ((first, 9000), (tie_late, 5000), (tie_early, 5000), (same_time_a, 3000), (same_time_b, 3000), (last, 100)):
        sale(d, paid, completed_at=IN_APRIL, sku=sku)
    result = board(last)
    assert ranking(result) == [
        (first.pk, 1, 9000),
        (tie_early.pk, 2, 5000),
        (tie_late.pk, 2, 5000),
        (same_time_a.pk, 4, 3000),
        (same_time_b.pk, 4, 3000),
        (last.pk, 6, 100),
    ]
    assert (result.me.rank, result.me.value, result.ranked_count) == (6, 100, 6)


def test_sales_are_net_of_refunds_and_only_completed_orders_of_approved_distributors(level, sku):
    me = dist(level)
    suspended = dist(level, status=Distributor.Status.SUSPENDED)
    fully_refunded = dist(level)
    sale(me, 12000, refunded_fen=2000, lines=2, completed_at=IN_APRIL, sku=sku)
    sale(me, 5000, status=Order.Status.SHIPPED, completed_at=IN_APRIL, sku=sku)
    sale(suspended, 90000, completed_at=IN_APRIL, sku=sku)
    sale(fully_refunded, 3000, refunded_fen=3000, completed_at=IN_APRIL, sku=sku)
    sale(None, 7000, completed_at=IN_APRIL, sku=sku)  # no distributor credited
    result = board(me)
    assert ranking(result) == [(me.pk, 1, 20000)]


def test_my_rank_is_given_even_outside_the_top_and_others_are_masked(level, sku):
    me = dist(level, name="我自己")
    others = [dist(level, name=f"王大{i}") for i in range(4)]
    for i, d in enumerate(others):
        sale(d, 10000 - i * 1000, completed_at=IN_APRIL, sku=sku)
    sale(me, 7500, completed_at=IN_APRIL, sku=sku)  # below the first three: rank 4
    result = board(me, size=2)
    assert [e.distributor_id for e in result.entries] == [others[0].pk, others[1].pk]
    assert (result.me.rank, result.me.value, result.me.is_me, result.me.name) == (4, 7500, True, "我自己")
    assert [e.name for e in result.entries] == ["王**", "王**"]
    assert all(e.phone.count("*") == 4 for e in result.entries)
    assert result.ranked_count == 5
    inside = board(me)
    assert [e.is_me for e in inside.entries] == [False, False, False, True, False]
    assert inside.entries[3].name == "我自己"


def test_nothing_in_the_period_means_no_rank(level, sku):
    me = dist(level)
    sale(dist(level), 1000, completed_at=IN_APRIL, sku=sku)
    result = board(me)
    assert (result.me.rank, result.me.value) == (None, 0)


def test_team_scope_is_me_and_my_two_levels(level, sku):
    up = dist(level)
    me = dist(level, inviter=up)
    direct = dist(level, inviter=me)
    indirect = dist(level, inviter=direct)
    third = dist(level, inviter=indirect)
    outsider = dist(level)
    for d, paid in ((up, 9000), (me, 1000), (direct, 3000), (indirect, 2000), (third, 8000), (outsider, 7000)):
        sale(d, paid, completed_at=IN_APRIL, sku=sku)
    team = board(me, scope="team")
    assert ranking(team) == [(direct.pk, 1, 3000), (indirect.pk, 2, 2000), (me.pk, 3, 1000)]
    network = board(me)
    assert network.me.rank == 6 and network.ranked_count == 6


# --- invites board ---


def test_valid_invites_count_invitees_whose_first_completed_purchase_falls_in_the_period(level, sku):
    me = dist(level)
    rival = dist(level)

    def invitee(inviter, **kw):
        return dist(level, inviter, **kw)

    bought = invitee(me)  # first completed purchase in April: counts
    sale(None, 5000, buyer=bought.user, completed_at=IN_APRIL, sku=sku)
    bought_twice = invitee(me)  # first completed purchase in April, a second one later in April: once
    sale(None, 5000, buyer=bought_twice.user, completed_at=IN_APRIL, sku=sku)
    sale(me, 5000, buyer=bought_twice.user, completed_at=IN_APRIL + timedelta(days=2), sku=sku)
    earlier = invitee(me)  # first completed purchase in March: counts for March, not April
    sale(None, 5000, buyer=earlier.user, completed_at=local(2026, 3, 31, 23, 59, 59), sku=sku)
    sale(None, 5000, buyer=earlier.user, completed_at=IN_APRIL, sku=sku)
    not_completed = invitee(me)  # received but not completed: not yet
    sale(None, 5000, buyer=not_completed.user, status=Order.Status.RECEIVED, completed_at=IN_APRIL, sku=sku)
    pending = invitee(me, status=Distributor.Status.PENDING)  # not an approved distributor
    sale(None, 5000, buyer=pending.user, completed_at=IN_APRIL, sku=sku)
    seller_only = invitee(me)  # sold to others but never bought: not an invitation that counts
    sale(seller_only, 5000, completed_at=IN_APRIL, sku=sku)
    invitee(me)  # signed up, never bought
    rivals = invitee(rival)
    sale(None, 5000, buyer=rivals.user, completed_at=local(2026, 4, 1, 0, 0), sku=sku)

    april = board(me, board="invites")
    assert ranking(april) == [(me.pk, 1, 2), (rival.pk, 2, 1)]
    march = board(me, board="invites", offset=-1)
    assert ranking(march) == [(me.pk, 1, 1)]
    quarter = board(me, board="invites", period="quarter", offset=-1)
    assert quarter.me.value == 1


def test_invites_ties_and_team_scope(level, sku):
    up = dist(level, approved_at=local(2025, 1, 1))
    me = dist(level, up, approved_at=local(2025, 5, 1))
    direct = dist(level, me, approved_at=local(2025, 3, 1))
    for inviter in (up, me, direct, direct):
        newcomer = dist(level, inviter)
        sale(None, 1000, buyer=newcomer.user, completed_at=IN_APRIL, sku=sku)
    # direct invited 2 (one of whom is also my indirect member); me 1 (direct); up 1 (me)
    network = board(me, board="invites")
    assert ranking(network) == [(direct.pk, 1, 2), (up.pk, 2, 1), (me.pk, 2, 1)]
    team = board(me, board="invites", scope="team")
    assert ranking(team) == [(direct.pk, 1, 2), (me.pk, 2, 1)]


# --- queries ---


def _network(level, sku, size):
    people = [dist(level, name=f"成员{i}") for i in range(size)]
    for i, d in enumerate(people):
        sale(d, 2000 - i, completed_at=IN_APRIL, sku=sku)
        newcomer = dist(level, d)
        sale(None, 1000, buyer=newcomer.user, completed_at=IN_APRIL, sku=sku)
    return people[-1]  # the smallest seller and the latest inviter: outside a top 3 of the network


@pytest.mark.parametrize("which", ["sales", "invites"])
@pytest.mark.parametrize("scope", ["network", "team"])
def test_query_count_does_not_grow_with_the_network(level, sku, which, scope):
    counts = []
    for size in (4, 40):
        me = _network(level, sku, size)
        with CaptureQueriesContext(connection) as ctx:
            result = board(me, board=which, scope=scope, size=3)
            assert result.entries
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 5
