"""The lazy team tree: a distributor expands its own invitees and their invitees, and nothing else;
the operator's chain has the whole upline and any level of the downline."""

import pytest

from fenxiao.analytics import selectors
from fenxiao.analytics.errors import AnalyticsError
from fenxiao.distribution.models import Distributor
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(level):
    """X → R → A → B → C, R → A2; and an unrelated O → Q."""
    x = DistributorFactory(level=level, code="XROOT1")
    r = DistributorFactory(level=level, inviter=x)
    a = DistributorFactory(level=level, inviter=r, user=UserFactory(nickname="欧阳娜娜", phone="13700001111"))
    a2 = DistributorFactory(level=level, inviter=r)
    b = DistributorFactory(level=level, inviter=a)
    c = DistributorFactory(level=level, inviter=b)
    pending = DistributorFactory(level=level, inviter=a, status=Distributor.Status.PENDING)
    o = DistributorFactory(level=level)
    q = DistributorFactory(level=level, inviter=o)
    return {"X": x, "R": r, "A": a, "A2": a2, "B": b, "C": c, "pending": pending, "O": o, "Q": q}


def test_root_lists_direct_invitees_and_expanding_one_lists_its_approved_invitees(net):
    r, a, b = net["R"], net["A"], net["B"]
    roots = selectors.tree_children(r)
    assert {n.distributor_id for n in roots} == {a.pk, net["A2"].pk}
    node = next(n for n in roots if n.distributor_id == a.pk)
    assert (node.depth, node.child_count, node.expandable, node.name, node.phone) == (1, 1, True, "欧***", "137****1111")
    assert not next(n for n in roots if n.distributor_id == net["A2"].pk).expandable
    (child,) = selectors.tree_children(r, a.pk)
    assert (child.distributor_id, child.depth, child.expandable, child.child_count) == (b.pk, 2, False, 0)
    assert selectors.tree_children(r, r.pk) == roots


@pytest.mark.parametrize("target", ["B", "C", "X", "O", "Q"])
def test_cannot_expand_outside_the_own_two_levels(net, target):
    with pytest.raises(AnalyticsError) as exc:
        selectors.tree_children(net["R"], net[target].pk)
    assert (exc.value.code, exc.value.status) == ("not_in_team", 404)


def test_chain_has_the_upline_nearest_first_counts_and_children(net):
    a = net["A"]
    chain = selectors.chain(a.pk)
    assert [n.distributor_id for n in chain.upline] == [net["R"].pk, net["X"].pk]
    assert [n.depth for n in chain.upline] == [1, 0]
    assert (chain.direct_count, chain.indirect_count) == (1, 1)  # B; C — the pending invitee is not team
    assert {n.distributor_id for n in chain.children} == {net["B"].pk, net["pending"].pk}  # staff see every status
    assert chain.distributor.name == "欧阳娜娜"
    # no depth limit for staff: the third level below R is one more request away
    assert [n.distributor_id for n in selectors.staff_children(net["B"].pk)] == [net["C"].pk]


def test_chain_of_an_unknown_distributor(net):
    with pytest.raises(AnalyticsError) as exc:
        selectors.chain(10**9)
    assert (exc.value.code, exc.value.status) == ("distributor_not_found", 404)


def test_find_by_code_or_phone(net):
    assert selectors.find_distributor("xroot1") == net["X"]
    assert selectors.find_distributor("+86 137-0000-1111") == net["A"]
    assert selectors.find_distributor("nobody") is None
    assert selectors.find_distributor("  ") is None
