"""Commissions of real orders: earners from the distributor snapshot, settings, overrides, queries."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from fenxiao.catalog.models import CommissionOverride
from fenxiao.commissions.calculator import (
    BLOCKED_SELF_PURCHASE,
    SOURCE_CATEGORY,
    SOURCE_LEVEL,
    SOURCE_PRODUCT,
    blocked_reason_message,
    compute_order,
)
from fenxiao.distribution.models import Distributor
from fenxiao.orders.models import Order, OrderLine
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


def fresh(order):
    return Order.objects.get(pk=order.pk)


def test_seed_table_on_real_orders(level, distributor, upline, bound_buyer, beauty):
    food = SkuFactory(
        product=ProductFactory(category=CategoryFactory(slug="food")),
        retail_fen=5000,
        suggested_retail_fen=5000,
        control_fen=4500,
        cost_fen=2000,
    )
    appliance = SkuFactory(
        product=ProductFactory(category=CategoryFactory(slug="appliance")),
        retail_fen=150000,
        suggested_retail_fen=150000,
        control_fen=140000,
        cost_fen=100000,
    )
    CommissionOverride.objects.create(category_id=food.product.category_id, depth=1, mode="rate", rate_bp=1600)
    CommissionOverride.objects.create(category_id=appliance.product.category_id, depth=1, mode="rate", rate_bp=1000)

    order = OrderFactory(user=bound_buyer, items=[(beauty, 1), (food, 1), (appliance, 1)])
    by_sku = {line.sku_id: line.pk for line in order.lines.all()}
    results = {r.line_id: r for r in compute_order(fresh(order))}

    assert results[by_sku[beauty.pk]].amount_for_depth(1) == 3000
    assert results[by_sku[food.pk]].amount_for_depth(1) == 800
    assert results[by_sku[appliance.pk]].amount_for_depth(1) == 15000
    assert results[by_sku[beauty.pk]].for_depth(1).source == SOURCE_LEVEL
    assert results[by_sku[food.pk]].for_depth(1).source == SOURCE_CATEGORY
    # the indirect earner: the inviter, at its level's indirect rate of 5%
    assert [results[by_sku[s.pk]].amount_for_depth(2) for s in (beauty, food, appliance)] == [750, 250, 7500]
    for result in results.values():
        assert result.for_depth(1).distributor_id == distributor.pk
        assert result.for_depth(2).distributor_id == upline.pk
        assert not result.capped


def test_quantity_and_fixed_overrides(distributor, bound_buyer, beauty):
    CommissionOverride.objects.create(product_id=beauty.product_id, depth=1, mode="fixed", fixed_fen=1200)
    CommissionOverride.objects.create(category_id=beauty.product.category_id, depth=1, mode="rate", rate_bp=100)
    CommissionOverride.objects.create(category_id=beauty.product.category_id, depth=2, mode="rate", rate_bp=100)
    [result] = compute_order(fresh(OrderFactory(user=bound_buyer, items=[(beauty, 3)])))
    assert (result.for_depth(1).source, result.amount_for_depth(1)) == (SOURCE_PRODUCT, 3600)
    assert (result.for_depth(2).source, result.amount_for_depth(2)) == (SOURCE_CATEGORY, 450)


def test_each_earner_uses_its_own_level(level, bound_buyer, beauty, distributor, upline):
    upline.level = LevelFactory(rank=2, name="高级", direct_rate_bp=3000, indirect_rate_bp=1000)
    upline.save(update_fields=["level"])
    [result] = compute_order(fresh(OrderFactory(user=bound_buyer, items=[(beauty, 1)])))
    assert result.amount_for_depth(1) == 3000
    assert result.amount_for_depth(2) == 1500


def test_one_commission_level_drops_the_indirect(conf, distributor, bound_buyer, beauty):
    conf.commission_levels = 1
    conf.save()
    [result] = compute_order(fresh(OrderFactory(user=bound_buyer, items=[(beauty, 1)])))
    assert [e.depth for e in result.earners] == [1]
    assert result.total_fen == 3000


def test_never_more_than_two_earners_in_a_deep_tree(level, beauty):
    node = DistributorFactory(level=level)
    for _ in range(5):
        node = DistributorFactory(level=level, inviter=node)
    buyer = UserFactory()
    from fenxiao.distribution.services import bind_customer

    bind_customer(customer=buyer, distributor=node)
    [result] = compute_order(fresh(OrderFactory(user=buyer, items=[(beauty, 1)])))
    assert [e.distributor_id for e in result.earners] == [node.pk, node.inviter_id]


@pytest.mark.parametrize(("pays", "direct_fen"), [(True, 3000), (False, 0)])
def test_self_purchase_setting(conf, distributor, upline, beauty, pays, direct_fen):
    conf.self_purchase_commission = pays
    conf.save()
    order = OrderFactory(user=distributor.user, items=[(beauty, 1)])
    assert order.is_self_purchase
    [result] = compute_order(fresh(order))
    assert result.amount_for_depth(1) == direct_fen
    assert result.amount_for_depth(2) == 750  # the indirect applies either way
    assert result.for_depth(1).distributor_id == distributor.pk
    if not pays:
        assert result.for_depth(1).blocked_reason == BLOCKED_SELF_PURCHASE
        assert blocked_reason_message(BLOCKED_SELF_PURCHASE)


def test_self_purchase_off_does_not_touch_ordinary_orders(conf, bound_buyer, beauty):
    conf.self_purchase_commission = False
    conf.save()
    [result] = compute_order(fresh(OrderFactory(user=bound_buyer, items=[(beauty, 1)])))
    assert result.amount_for_depth(1) == 3000


def test_unapproved_inviter_earns_nothing_and_nobody_moves_up(level, beauty):
    top = DistributorFactory(level=level)
    middle = DistributorFactory(level=level, inviter=top)
    seller = DistributorFactory(level=level, inviter=middle)
    buyer = UserFactory()
    from fenxiao.distribution.services import bind_customer

    bind_customer(customer=buyer, distributor=seller)
    order = OrderFactory(user=buyer, items=[(beauty, 1)])
    Distributor.objects.filter(pk=middle.pk).update(status=Distributor.Status.SUSPENDED)

    [result] = compute_order(fresh(order))
    assert [e.distributor_id for e in result.earners] == [seller.pk]
    assert result.total_fen == 3000


def test_unapproved_snapshot_distributor_earns_nothing_but_its_inviter_does(distributor, upline, bound_buyer, beauty):
    order = OrderFactory(user=bound_buyer, items=[(beauty, 1)])
    Distributor.objects.filter(pk=distributor.pk).update(status=Distributor.Status.SUSPENDED)
    [result] = compute_order(fresh(order))
    assert [e.distributor_id for e in result.earners] == [upline.pk]
    assert result.for_depth(2).amount_fen == 750


def test_order_without_distributor_earns_nothing(db, beauty):
    order = OrderFactory(user=UserFactory(), items=[(beauty, 2)])
    assert order.distributor_id is None
    results = compute_order(fresh(order))
    assert len(results) == 1
    assert results[0].earners == ()
    assert results[0].total_fen == 0


def test_discount_lowers_the_base(bound_buyer, beauty):
    order = OrderFactory(user=bound_buyer, items=[(beauty, 2)])
    OrderLine.objects.filter(order=order).update(discount_fen=6000, paid_fen=F("line_total_fen") - 6000)
    [result] = compute_order(fresh(order))
    assert result.base_fen == 24000  # 2 × ¥150 list, ¥60 off
    assert result.amount_for_depth(1) == 4800
    assert result.amount_for_depth(2) == 1200


def test_ceiling_from_settings_scales_down(settings, bound_buyer, beauty):
    settings.FENXIAO_COMMISSION_CEILING_BP = 3000  # 30% of the ¥100 margin = ¥30
    [result] = compute_order(fresh(OrderFactory(user=bound_buyer, items=[(beauty, 1)])))
    assert result.capped
    assert result.cap_fen == 3000
    assert result.uncapped_total_fen == 3750
    assert [e.amount_fen for e in result.earners] == [2400, 600]
    assert result.total_fen == 3000
    assert "¥30.00" in result.explanation


def test_default_ceiling_is_half_the_margin(settings, bound_buyer):
    del settings.FENXIAO_COMMISSION_CEILING_BP
    thin = SkuFactory(retail_fen=10000, suggested_retail_fen=10000, control_fen=9000, cost_fen=8000)
    [result] = compute_order(fresh(OrderFactory(user=bound_buyer, items=[(thin, 1)])))
    assert result.ceiling_bp == 5000
    assert result.cap_fen == 1000
    assert result.total_fen == 1000
    assert result.amount_for_depth(1) + result.amount_for_depth(2) == 1000


def test_zero_margin_line_pays_nothing(bound_buyer):
    at_cost = SkuFactory(retail_fen=8000, suggested_retail_fen=8000, control_fen=8000, cost_fen=8000)
    [result] = compute_order(fresh(OrderFactory(user=bound_buyer, items=[(at_cost, 1)])))
    assert result.margin_fen == 0
    assert result.total_fen == 0
    assert result.capped


def test_compute_order_writes_nothing(bound_buyer, beauty):
    order = fresh(OrderFactory(user=bound_buyer, items=[(beauty, 1)]))
    with CaptureQueriesContext(connection) as ctx:
        compute_order(order)
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in ctx.captured_queries)


def test_query_count_does_not_grow_with_lines(django_assert_num_queries, bound_buyer):
    skus = []
    for i in range(20):
        category = CategoryFactory(slug=f"q-cat-{i}")
        product = ProductFactory(category=category)
        skus.append(SkuFactory(product=product))
        CommissionOverride.objects.create(category=category, depth=2, mode="rate", rate_bp=300)
        CommissionOverride.objects.create(product=product, depth=1, mode="fixed", fixed_fen=100 + i)
    one = fresh(OrderFactory(user=bound_buyer, items=[(skus[0].pk, 1)]))
    twenty = fresh(OrderFactory(user=bound_buyer, items=[(s, 1) for s in skus]))

    with CaptureQueriesContext(connection) as ctx:
        assert len(compute_order(one)) == 1
    with django_assert_num_queries(len(ctx.captured_queries)):
        results = compute_order(twenty)
    assert len(results) == 20
    assert sorted(r.amount_for_depth(1) for r in results) == [100 + i for i in range(20)]
    assert all(r.for_depth(2).source == SOURCE_CATEGORY for r in results)
