"""Team figures: who is in the team (two levels, approved), this month's net completed sales per
member, masking, sorting, paging, and a query count that does not grow with the team."""

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

NOW = local(2026, 3, 20, 10, 0)
IN_MARCH = local(2026, 3, 10, 12, 0)


def member(inviter, level, *, name="", phone=None, approved_at=None, status=Distributor.Status.APPROVED):
    user = UserFactory(nickname=name, **({"phone": phone} if phone else {}))
    return DistributorFactory(
        user=user, inviter=inviter, level=level, status=status, **({"approved_at": approved_at} if approved_at else {})
    )


@pytest.fixture
def tree(level):
    """R → A → B → C (a third level below R), R → S (suspended), A → P (pending)."""
    r = member(None, level, name="张老板")
    a = member(r, level, name="李小龙", phone="13812345678", approved_at=local(2026, 1, 5, 9, 0))
    b = member(a, level, name="王五", phone="13912340000", approved_at=local(2026, 2, 5, 9, 0))
    c = member(b, level, name="赵六")
    s = member(r, level, name="孙七", status=Distributor.Status.SUSPENDED)
    p = member(a, level, name="周八", status=Distributor.Status.PENDING)
    return {"R": r, "A": a, "B": b, "C": c, "S": s, "P": p}


def test_month_sales_are_net_of_refunds_and_count_only_completed_orders_of_the_local_month(tree, sku):
    a = tree["A"]
    sale(a, 12000, refunded_fen=2000, lines=2, completed_at=IN_MARCH, sku=sku)  # 2 × 10000, shipping left out
    sale(a, 500, completed_at=local(2026, 3, 1, 0, 0), sku=sku)  # the first local instant of March counts
    sale(a, 3000, completed_at=local(2026, 2, 28, 23, 59, 59), sku=sku)  # February (local) does not
    sale(a, 3100, completed_at=local(2026, 4, 1, 0, 0), sku=sku)  # April does not
    sale(a, 3200, status=Order.Status.RECEIVED, completed_at=IN_MARCH, sku=sku)  # not completed
    sale(a, 3300, status=Order.Status.CANCELLED, completed_at=IN_MARCH, sku=sku)
    page = selectors.team_page(tree["R"], kind="direct", now=NOW)
    (row,) = page.items
    assert (row.distributor_id, row.month_sales_fen, row.month_order_count) == (a.pk, 20500, 2)
    assert page.month == "2026-03"


def test_team_is_two_approved_levels_and_the_third_level_is_excluded(tree):
    r, a, b = tree["R"], tree["A"], tree["B"]
    direct = selectors.team_page(r, kind="direct", now=NOW)
    indirect = selectors.team_page(r, kind="indirect", now=NOW)
    assert [m.distributor_id for m in direct.items] == [a.pk]
    assert [m.distributor_id for m in indirect.items] == [b.pk]  # not C (third level), not P (pending)
    assert (direct.direct_count, direct.indirect_count, direct.total, indirect.total) == (1, 1, 1, 1)
    assert selectors.team_counts(r).team == 2


def test_names_and_phones_are_masked(tree):
    (row,) = selectors.team_page(tree["R"], kind="direct", now=NOW).items
    assert (row.name, row.phone, row.level_name) == ("李**", "138****5678", "普通分销商")
    assert row.joined_at == local(2026, 1, 5, 9, 0)
    (row,) = selectors.team_page(tree["R"], kind="indirect", now=NOW).items
    assert (row.name, row.phone, row.inviter_name) == ("王*", "139****0000", "李**")


def test_sorting_and_paging(level, sku):
    root = member(None, level)
    early = member(root, level, approved_at=local(2026, 1, 1, 9, 0))
    middle = member(root, level, approved_at=local(2026, 2, 1, 9, 0))
    late = member(root, level, approved_at=local(2026, 3, 1, 9, 0))
    sale(early, 9000, completed_at=IN_MARCH, sku=sku)
    sale(middle, 1000, completed_at=IN_MARCH, sku=sku)
    sale(middle, 1000, completed_at=IN_MARCH, sku=sku)
    sale(middle, 1000, completed_at=IN_MARCH, sku=sku)

    def ids(sort, **kw):
        return [m.distributor_id for m in selectors.team_page(root, sort=sort, now=NOW, **kw).items]

    assert ids("joined") == [late.pk, middle.pk, early.pk]
    assert ids("sales") == [early.pk, middle.pk, late.pk]
    assert ids("orders") == [middle.pk, early.pk, late.pk]
    second = selectors.team_page(root, sort="joined", page=2, page_size=2, now=NOW)
    assert ([m.distributor_id for m in second.items], second.has_next, second.num_pages) == ([early.pk], False, 2)
    assert selectors.team_page(root, page_size=2, now=NOW).has_next


def test_unknown_kind_or_sort_is_refused(tree):
    with pytest.raises(AnalyticsError) as exc:
        selectors.team_page(tree["R"], kind="third")
    assert exc.value.code == "invalid_kind"
    with pytest.raises(AnalyticsError) as exc:
        selectors.team_page(tree["R"], sort="age")
    assert exc.value.code == "invalid_sort"


def _grow(level, sku, n):
    root = member(None, level)
    directs = [member(root, level) for _ in range(max(1, n // 2))]
    for i in range(n - len(directs)):
        member(directs[i % len(directs)], level)
    for d in directs[:10]:
        sale(d, 1000, completed_at=IN_MARCH, sku=sku)
    return root


@pytest.mark.parametrize("sort", ["joined", "sales", "orders"])
def test_query_count_does_not_grow_with_the_team(level, sku, sort):
    counts = []
    for size in (5, 60):
        root = _grow(level, sku, size)
        with CaptureQueriesContext(connection) as ctx:
            for kind in ("direct", "indirect"):
                page = selectors.team_page(root, kind=kind, sort=sort, now=NOW)
                assert page.items
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == 4


def test_indirect_members_of_a_suspended_direct_member_still_count(tree, level):
    """As the distribution selectors count it: the indirect team is the approved invitees of the
    direct invitees, whatever the direct invitee's own status."""
    under_s = member(tree["S"], level, approved_at=NOW - timedelta(days=1))
    ids = [m.distributor_id for m in selectors.team_page(tree["R"], kind="indirect", now=NOW).items]
    assert ids == [under_s.pk, tree["B"].pk]
