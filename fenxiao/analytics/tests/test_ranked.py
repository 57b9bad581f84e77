"""The network ranking of one period used to award prizes: period labels, ranks as the boards give
them, a tie at the limit kept whole, and two queries whatever the network's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.analytics import selectors
from fenxiao.analytics.errors import AnalyticsError
from fenxiao.distribution.models import Distributor
from tests.factories import DistributorFactory, sale

from .helpers import local

pytestmark = pytest.mark.django_db

NOW = local(2026, 4, 15, 10, 0)
IN_MARCH = local(2026, 3, 10, 12, 0)


def seller(level, amount, *, minute=0, status=Distributor.Status.APPROVED, sku=None):
    d = DistributorFactory(level=level, status=status, approved_at=local(2026, 1, 1, 9, minute))
    sale(d, amount, completed_at=IN_MARCH, sku=sku)
    return d


@pytest.mark.parametrize(
    ("kind", "label", "offset"),
    [
        ("month", "2026-04", 0),
        ("month", "2026-03", -1),
        ("month", "2025-12", -4),
        ("month", "2026-06", 2),
        ("quarter", "2026-Q2", 0),
        ("quarter", "2026-Q1", -1),
        ("quarter", "2025-Q3", -3),
        ("quarter", "2026-Q3", 1),
    ],
)
def test_period_offset_of_a_label(kind, label, offset):
    assert selectors.period_offset(kind, label, now=NOW) == offset


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("month", "2026-13"),
        ("month", "2026-Q1"),
        ("quarter", "2026-Q5"),
        ("quarter", "2026-03"),
        ("month", "26-03"),
        ("month", None),
        ("week", "2026-03"),
    ],
)
def test_bad_labels_are_refused(kind, label):
    with pytest.raises(AnalyticsError) as exc:
        selectors.period_offset(kind, label, now=NOW)
    assert exc.value.code == "invalid_period"


def test_ranks_with_ties_and_a_tie_at_the_limit_kept_whole(level, sku):
    a = seller(level, 9000, minute=0, sku=sku)
    b = seller(level, 5000, minute=1, sku=sku)
    c = seller(level, 5000, minute=2, sku=sku)
    d = seller(level, 5000, minute=3, sku=sku)
    seller(level, 1000, minute=4, sku=sku)
    seller(level, 99000, status=Distributor.Status.SUSPENDED, sku=sku)  # not on the board
    period, rows = selectors.ranked("sales", "month", "2026-03", limit=2, now=NOW)
    assert period.label == "2026-03"
    assert [(r.distributor_id, r.rank, r.value) for r in rows] == [
        (a.pk, 1, 9000),
        (b.pk, 2, 5000),
        (c.pk, 2, 5000),
        (d.pk, 2, 5000),
    ]
    _period, by_offset = selectors.ranked("sales", "month", -1, limit=50, now=NOW)
    assert [r.rank for r in by_offset] == [1, 2, 2, 2, 5]
    assert selectors.ranked("sales", "month", -1, limit=0, now=NOW)[1] == []
    assert selectors.ranked("sales", "month", 0, limit=5, now=NOW)[1] == []  # nothing in April


def test_ranked_agrees_with_the_board(level, sku):
    viewer = seller(level, 3000, minute=0, sku=sku)
    for i in range(4):
        seller(level, 4000 - i * 500, minute=i + 1, sku=sku)
    board = selectors.leaderboard(viewer, board="sales", period="month", offset=-1, now=NOW)
    _period, rows = selectors.ranked("sales", "month", -1, now=NOW)
    assert [(r.distributor_id, r.rank, r.value) for r in rows] == [(e.distributor_id, e.rank, e.value) for e in board.entries]


def test_two_queries_whatever_the_network(level, sku):
    for i in range(3):
        seller(level, 1000, minute=i, sku=sku)
    with CaptureQueriesContext(connection) as few:
        selectors.ranked("sales", "month", -1, limit=3, now=NOW)
    for i in range(30):
        seller(level, 1000 + i, minute=i % 60, sku=sku)
    with CaptureQueriesContext(connection) as many:
        _period, rows = selectors.ranked("sales", "month", -1, limit=3, now=NOW)
    assert len(few) == len(many) == 2
    assert len(rows) == 3


def test_unknown_board_is_refused(level):
    with pytest.raises(AnalyticsError) as exc:
        selectors.ranked("likes", "month", -1, now=NOW)
    assert exc.value.code == "invalid_board"
