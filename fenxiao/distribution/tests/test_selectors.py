"""Reads of the network: upline chain, who earns commission, downline lists and counts."""

import pytest

from fenxiao.distribution import selectors
from fenxiao.distribution.models import Binding, Distributor
from fenxiao.distribution.selectors import network
from fenxiao.distribution.services import suspend_distributor, update_settings
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Distributor.Status


@pytest.fixture
def chain(level):
    """root → a → b → c → d, each inviting the next."""
    root = DistributorFactory(level=level)
    a = DistributorFactory(level=level, inviter=root)
    b = DistributorFactory(level=level, inviter=a)
    c = DistributorFactory(level=level, inviter=b)
    d = DistributorFactory(level=level, inviter=c)
    return root, a, b, c, d


def ids(items):
    return [x.pk if x is not None else None for x in items]


def test_upline_chain_nearest_first(chain):
    root, a, b, c, d = chain
    assert ids(selectors.upline_chain(d)) == [c.pk, b.pk, a.pk, root.pk]
    assert ids(selectors.upline_chain(a)) == [root.pk]
    assert selectors.upline_chain(root) == []


def test_upline_chain_is_one_query(chain, django_assert_num_queries):
    d = chain[-1]
    with django_assert_num_queries(1):
        upline = selectors.upline_chain(d)
        names = [u.user.nickname + u.level.name for u in upline]
    assert len(names) == 4


def test_commission_earners_two_levels(chain):
    _, _, b, c, d = chain
    update_settings(commission_levels=2)
    assert ids(selectors.commission_earners(d)) == [d.pk, c.pk]
    assert ids(selectors.commission_earners(c)) == [c.pk, b.pk]


def test_commission_earners_one_level(chain):
    d = chain[-1]
    update_settings(commission_levels=1)
    assert ids(selectors.commission_earners(d)) == [d.pk]


def test_commission_earners_without_settings_row_default_to_two(chain):
    d, c = chain[-1], chain[-2]
    assert ids(selectors.commission_earners(d)) == [d.pk, c.pk]


def test_commission_earners_root_has_no_indirect(chain):
    root = chain[0]
    assert ids(selectors.commission_earners(root)) == [root.pk]


def test_commission_earners_never_three(chain, monkeypatch):
    """Even if a settings row claimed three levels, at most two distributors earn."""
    _, _, _, c, d = chain

    class ThreeLevels:
        commission_levels = 3

    class FakeQuery:
        def filter(self, **kwargs):
            return self

        def only(self, *fields):
            return self

        def first(self):
            return ThreeLevels()

    class FakeSettings:
        objects = FakeQuery()

    monkeypatch.setattr(network, "DistributionSettings", FakeSettings)
    earners = selectors.commission_earners(d)
    assert ids(earners) == [d.pk, c.pk]


def test_commission_earner_not_approved_is_none_and_not_skipped(chain, operator):
    _, _, b, c, d = chain
    suspend_distributor(distributor_id=c.pk, actor=operator, reason="违规")
    d.refresh_from_db()
    # the indirect position stays with the inviter; it does not move up to b
    assert ids(selectors.commission_earners(d)) == [d.pk, None]
    assert b.pk not in ids(selectors.commission_earners(d))


def test_direct_and_indirect_downline_exclude_pending(level):
    root = DistributorFactory(level=level)
    kid1 = DistributorFactory(level=level, inviter=root)
    kid2 = DistributorFactory(level=level, inviter=root)
    pending_kid = DistributorFactory(level=level, inviter=root, status=S.PENDING, approved_at=None)
    rejected_kid = DistributorFactory(level=level, inviter=root, status=S.REJECTED, approved_at=None)
    grand1 = DistributorFactory(level=level, inviter=kid1)
    grand2 = DistributorFactory(level=level, inviter=kid2)
    pending_grand = DistributorFactory(level=level, inviter=kid2, status=S.PENDING, approved_at=None)
    great = DistributorFactory(level=level, inviter=grand1)  # third level down: in neither list

    assert set(ids(selectors.direct_downline(root))) == {kid1.pk, kid2.pk}
    assert set(ids(selectors.indirect_downline(root))) == {grand1.pk, grand2.pk}
    assert set(ids(selectors.direct_downline(root, approved_only=False))) == {
        kid1.pk,
        kid2.pk,
        pending_kid.pk,
        rejected_kid.pk,
    }
    assert set(ids(selectors.indirect_downline(root, approved_only=False))) == {grand1.pk, grand2.pk, pending_grand.pk}
    assert great.pk not in ids(selectors.indirect_downline(root))
    assert ids(selectors.direct_downline(grand1)) == [great.pk]


def test_downline_newest_first(level):
    from datetime import timedelta

    from django.utils import timezone

    root = DistributorFactory(level=level)
    t = timezone.now()
    old = DistributorFactory(level=level, inviter=root, approved_at=t - timedelta(days=2))
    new = DistributorFactory(level=level, inviter=root, approved_at=t)
    mid = DistributorFactory(level=level, inviter=root, approved_at=t - timedelta(days=1))
    assert ids(selectors.direct_downline(root)) == [new.pk, mid.pk, old.pk]


def test_downline_counts(level):
    root = DistributorFactory(level=level)
    kids = [DistributorFactory(level=level, inviter=root) for _ in range(3)]
    DistributorFactory(level=level, inviter=root, status=S.PENDING, approved_at=None)
    for kid in kids[:2]:
        DistributorFactory(level=level, inviter=kid)
        DistributorFactory(level=level, inviter=kid)
    DistributorFactory(level=level, inviter=kids[0], status=S.AWAITING_PURCHASE, approved_at=None)
    counts = selectors.downline_counts(root)
    assert (counts.direct, counts.indirect, counts.team) == (3, 4, 7)
    leaf = selectors.downline_counts(kids[2])
    assert (leaf.direct, leaf.indirect, leaf.team) == (0, 0, 0)


def test_downline_queries_do_not_grow(level, django_assert_num_queries):
    root = DistributorFactory(level=level)
    for _ in range(3):
        kid = DistributorFactory(level=level, inviter=root)
        for _ in range(3):
            DistributorFactory(level=level, inviter=kid)
    with django_assert_num_queries(1):
        rows = [(m.user.phone, m.level.name) for m in selectors.direct_downline(root)]
    assert len(rows) == 3
    with django_assert_num_queries(1):
        rows = [(m.user.phone, m.inviter.user.phone) for m in selectors.indirect_downline(root)]
    assert len(rows) == 9
    with django_assert_num_queries(2):
        selectors.downline_counts(root)


def test_pending_applications_and_bound_customers(level):
    root = DistributorFactory(level=level)
    waiting = DistributorFactory(level=level, inviter=root, status=S.PENDING, approved_at=None)
    awaiting = DistributorFactory(level=level, status=S.AWAITING_PURCHASE, approved_at=None)
    DistributorFactory(level=level, status=S.REJECTED, approved_at=None)
    assert set(ids(selectors.pending_applications())) == {waiting.pk, awaiting.pk}
    for _ in range(2):
        Binding.objects.create(customer=UserFactory(), distributor=root, bound_at=root.approved_at)
    assert selectors.bound_customer_count(root) == 2


def test_distributor_for_user(level):
    from django.contrib.auth.models import AnonymousUser

    d = DistributorFactory(level=level)
    assert selectors.distributor_for_user(d.user).pk == d.pk
    assert selectors.distributor_for_user(UserFactory()) is None
    assert selectors.distributor_for_user(AnonymousUser()) is None
