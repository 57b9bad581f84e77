""" "分享赚 ¥x.xx" on product cards and product pages: shown to a signed-in approved distributor only,
always the commission the accrual would record for it on one unit sold through its link (level rates,
product and category overrides, fixed amounts, the margin ceiling shared with its inviter), and
worked out for a whole grid in a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fenxiao.catalog.models import CommissionOverride
from fenxiao.commissions.models import Commission, CommissionSettings
from fenxiao.distribution.models import Distributor
from fenxiao.shop.selectors import shop_products
from fenxiao.web.templatetags.share_tags import share_earnings_for
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    OrderFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

EARN = re.compile(r"分享赚 (¥[\d,.]+(?: – ¥[\d,.]+)?)")


@pytest.fixture
def beauty():
    return CategoryFactory(name="美妆", slug="beauty")


@pytest.fixture
def serum(beauty):
    product = ProductFactory(name="玻尿酸精华", category=beauty)
    SkuFactory(product=product, retail_fen=15000, cost_fen=5000)
    return product


@pytest.fixture
def seller():
    return DistributorFactory(level=LevelFactory(rank=1, name="普通", direct_rate_bp=1500, indirect_rate_bp=550))


def shown(client, product) -> list[str]:
    return EARN.findall(client.get(reverse("web:product", args=[product.pk])).content.decode())


def accrued_for(distributor, product) -> int:
    """Sells one unit of the product's first SKU through the distributor's link, for real (order placed,
    paid with the dev provider, commissions accrued), and answers the distributor's commission."""
    sku = product.skus.order_by("retail_fen", "pk").first()
    order = OrderFactory(paid=True, distributor=distributor, items=[(sku, 1)], user=UserFactory())
    return Commission.objects.get(order=order, distributor=distributor, depth=1).amount_fen


def fen(amount: int) -> str:
    return f"¥{amount // 100}.{amount % 100:02d}"


def test_the_level_rate_on_one_unit_as_the_accrual_records_it(client, seller, serum):
    client.force_login(seller.user)
    assert shown(client, serum) == ["¥22.50"]  # 15% of ¥150.00
    assert accrued_for(seller, serum) == 2250


def test_product_override_wins_over_category_override_and_fixed_amounts_count(client, seller, beauty, serum):
    mask = ProductFactory(name="面膜", category=beauty)
    SkuFactory(product=mask, retail_fen=9900, cost_fen=3000)
    CommissionOverride.objects.create(category=beauty, depth=1, mode=CommissionOverride.Mode.FIXED, fixed_fen=800)
    CommissionOverride.objects.create(product=serum, depth=1, mode=CommissionOverride.Mode.RATE, rate_bp=2000)
    client.force_login(seller.user)
    assert shown(client, serum) == [fen(accrued_for(seller, serum))] == ["¥30.00"]
    assert shown(client, mask) == [fen(accrued_for(seller, mask))] == ["¥8.00"]


def test_the_margin_ceiling_shared_with_the_inviter_lowers_the_figure(client, serum):
    inviter = DistributorFactory(level=LevelFactory(rank=2, name="合伙人", direct_rate_bp=2000, indirect_rate_bp=1000))
    seller = DistributorFactory(inviter=inviter, level=LevelFactory(rank=1, direct_rate_bp=1500, indirect_rate_bp=550))
    CommissionSettings.objects.create(pk=1, ceiling_bp=3000)
    # 15% + the inviter's 10% of ¥150 = ¥37.50 > 30% of the ¥100 margin: scaled to ¥30, ¥18 of it direct.
    client.force_login(seller.user)
    assert shown(client, serum) == ["¥18.00"]
    assert accrued_for(seller, serum) == 1800


def test_a_higher_level_earns_more_on_the_same_product(client, serum):
    senior = DistributorFactory(level=LevelFactory(rank=3, name="高级", direct_rate_bp=2500, indirect_rate_bp=800))
    client.force_login(senior.user)
    assert shown(client, serum) == ["¥37.50"]
    assert accrued_for(senior, serum) == 3750


def test_several_prices_show_the_range(client, seller, beauty):
    duo = ProductFactory(name="精华两支装", category=beauty)
    SkuFactory(product=duo, spec="单支", retail_fen=15000, cost_fen=5000)
    SkuFactory(product=duo, spec="两支", retail_fen=28000, cost_fen=10000)
    client.force_login(seller.user)
    assert shown(client, duo) == ["¥22.50 – ¥42.00"]
    html = client.get(reverse("web:home")).content.decode()
    assert "分享赚 ¥22.50 – ¥42.00" in html


def test_cards_on_the_home_page_and_a_shared_shop_show_it(client, seller, serum):
    client.force_login(seller.user)
    assert "分享赚 ¥22.50" in client.get(reverse("web:home")).content.decode()
    other = DistributorFactory()
    assert "分享赚 ¥22.50" in client.get(reverse("web:share_shop", args=[other.code])).content.decode()


@pytest.mark.parametrize("who", ["anonymous", "buyer", "applicant", "suspended"])
def test_only_an_approved_distributor_sees_it(client, serum, who):
    if who == "buyer":
        client.force_login(UserFactory())
    elif who == "applicant":
        client.force_login(DistributorFactory(status=Distributor.Status.PENDING).user)
    elif who == "suspended":
        client.force_login(DistributorFactory(status=Distributor.Status.SUSPENDED).user)
    assert shown(client, serum) == []
    assert "分享赚 ¥" not in client.get(reverse("web:home")).content.decode()


def test_nothing_to_earn_shows_nothing(client, seller, beauty):
    at_cost = ProductFactory(name="成本价商品", category=beauty)
    SkuFactory(product=at_cost, retail_fen=5000, cost_fen=5000)  # no margin: the ceiling makes it 0
    client.force_login(seller.user)
    assert shown(client, at_cost) == []


def _make_products(count: int) -> None:
    for n in range(count):
        category = CategoryFactory(slug=f"grid-{n % 3}")
        product = ProductFactory(name=f"网格商品{n}", category=category)
        SkuFactory(product=product, retail_fen=10000 + n * 100, cost_fen=4000)
        SkuFactory(product=product, retail_fen=20000 + n * 100, cost_fen=8000)
        if n % 2:
            CommissionOverride.objects.create(product=product, depth=1, mode=CommissionOverride.Mode.RATE, rate_bp=1800)
    for slug in ("grid-0", "grid-1"):
        CommissionOverride.objects.get_or_create(
            category=CategoryFactory(slug=slug), depth=1, defaults={"mode": CommissionOverride.Mode.FIXED, "fixed_fen": 500}
        )


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_the_grid_is_worked_out_in_a_fixed_number_of_queries(seller):
    inviter = DistributorFactory()
    seller.inviter = inviter
    seller.depth = 1
    seller.path = f"{inviter.path}{seller.pk}/"
    seller.save(update_fields=["inviter", "depth", "path"])
    _make_products(3)
    few = shop_products()
    few_queries = _queries(lambda: share_earnings_for(seller, few))
    _make_products(12)
    many = shop_products()
    assert len(many) == 15
    many_queries = _queries(lambda: share_earnings_for(seller, many))
    assert many_queries == few_queries
    assert len(share_earnings_for(seller, many)) == 15


def test_the_home_page_costs_the_same_queries_for_more_products(client, seller):
    client.force_login(seller.user)
    _make_products(3)
    client.get(reverse("web:home"))  # warm the session and the caches of settings
    few = _queries(lambda: client.get(reverse("web:home")))
    _make_products(12)
    html = client.get(reverse("web:home")).content.decode()
    assert html.count("分享赚 ¥") == 15
    assert _queries(lambda: client.get(reverse("web:home"))) == few
