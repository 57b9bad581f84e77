"""The price pipeline: each stage, their order, percentages and thresholds on the amount the earlier
stages left, and what each line records."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.orders import services
from fenxiao.orders.models import OrderLineAdjustment
from fenxiao.promotions import pricing
from fenxiao.promotions.errors import PromotionError
from tests.factories import CategoryFactory, ProductFactory, SkuFactory

from .conftest import give, make_coupon, make_reduction, make_tier, make_timed

pytestmark = pytest.mark.django_db


def sku_at(retail_fen: int, **kwargs):
    return SkuFactory(retail_fen=retail_fen, suggested_retail_fen=retail_fen, control_fen=1, cost_fen=1, **kwargs)


def quote(user, *items, coupon=pricing.AUTO, province=None):
    _skus, q = services.quote_items(user=user, items=[(s.pk, n) for s, n in items], coupon=coupon, province=province)
    return q


def stages(q) -> dict:
    return {(d["stage"], d["label"]): d["amount_fen"] for d in q.breakdown()["discounts"]}


def test_without_promotions_the_list_price_and_the_shipping_rule(buyer):
    sku = sku_at(5000)
    q = quote(buyer, (sku, 1))
    assert (q.goods_fen, q.discount_fen, q.shipping_fen, q.total_fen) == (5000, 0, 1000, 6000)
    q = quote(buyer, (sku, 2))
    assert (q.goods_fen, q.shipping_fen, q.total_fen) == (10000, 0, 10000)


def test_timed_discount_then_tier_each_on_what_the_other_left(buyer):
    sku = sku_at(15000)
    make_timed([(sku, {"mode": "percent", "percent_off_bp": 2000})], name="周年庆八折")
    make_tier(sku, 3, 1000)
    q = quote(buyer, (sku, 3))
    line = q.lines[0]
    # 20% off ¥150 → ¥120; then 10% off ¥120 (not off ¥150) → ¥108
    assert line.stage_fen("timed") == 3000 * 3
    assert line.stage_fen("tier") == 1200 * 3
    assert line.paid_fen == 10800 * 3
    q = quote(buyer, (sku, 2))  # below the tier
    assert q.lines[0].stage_fen("tier") == 0 and q.lines[0].paid_fen == 24000


def test_timed_discount_by_amount_never_below_zero(buyer):
    sku = sku_at(800)
    make_timed([(sku, {"mode": "amount", "amount_off_fen": 1000})])
    q = quote(buyer, (sku, 2))
    assert q.lines[0].paid_fen == 0 and q.lines[0].stage_fen("timed") == 1600


def test_full_reduction_threshold_is_checked_on_the_discounted_amount(buyer):
    sku = sku_at(10000)
    make_timed([(sku, {"mode": "percent", "percent_off_bp": 2000})])  # → ¥80
    make_reduction([{"threshold": 9000, "amount_off_fen": 1000}])
    q = quote(buyer, (sku, 1))
    assert q.lines[0].stage_fen("full_reduction") == 0
    q = quote(buyer, (sku, 2))  # ¥160 ≥ ¥90
    assert q.lines[0].stage_fen("full_reduction") == 1000


def test_the_highest_tier_met_applies_once(buyer):
    sku = sku_at(5000)
    make_reduction(
        [
            {"threshold": 10000, "amount_off_fen": 1000},
            {"threshold": 20000, "amount_off_fen": 3000},
            {"threshold": 50000, "amount_off_fen": 10000},
        ],
        name="满减",
    )
    assert quote(buyer, (sku, 1)).discount_fen == 0
    assert quote(buyer, (sku, 2)).discount_fen == 1000
    assert quote(buyer, (sku, 5)).discount_fen == 3000
    assert quote(buyer, (sku, 10)).discount_fen == 10000


def test_count_basis_and_scope(buyer):
    inside, outside = CategoryFactory(), CategoryFactory()
    a = sku_at(3000, product=ProductFactory(category=inside))
    b = sku_at(7000, product=ProductFactory(category=inside))
    c = sku_at(9000, product=ProductFactory(category=outside))
    make_reduction([{"threshold": 3, "amount_off_fen": 2000}], basis="count", categories=[inside])
    q = quote(buyer, (a, 1), (b, 1), (c, 5))
    assert q.discount_fen == 0  # 2 pieces in scope; the 5 outside do not count
    q = quote(buyer, (a, 2), (b, 1), (c, 5))
    by_sku = {line.sku_id: line for line in q.lines}
    assert by_sku[c.pk].discount_fen == 0
    # ¥20 over ¥60 + ¥70 in proportion: 923.07… and 1076.92… → 923 + 1077
    assert by_sku[a.pk].stage_fen("full_reduction") + by_sku[b.pk].stage_fen("full_reduction") == 2000
    assert by_sku[a.pk].stage_fen("full_reduction") == 923


def test_full_reduction_tier_may_ship_free(buyer):
    sku = sku_at(5000)
    make_reduction([{"threshold": 5000, "amount_off_fen": 0, "free_shipping": True}])
    q = quote(buyer, (sku, 1))
    assert q.shipping_fen == 0 and q.shipping_free_by == "full_reduction" and q.total_fen == 5000


def test_percentage_coupon_applies_after_the_full_reduction(buyer):
    sku = sku_at(10000)
    make_reduction([{"threshold": 20000, "amount_off_fen": 1000}])
    held = give(buyer, make_coupon(name="九折券", kind="percent", percent_off_bp=1000, amount_fen=0))
    q = quote(buyer, (sku, 2))
    line = q.lines[0]
    assert line.stage_fen("full_reduction") == 1000
    assert line.stage_fen("coupon") == 1900  # 10% of ¥190, not of ¥200
    assert q.user_coupon_id == held.pk and q.total_fen == 19000 - 1900


def test_percentage_coupon_cap(buyer):
    sku = sku_at(100000)
    give(buyer, make_coupon(kind="percent", percent_off_bp=2000, amount_fen=0, cap_fen=5000))
    assert quote(buyer, (sku, 1)).lines[0].stage_fen("coupon") == 5000


def test_coupon_threshold_on_the_discounted_amount_and_the_reason(buyer):
    sku = sku_at(10000)
    make_reduction([{"threshold": 20000, "amount_off_fen": 1000}])
    held = give(buyer, make_coupon(name="满200减30", amount_fen=3000, threshold_fen=20000))
    q = quote(buyer, (sku, 2))  # ¥200 list, ¥190 after 满减: the coupon's ¥200 is not met
    assert q.user_coupon_id is None
    (option,) = q.coupon_options
    assert not option.usable and option.code == "coupon_threshold_not_met"
    assert "还差 ¥10.00" in option.reason
    with pytest.raises(PromotionError) as exc:
        quote(buyer, (sku, 2), coupon=held.pk)
    assert exc.value.code == "coupon_threshold_not_met"


def test_coupon_scope_and_the_reason(buyer):
    wanted = ProductFactory()
    sku, other = sku_at(5000), sku_at(5000, product=wanted)
    held = give(buyer, make_coupon(name="指定商品券", scope="products", products=[wanted]))
    q = quote(buyer, (sku, 1))
    assert q.coupon_options[0].code == "coupon_out_of_scope" and q.user_coupon_id is None
    q = quote(buyer, (sku, 1), (other, 1))
    assert q.user_coupon_id == held.pk
    by_sku = {line.sku_id: line for line in q.lines}
    assert by_sku[other.pk].stage_fen("coupon") == 1000 and by_sku[sku.pk].stage_fen("coupon") == 0


def test_auto_picks_the_largest_then_the_first_to_expire(buyer):
    sku = sku_at(20000)
    now = timezone.now()
    small = give(buyer, make_coupon(amount_fen=500))
    late = give(buyer, make_coupon(amount_fen=2000), valid_until=now + timedelta(days=9))
    soon = give(buyer, make_coupon(amount_fen=2000), valid_until=now + timedelta(days=2))
    give(buyer, make_coupon(amount_fen=9000, threshold_fen=50000))
    q = quote(buyer, (sku, 1))
    assert q.user_coupon_id == soon.pk
    assert quote(buyer, (sku, 1), coupon=None).user_coupon_id is None
    assert quote(buyer, (sku, 1), coupon=small.pk).lines[0].stage_fen("coupon") == 500
    assert {o.user_coupon_id for o in q.coupon_options if o.usable} == {small.pk, late.pk, soon.pk}


def test_coupons_not_started_expired_or_taken_are_not_offered_as_usable(buyer):
    sku = sku_at(20000)
    now = timezone.now()
    later = give(buyer, make_coupon(), valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=3))
    give(buyer, make_coupon(), valid_from=now - timedelta(days=3), valid_until=now - timedelta(seconds=1))
    taken = give(buyer, make_coupon())
    taken.status, taken.order_reference = "used", "order:999"
    taken.save()
    q = quote(buyer, (sku, 1))
    assert [(o.user_coupon_id, o.usable, o.code) for o in q.coupon_options] == [(later.pk, False, "coupon_not_started")]
    with pytest.raises(PromotionError) as exc:
        quote(buyer, (sku, 1), coupon=taken.pk)
    assert exc.value.code == "coupon_unavailable"


def test_someone_elses_coupon_cannot_be_named(buyer):
    from tests.factories import UserFactory

    held = give(UserFactory(), make_coupon())
    with pytest.raises(PromotionError) as exc:
        quote(buyer, (sku_at(5000), 1), coupon=held.pk)
    assert exc.value.code == "coupon_unavailable"


def test_the_order_keeps_every_stage_per_line(buyer, address):
    a, b = sku_at(12000), sku_at(8000)
    make_timed([(a, {"mode": "amount", "amount_off_fen": 2000})], name="限时减20")
    make_reduction([{"threshold": 15000, "amount_off_fen": 1500}], name="满150减15")
    give(buyer, make_coupon(name="无门槛10元", amount_fen=1000))
    order = services.place_order(user=buyer, items=[(a.pk, 1), (b.pk, 1)], address=address)
    lines = {line.sku_id: line for line in order.lines.all()}
    rows = OrderLineAdjustment.objects.filter(line__order=order)
    assert sum(r.amount_fen for r in rows) == order.discount_fen == 2000 + 1500 + 1000
    for line in lines.values():
        assert line.discount_fen == sum(r.amount_fen for r in rows if r.line_id == line.pk)
        assert line.paid_fen == line.line_total_fen - line.discount_fen
    # the 满减 and the coupon are spread over ¥100 and ¥80 (after the timed discount), not ¥120 and ¥80
    assert lines[a.pk].adjustments.get(stage="full_reduction").amount_fen == 833
    assert order.total_fen == 20000 - 4500 + 0  # ¥155 after discounts: free from ¥99 (legacy rule)
    assert [d["label"] for d in order.price_breakdown["discounts"]] == ["限时减20", "满150减15", "无门槛10元"]


def test_nothing_to_pay_is_refused(buyer, address):
    sku = sku_at(1000)
    make_reduction([{"threshold": 1000, "amount_off_fen": 0, "free_shipping": True}])
    give(buyer, make_coupon(amount_fen=1000))
    with pytest.raises(PromotionError) as exc:
        services.place_order(user=buyer, items=[(sku.pk, 1)], address=address)
    assert exc.value.code == "pay_amount_not_positive"
    # without the coupon it can be bought
    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, coupon=None)
    assert order.total_fen == 1000


def test_paused_and_future_promotions_do_not_apply(buyer):
    sku = sku_at(10000)
    rule = make_reduction([{"threshold": 100, "amount_off_fen": 500}])
    timed = make_timed([(sku, {"mode": "percent", "percent_off_bp": 5000})])
    rule.status = "paused"
    rule.save()
    timed.starts_at = timezone.now() + timedelta(hours=1)
    timed.ends_at = timezone.now() + timedelta(hours=2)
    timed.save()
    assert quote(buyer, (sku, 1)).discount_fen == 0


def test_commission_base_is_what_the_line_really_paid(buyer, address):
    from fenxiao.distribution.services import bind_customer
    from tests.factories import DistributorFactory, LevelFactory, accrue_commissions

    distributor = DistributorFactory(level=LevelFactory(rank=1, direct_rate_bp=1000, indirect_rate_bp=0))
    bind_customer(customer=buyer, distributor=distributor)
    sku = sku_at(10000)
    make_reduction([{"threshold": 10000, "amount_off_fen": 2000}])
    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    accrue_commissions()
    from fenxiao.commissions.models import Commission

    commission = Commission.objects.get(order_id=order.pk)
    assert commission.base_fen == 8000 and commission.amount_fen == 800


def test_early_access_lets_the_chosen_level_price_before_the_start(buyer):
    from fenxiao.promotions.models import Campaign
    from tests.factories import DistributorFactory, LevelFactory

    top, other = LevelFactory(rank=3, name="合伙人"), LevelFactory(rank=1, name="普通")
    insider = DistributorFactory(level=top).user
    outsider = DistributorFactory(level=other).user
    starts = timezone.now() + timedelta(hours=2)
    campaign = Campaign.objects.create(name="双12", starts_at=starts, ends_at=starts + timedelta(days=3), early_access_hours=3)
    campaign.early_access_levels.set([top])
    sku = sku_at(10000)
    rule = make_reduction([{"threshold": 10000, "amount_off_fen": 1000}], name="大促满减")
    rule.starts_at, rule.ends_at, rule.campaign = starts, starts + timedelta(days=3), campaign
    rule.save()
    timed = make_timed([(sku, {"mode": "percent", "percent_off_bp": 1000})], name="大促折扣")
    timed.starts_at, timed.ends_at, timed.campaign = starts, starts + timedelta(days=3), campaign
    timed.save()
    early_coupon = make_coupon(name="大促券", amount_fen=500, campaign=campaign)
    give(insider, early_coupon, valid_from=starts, valid_until=starts + timedelta(days=3))
    give(outsider, early_coupon, valid_from=starts, valid_until=starts + timedelta(days=3))
    inside = quote(insider, (sku, 2))
    assert inside.lines[0].stage_fen("timed") == 2000 and inside.lines[0].stage_fen("full_reduction") == 1000
    assert inside.lines[0].stage_fen("coupon") == 500
    outside = quote(outsider, (sku, 2))
    assert outside.discount_fen == 0 and outside.coupon_options[0].code == "coupon_not_started"
    assert quote(buyer, (sku, 2)).discount_fen == 0
    # too early even for the insider: more than 3 hours before the start
    later = starts + timedelta(hours=5)
    campaign.starts_at, campaign.ends_at = later, later + timedelta(days=3)
    campaign.save()
    rule.starts_at = timed.starts_at = later
    rule.save()
    timed.save()
    assert quote(insider, (sku, 2)).lines[0].stage_fen("timed") == 0
