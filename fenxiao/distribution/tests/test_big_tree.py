"""A 100,000-node tree: the selectors give the same answers as a plain Python walk of the tree, in a
number of queries that does not depend on the size of the tree or of a node's team."""

import random

import pytest
from django.db import transaction

from fenxiao.distribution import selectors
from fenxiao.distribution.models import Distributor, Level

from .bigtree import Tree, build_tree

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

SIZE = 100_000
PAGE = 20


@pytest.fixture(scope="module")
def tree(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end; each test
    runs in its own savepoint on top of it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            level = Level.objects.create(name="大树等级", rank=90, direct_rate_bp=1000, indirect_rate_bp=500)
            yield build_tree(SIZE, level=level)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def sample_nodes(tree: Tree) -> dict[str, int]:
    rng = random.Random(7)
    approved = [i for i in tree.ids if tree.status[i] == Distributor.Status.APPROVED]
    with_grandchildren = [i for i in approved if any(tree.children[c] for c in tree.children[i])]
    leaves = [i for i in approved if not tree.children[i]]
    return {
        "biggest hub": max(tree.hubs, key=lambda i: len(tree.children[i])),
        "root": tree.ids[0],
        "deepest": max(tree.ids, key=lambda i: (tree.path[i].count("/"), i)),
        "mid-tree": rng.choice([i for i in with_grandchildren if tree.inviter[i] is not None and i not in tree.hubs]),
        "leaf": rng.choice(leaves),
        "pending": next(i for i in tree.ids if tree.status[i] == Distributor.Status.PENDING),
    }


def test_tree_was_built_as_described(tree):
    assert Distributor.objects.count() >= SIZE
    sample = Distributor.objects.filter(pk__in=tree.ids[:: SIZE // 50])
    for d in sample:
        assert d.inviter_id == tree.inviter[d.pk]
        assert d.path == tree.path[d.pk]
        assert d.depth == tree.depth(d.pk)
        assert d.ancestor_ids() == list(reversed(tree.upline(d.pk)))
    hub = max(tree.hubs, key=lambda i: len(tree.children[i]))
    assert len(tree.children[hub]) > 100  # the shape has big teams to page through
    assert max(tree.depth(i) for i in tree.ids[-1000:]) >= 8


def test_selectors_match_python_walk(tree):
    for name, node_id in sample_nodes(tree).items():
        node = Distributor.objects.get(pk=node_id)
        direct = list(selectors.direct_downline(node).values_list("pk", flat=True))
        indirect = list(selectors.indirect_downline(node).values_list("pk", flat=True))
        assert direct == tree.direct(node_id), name
        assert indirect == tree.indirect(node_id), name
        counts = selectors.downline_counts(node)
        assert (counts.direct, counts.indirect) == (len(tree.direct(node_id)), len(tree.indirect(node_id))), name
        assert [u.pk for u in selectors.upline_chain(node)] == tree.upline(node_id), name


def test_selector_query_counts_do_not_depend_on_team_size(tree, django_assert_max_num_queries):
    for name, node_id in sample_nodes(tree).items():
        node = Distributor.objects.get(pk=node_id)
        with django_assert_max_num_queries(1):
            page = [(m.pk, m.user.masked_phone, m.level.name) for m in selectors.direct_downline(node)[:PAGE]]
        assert [row[0] for row in page] == tree.direct(node_id)[:PAGE], name
        with django_assert_max_num_queries(1):
            page = [(m.pk, m.user.masked_phone, m.inviter.code) for m in selectors.indirect_downline(node)[:PAGE]]
        assert [row[0] for row in page] == tree.indirect(node_id)[:PAGE], name
        with django_assert_max_num_queries(2):
            selectors.downline_counts(node)
        with django_assert_max_num_queries(1):
            chain = [(u.pk, u.user.nickname, u.level.name) for u in selectors.upline_chain(node)]
        assert [row[0] for row in chain] == tree.upline(node_id), name


def test_second_page_continues_the_first(tree):
    hub_id = max(tree.hubs, key=lambda i: len(tree.children[i]))
    hub = Distributor.objects.get(pk=hub_id)
    qs = selectors.direct_downline(hub)
    first = list(qs[:PAGE].values_list("pk", flat=True))
    second = list(qs[PAGE : 2 * PAGE].values_list("pk", flat=True))
    assert first + second == tree.direct(hub_id)[: 2 * PAGE]
    assert not set(first) & set(second)
