"""Tiers: up at the moment an order completes, spending net of later refunds, down only on the nightly
evaluation when old spending leaves the window; and what the pipeline reads (member prices, points)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fenxiao.members import pricing, selectors, services
from fenxiao.members.errors import MemberError
from fenxiao.members.models import MemberPrice, MemberSettings, Membership, MemberSpend, MemberTier
from fenxiao.members.tasks import run_tier_evaluation
from tests.factories import SkuFactory, UserFactory, clock

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 8, 10, 0, tzinfo=timezone.get_default_timezone())  # the 8th: the member day below


@pytest.fixture
def tiers():
    MemberSettings.objects.create(pk=1, member_day=8, spend_window_days=365, earn_points_per_yuan=1, points_per_yuan_off=100)
    return {
        "normal": MemberTier.objects.create(name="普通会员", min_spend_fen=0),
        "silver": MemberTier.objects.create(
            name="银卡", min_spend_fen=100_000, points_multiplier_bp=15000, member_day_discount_bp=500
        ),
        "gold": MemberTier.objects.create(
            name="金卡", min_spend_fen=500_000, points_multiplier_bp=20000, member_day_discount_bp=1000
        ),
    }


def membership(user) -> Membership:
    return Membership.objects.select_related("tier").get(user=user)


def test_tier_moves_up_when_an_order_completes(tiers):
    user = UserFactory()
    with clock(T0):
        services.record_completed_spend(user.pk, "order:1", 60_000, T0 - timedelta(days=10))
    assert membership(user).tier == tiers["normal"]

    services.record_completed_spend(user.pk, "order:2", 50_000, T0)

    m = membership(user)
    assert (m.tier, m.spend_fen) == (tiers["silver"], 110_000)
    # recording the same order again counts it once
    services.record_completed_spend(user.pk, "order:2", 50_000, T0)
    assert membership(user).spend_fen == 110_000
    assert MemberSpend.objects.filter(user=user).count() == 2


def test_a_refund_after_completion_lowers_the_spend_but_the_tier_falls_only_at_night(tiers):
    user = UserFactory()
    now = timezone.now()
    services.record_completed_spend(user.pk, "order:1", 120_000, now - timedelta(days=1))
    assert membership(user).tier == tiers["silver"]

    services.record_refunded_spend("order:1", "aftersale:1", 30_000)
    services.record_refunded_spend("order:1", "aftersale:1", 30_000)  # the same refund again: once
    services.record_refunded_spend("order:1", "aftersale:2", 500_000)  # never below zero for the order

    m = membership(user)
    assert m.spend_fen == 0
    assert m.tier == tiers["silver"]
    rows = list(MemberSpend.objects.filter(reference="order:1").order_by("id").values_list("amount_fen", "at"))
    assert [amount for amount, _at in rows] == [120_000, -30_000, -90_000]
    assert len({at for _amount, at in rows}) == 1  # refunds dated with the completion

    result = run_tier_evaluation()

    assert result["tiers_downgraded"] == 1
    assert membership(user).tier == tiers["normal"]
    assert services.record_refunded_spend("order:unknown", "x", 10) is None


def test_the_nightly_evaluation_drops_spending_that_left_the_window(tiers):
    user = UserFactory()
    with clock(T0):
        services.record_completed_spend(user.pk, "order:old", 600_000, T0 - timedelta(days=300))
        services.record_completed_spend(user.pk, "order:new", 150_000, T0 - timedelta(days=10))
    assert services.evaluate_tiers(T0).upgraded == 0
    assert membership(user).tier == tiers["gold"]

    later = T0 + timedelta(days=70)  # the old order is now 370 days back
    result = services.evaluate_tiers(later)

    m = membership(user)
    assert (m.tier, m.spend_fen) == (tiers["silver"], 150_000)
    assert (result.evaluated, result.upgraded, result.downgraded) == (1, 0, 1)
    assert services.evaluate_tiers(later).downgraded == 0  # run again: nothing changes


def test_evaluate_command_reports(tiers, capsys):
    services.record_completed_spend(UserFactory().pk, "order:1", 100, T0)
    call_command("evaluate_member_tiers")
    assert "已评定" in capsys.readouterr().out


def test_operator_tiers_are_checked():
    tier = services.save_tier(name=" 钻石 ", min_spend_fen=1_000_000, points_multiplier_bp=30000)
    assert tier.name == "钻石" and tier.member_day_discount_bp == 0
    with pytest.raises(MemberError) as exc:
        services.save_tier(name="钻石", min_spend_fen=5)
    assert exc.value.status == 409
    for bad in (
        {"min_spend_fen": -1},
        {"min_spend_fen": 1, "points_multiplier_bp": 0},
        {"min_spend_fen": 1, "member_day_discount_bp": 10000},
    ):
        with pytest.raises(MemberError):
            services.save_tier(name="新", **bad)
    user = UserFactory()
    Membership.objects.create(user=user, tier=tier)
    with pytest.raises(MemberError) as exc:
        services.delete_tier(tier_id=tier.pk)
    assert exc.value.code == "tier_in_use"


# --- what the pipeline reads ----------------------------------------------------------------------


def test_member_prices_per_tier_and_the_member_day(tiers, django_assert_max_num_queries):
    user = UserFactory()
    services.record_completed_spend(user.pk, "order:1", 100_000, T0)
    cheap, dear, plain = SkuFactory(retail_fen=10_000), SkuFactory(retail_fen=20_000), SkuFactory(retail_fen=9_999)
    MemberPrice.objects.create(tier=tiers["silver"], sku=cheap, price_fen=9_000)
    MemberPrice.objects.create(tier=tiers["silver"], sku=dear, price_fen=19_500)
    MemberPrice.objects.create(tier=tiers["gold"], sku=plain, price_fen=5_000)

    with django_assert_max_num_queries(4):
        on_day = pricing.member_unit_prices(user, [cheap.pk, dear.pk, plain.pk], T0)
    off_day = pricing.member_unit_prices(user, [cheap.pk, dear.pk, plain.pk], T0 + timedelta(days=1))

    # member day, silver 5% off retail: cheap 9500 vs member price 9000 → 9000; dear 19000 vs 19500 → 19000;
    # plain 9999 − floor(9999 × 5%) = 9999 − 499 = 9500
    assert on_day == {cheap.pk: (9_000, "会员价"), dear.pk: (19_000, "会员日价"), plain.pk: (9_500, "会员日价")}
    assert off_day == {cheap.pk: (9_000, "会员价"), dear.pk: (19_500, "会员价")}
    assert pricing.member_unit_prices(None, [cheap.pk], T0) == {}


def test_points_earned_follow_the_tier_multiplier(tiers, django_assert_max_num_queries):
    user = UserFactory()
    with django_assert_max_num_queries(3):
        assert pricing.points_to_earn(user, 12_399) == 123  # ¥123.99 × 1 point, floor
    services.record_completed_spend(user.pk, "order:1", 100_000, T0)
    assert pricing.points_to_earn(user, 12_399) == 185  # × 1.5 = 185.985 → 185
    assert pricing.points_to_earn(user, 0) == 0


def test_points_quote_is_capped_by_share_payable_and_balance(tiers, django_assert_max_num_queries):
    MemberSettings.objects.filter(pk=1).update(max_points_share_bp=5000, points_per_yuan_off=100)
    user = UserFactory()
    services.grant(user.pk, 3_000, reference="g")

    with django_assert_max_num_queries(2):
        offer = pricing.points_quote(user, payable_fen=8_000, goods_fen=10_000)
    assert offer == pricing.PointsOffer(balance=3_000, max_points=3_000, max_fen=3_000, ratio=100)

    assert pricing.points_quote(user, payable_fen=8_000, goods_fen=4_000).max_fen == 2_000  # half the goods
    assert pricing.points_quote(user, payable_fen=1_500, goods_fen=10_000).max_fen == 1_500  # what is payable
    MemberSettings.objects.filter(pk=1).update(points_per_yuan_off=150)
    offer = pricing.points_quote(user, payable_fen=1_001, goods_fen=10_000)
    # 3000 points at 150 a yuan are worth 2000 fen; 1001 fen need ceil(1001 × 1.5) = 1502 points
    assert (offer.max_fen, offer.max_points) == (1_001, 1_502)
    assert offer.fen_for(1_502) == 1_001
    assert pricing.points_quote(None, 100, 100).max_points == 0


def test_overview_shows_the_next_tier_and_how_far(tiers):
    user = UserFactory()
    services.record_completed_spend(user.pk, "order:1", 40_000, timezone.now())
    view = selectors.overview(user)
    assert view.tier == tiers["normal"]
    assert (view.next_tier, view.to_next_fen, view.progress_bp) == (tiers["silver"], 60_000, 4_000)
    assert "再消费 ¥600.00 升级为银卡" == selectors.next_tier_text(view)
