"""Every distributor's figures: what counts for each condition kind, all-of versus any-of, and a
query count that does not grow with the number of distributors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.distribution.models import Distributor
from fenxiao.growth.selectors import Window, figures_for, qualifies, upgrade_target
from fenxiao.growth.services import month_period

from .conftest import EARLY, MARCH, K, local, member, rule, sale

pytestmark = pytest.mark.django_db


def feb() -> Window:
    return month_period("2026-02", now=MARCH)[1]


def test_direct_invites_count_only_approved_invitees_approved_in_time(tree, regular):
    p = tree["P"]
    member(regular, inviter=p, status=Distributor.Status.PENDING, approved_at=None)
    member(regular, inviter=p, approved_at=local(2026, 3, 1, 0, 0))  # after February
    figures = figures_for([p.pk, tree["A"].pk], window=feb())
    assert figures.of(p.pk)[K.DIRECT_INVITES] == 1  # A; S is suspended
    assert figures.of(tree["A"].pk)[K.DIRECT_INVITES] == 1  # B


def test_team_size_is_two_levels_of_approved_members(tree):
    figures = figures_for(None, window=feb())
    assert figures.of(tree["P"].pk)[K.TEAM_SIZE] == 2  # A and B; C is three levels down, S suspended
    assert figures.of(tree["A"].pk)[K.TEAM_SIZE] == 2  # B and C
    assert figures.of(tree["C"].pk)[K.TEAM_SIZE] == 0


def test_personal_sales_month_and_rolling_30_days_are_net_completed_sales(tree, sku):
    a = tree["A"]
    sale(a, 12000, refunded_fen=2000, sku=sku)  # 10000 net, shipping left out
    sale(a, 3000, completed_at=local(2026, 1, 31, 23, 59, 59), sku=sku)  # January: rolling only
    sale(a, 700, completed_at=local(2026, 1, 20, 0, 0), sku=sku)  # more than 30 days before March 1st
    sale(a, 3100, completed_at=local(2026, 3, 1, 0, 0), sku=sku)  # March: neither
    sale(a, 5000, status="received", sku=sku)  # not completed
    figures = figures_for([a.pk], window=feb()).of(a.pk)
    assert figures[K.PERSONAL_SALES_MONTH] == 10000
    assert figures[K.PERSONAL_SALES_30D] == 13000


def test_team_sales_month_counts_two_levels_of_approved_members(tree, sku):
    p, a, b, c, s = (tree[k] for k in "PABCS")
    sale(a, 10000, sku=sku)
    sale(b, 5000, sku=sku)
    sale(c, 7000, sku=sku)  # not P's team
    sale(p, 9000, sku=sku)  # P's own sales are personal, not team
    sale(s, 4000, sku=sku)  # suspended member
    sale(a, 2000, completed_at=local(2026, 3, 1, 0, 0), sku=sku)  # March
    figures = figures_for([p.pk, a.pk], window=feb())
    assert figures.of(p.pk)[K.TEAM_SALES_MONTH] == 15000
    assert figures.of(a.pk)[K.TEAM_SALES_MONTH] == 12000
    assert figures.of(p.pk)[K.PERSONAL_SALES_MONTH] == 9000


def test_first_purchase_is_the_distributors_own_first_paid_order(tree, sku):
    a = tree["A"]
    sale(tree["P"], 20000, buyer=a.user, paid_at=local(2026, 2, 3, 10, 0), sku=sku)  # paid 20000 + 1000 shipping
    sale(tree["P"], 50000, buyer=a.user, paid_at=local(2026, 2, 9, 10, 0), sku=sku)
    figures = figures_for([a.pk, tree["B"].pk], window=feb())
    assert figures.of(a.pk)[K.FIRST_PURCHASE_FEN] == 21000
    assert figures.of(tree["B"].pk)[K.FIRST_PURCHASE_FEN] == 0


def test_all_of_against_any_of(senior):
    conditions = [(K.DIRECT_INVITES, 10), (K.PERSONAL_SALES_MONTH, 500_000)]
    both = rule(senior, conditions, combine="all")
    half = {K.DIRECT_INVITES: 10, K.PERSONAL_SALES_MONTH: 320_000}
    assert not qualifies(both, half)
    assert qualifies(both, {K.DIRECT_INVITES: 10, K.PERSONAL_SALES_MONTH: 500_000})
    either = rule(senior, conditions, combine="any")
    assert qualifies(either, half)
    assert not qualifies(either, {K.DIRECT_INVITES: 9})
    disabled = rule(senior, conditions, combine="any", is_enabled=False)
    assert not qualifies(disabled, half)


@pytest.mark.parametrize(
    "kind, threshold, figure",
    [
        (K.DIRECT_INVITES, 3, 3),
        (K.PERSONAL_SALES_MONTH, 500_000, 500_000),
        (K.PERSONAL_SALES_30D, 100, 100),
        (K.TEAM_SIZE, 50, 50),
        (K.TEAM_SALES_MONTH, 10_000_000, 10_000_000),
        (K.FIRST_PURCHASE_FEN, 9900, 9900),
    ],
)
def test_each_kind_is_met_at_its_threshold(senior, kind, threshold, figure):
    r = rule(senior, [(kind, threshold)])
    assert qualifies(r, {kind: figure})
    assert not qualifies(r, {kind: figure - 1})


def test_upgrade_target_is_the_highest_level_met(senior, partner):
    from fenxiao.growth.selectors import load_rules

    rule(senior, [(K.DIRECT_INVITES, 1)])
    rule(partner, [(K.DIRECT_INVITES, 2)])
    rules = load_rules()
    assert upgrade_target(1, rules, {K.DIRECT_INVITES: 5}).level_id == partner.pk
    assert upgrade_target(1, rules, {K.DIRECT_INVITES: 1}).level_id == senior.pk
    assert upgrade_target(3, rules, {K.DIRECT_INVITES: 5}) is None


def _queries(ids) -> int:
    with CaptureQueriesContext(connection) as captured:
        figures_for(ids, window=feb())
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_distributors(regular, sku):
    root = member(regular)
    small = [root.pk, member(regular, inviter=root).pk]
    sale(root, 1000, sku=sku)
    for _ in range(10):
        d = member(regular, inviter=root, approved_at=EARLY)
        member(regular, inviter=d)
        sale(d, 2000, sku=sku)
    many = list(Distributor.objects.values_list("pk", flat=True))
    assert _queries(small) == _queries(many) == _queries(None) == 6
