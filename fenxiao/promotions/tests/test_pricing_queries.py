"""Pricing a cart costs a fixed number of queries: the same for 1, 10 and 50 lines, and the same with
one promotion of each kind as with twenty running."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.orders import services
from tests.factories import CategoryFactory, ProductFactory, SkuFactory

from .conftest import give, make_coupon, make_reduction, make_tier, make_timed

pytestmark = pytest.mark.django_db


def _cart(n: int, categories) -> list:
    return [SkuFactory(product=ProductFactory(category=categories[i % len(categories)]), stock=10) for i in range(n)]


def _promotions(buyer, skus, categories, each: int) -> None:
    for i in range(each):
        make_reduction(
            [{"threshold": 1000, "amount_off_fen": 100}], categories=[categories[i % len(categories)]], name=f"满减{i}"
        )
        make_timed([(skus[i % len(skus)], {"mode": "percent", "percent_off_bp": 500})], name=f"限时{i}")
        make_tier(skus[(i + 1) % len(skus)], 2 + i, 300)
        give(buyer, make_coupon(name=f"券{i}", categories=[categories[i % len(categories)]], scope="categories"))


def _count(buyer, skus) -> int:
    with CaptureQueriesContext(connection) as ctx:
        services.quote_items(user=buyer, items=[(s.pk, 2) for s in skus])
    return len(ctx.captured_queries)


@pytest.mark.parametrize("each", [1, 5])  # one of each of the four kinds, or twenty promotions
def test_queries_do_not_grow_with_lines_or_promotions(buyer, each):
    categories = [CategoryFactory() for _ in range(5)]
    skus = _cart(50, categories)
    _promotions(buyer, skus, categories, each)
    counts = {n: _count(buyer, skus[:n]) for n in (1, 10, 50)}
    assert counts[1] == counts[10] == counts[50], counts
    # SKUs 1 + timed 1 + tiers 1 + 满减 with tiers, categories, products 4 + wallet with scopes 3
    # + membership (tier 2, settings 1, spendable points 1) + early access to campaigns 1 + shipping 2
    assert counts[1] <= 17, counts


def test_one_promotion_and_twenty_cost_the_same(db):
    from tests.factories import UserFactory

    one, twenty = UserFactory(), UserFactory()
    categories = [CategoryFactory() for _ in range(5)]
    skus = _cart(10, categories)
    _promotions(one, skus, categories, 1)
    base = _count(one, skus)
    _promotions(twenty, skus[::-1], categories, 5)
    assert _count(twenty, skus) == base
