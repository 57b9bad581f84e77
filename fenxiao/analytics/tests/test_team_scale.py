"""The team page of a distributor with 10,000 team members takes the same queries as one with 100:
every list and sort, direct and indirect. The members go in with bulk inserts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.accounts.models import User
from fenxiao.analytics import selectors
from fenxiao.distribution.models import Distributor
from tests.factories import DistributorFactory, sale

from .helpers import local

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 20, 10, 0)


def team_of(level, members: int, tag: str) -> Distributor:
    """A distributor with `members` approved team members: half direct, half invited by those."""
    root = DistributorFactory(level=level)

    def make(count: int, inviters: list[Distributor], depth: int) -> list[Distributor]:
        users = User.objects.bulk_create([User(username=f"{tag}{depth}-{i}", password="!") for i in range(count)])
        return Distributor.objects.bulk_create(
            [
                Distributor(
                    user=user,
                    code=f"{tag}{depth}{i:05d}",
                    inviter=inviters[i % len(inviters)],
                    level=level,
                    status=Distributor.Status.APPROVED,
                    applied_at=NOW,
                    approved_at=NOW - timedelta(minutes=i),
                    status_changed_at=NOW,
                    depth=depth,
                )
                for i, user in enumerate(users)
            ]
        )

    direct = make(members // 2, [root], 1)
    make(members - len(direct), direct, 2)
    return root


def queries(root, kind: str, sort: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        page = selectors.team_page(root, kind=kind, sort=sort, now=NOW)
    assert len(page.items) == 20
    return len(captured.captured_queries), page.total


def test_ten_thousand_members_take_the_queries_of_a_hundred(level, sku):
    small, large = team_of(level, 100, "s"), team_of(level, 10_000, "L")
    for member in Distributor.objects.filter(inviter=large)[:5]:
        sale(member, 2000, completed_at=local(2026, 3, 10, 12, 0), sku=sku)
    for kind in ("direct", "indirect"):
        for sort in ("joined", "sales", "orders"):
            assert queries(small, kind, sort) == (2, 50)
            assert queries(large, kind, sort) == (2, 5000)
    top = selectors.team_page(large, kind="direct", sort="sales", now=NOW).items[0]
    assert (top.month_sales_fen, top.month_order_count) == (2000, 1)
