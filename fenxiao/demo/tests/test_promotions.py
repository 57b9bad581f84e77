"""The demo's promotions and membership: the tiers and points rules, the running 双12 campaign with its
满减送, timed discount and coupons, the referral rewards and starter pack, and the demo consumer as a
银卡 member holding coupons in every state; a second run makes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fenxiao.accounts import services as accounts
from fenxiao.demo.seed import (
    CAMPAIGN_NAME,
    DEMO_CONSUMER_PHONE,
    make_demo_catalog,
    make_demo_consumers,
    make_demo_distributors,
    make_demo_levels,
    make_demo_promotions,
    make_demo_staff,
)
from fenxiao.distribution.models import Level
from fenxiao.members import selectors as member_selectors
from fenxiao.members.models import MemberPrice, MemberTier, PointsAccount
from fenxiao.orders.models import Order
from fenxiao.promotions import selectors_campaigns
from fenxiao.promotions.models import (
    Campaign,
    Coupon,
    FullReduction,
    QuantityTier,
    ReferralSettings,
    StarterPack,
    TimedDiscount,
    UserCoupon,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    accounts.ensure_staff_groups()
    make_demo_staff("demo-pass-1")
    make_demo_levels()
    make_demo_catalog()
    tree = make_demo_distributors("demo-pass-1")
    make_demo_consumers("demo-pass-1", tree)
    made = make_demo_promotions()
    assert made > 0
    return Campaign.objects.get(name=CAMPAIGN_NAME)


def _counts():
    return (
        Campaign.objects.count(),
        Coupon.objects.count(),
        UserCoupon.objects.count(),
        FullReduction.objects.count(),
        TimedDiscount.objects.count(),
        QuantityTier.objects.count(),
        MemberTier.objects.count(),
        MemberPrice.objects.count(),
        Order.objects.count(),
        PointsAccount.objects.get(user__phone=DEMO_CONSUMER_PHONE).available,
    )


def test_the_campaign_runs_with_its_promotions(demo):
    now = timezone.now()
    page = selectors_campaigns.landing(demo.pk, now=now)
    assert page.phase == selectors_campaigns.RUNNING
    assert demo.starts_at < now < demo.ends_at and (demo.ends_at - now).days == 9
    assert demo.early_access_hours == 24
    assert list(demo.early_access_levels.all()) == [Level.objects.order_by("-rank").first()]

    coupons = {c.name: c for c in Coupon.objects.filter(campaign=demo)}
    assert set(coupons) == {"满 ¥299 减 ¥30", "9 折券 最多减 ¥50", "新人无门槛 ¥5"}
    claimable = coupons["满 ¥299 减 ¥30"]
    assert (claimable.amount_fen, claimable.threshold_fen, claimable.total_quantity, claimable.per_person_limit) == (
        3000,
        29900,
        1000,
        1,
    )
    assert (claimable.claimable, claimable.validity, claimable.valid_days) == (True, "days", 7)
    percent = coupons["9 折券 最多减 ¥50"]
    assert (percent.kind, percent.percent_off_bp, percent.cap_fen) == ("percent", 1000, 5000)
    assert coupons["新人无门槛 ¥5"].for_newcomers and coupons["新人无门槛 ¥5"].threshold_fen == 0

    rule = FullReduction.objects.get(campaign=demo)
    tiers = [
        (t.threshold, t.amount_off_fen, t.free_shipping, t.gift_sku is not None, t.points)
        for t in rule.tiers.order_by("threshold")
    ]
    assert tiers == [(19900, 2000, False, False, 0), (39900, 5000, True, False, 0), (69900, 10000, True, True, 200)]
    timed = TimedDiscount.objects.get(campaign=demo)
    assert sorted(timed.items.values_list("percent_off_bp", flat=True)) == [2000, 2000, 2000]
    assert QuantityTier.objects.filter(min_quantity=2, percent_off_bp=500).count() == 1


def test_membership_referral_and_starter_pack(demo):
    assert list(MemberTier.objects.values_list("name", "min_spend_fen", "points_multiplier_bp", "member_day_discount_bp")) == [
        ("普通会员", 0, 10000, 0),
        ("银卡", 100_000, 12000, 500),
        ("金卡", 500_000, 15000, 1000),
    ]
    conf = member_selectors.member_settings()
    assert (conf.member_day, conf.earn_points_per_yuan, conf.points_per_yuan_off, conf.max_points_share_bp) == (8, 1, 100, 5000)
    assert MemberPrice.objects.filter(tier__name="银卡").count() == 3 == MemberPrice.objects.filter(tier__name="金卡").count()
    for price in MemberPrice.objects.select_related("sku"):
        assert 0 < price.price_fen < price.sku.retail_fen

    referral = ReferralSettings.objects.select_related("referrer_coupon", "referee_coupon").get(pk=1)
    assert referral.referrer_coupon.amount_fen == 2000 == referral.referee_coupon.amount_fen
    pack = StarterPack.objects.get(pk=1)
    sample = pack.coupons.get()
    assert pack.enabled and pack.points == 100
    assert sample.scope == "products" and sample.amount_fen == sample.products.get().skus.get().retail_fen


def test_the_demo_consumer_is_silver_with_points_and_coupons_in_every_state(demo):
    consumer = PointsAccount.objects.select_related("user").get(user__phone=DEMO_CONSUMER_PHONE)
    assert member_selectors.tier_of(consumer.user).name == "银卡"
    assert consumer.available == 3000 - 300  # the grant, less what the demo order spent
    assert consumer.frozen > 0  # what the paid order earns, until it completes

    now = timezone.now()
    held = {h.coupon.name: h for h in UserCoupon.objects.filter(user=consumer.user).select_related("coupon")}
    assert held["满 ¥299 减 ¥30"].status == "available" and held["满 ¥299 减 ¥30"].valid_until > now
    assert held["新人无门槛 ¥5"].status == "available"
    assert held["客服补偿 ¥10"].status == "revoked"
    expired = held["双11 无门槛 ¥15"]
    assert expired.status == "available" and expired.valid_until < now and expired.coupon.status == "ended"
    used = held["9 折券 最多减 ¥50"]
    assert used.status == "used"

    order = Order.objects.get(user=consumer.user, user_coupon=used)
    assert order.status == Order.Status.PAID and order.points_used == 300
    stages = {d["stage"] for d in order.price_breakdown["discounts"]}
    assert {"timed", "member", "full_reduction", "coupon", "points"} <= stages
    assert order.shipping_fen == 0 and order.price_breakdown["shipping_free_by"] == "full_reduction"
    assert order.total_fen == sum(order.lines.values_list("paid_fen", flat=True))


def test_a_second_run_makes_nothing(demo):
    first = _counts()
    assert make_demo_promotions() == 0
    assert _counts() == first
