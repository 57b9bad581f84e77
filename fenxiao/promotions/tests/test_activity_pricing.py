"""The activity stage of the price pipeline (秒杀, 拼团, 砍价): each unit at its activity price, recorded
as an ACTIVITY adjustment; no member price, timed discount, tier price, 满减 or coupon on such an order
even while they run; points only when the activity allows them; a price under the SKU's control price
is allowed and the order says so; shipping as usual; the activity first in the breakdown."""

import pytest

from fenxiao.members.models import MemberPrice, MemberSettings, MemberTier, PointsAccount
from fenxiao.members.services import points as member_points
from fenxiao.orders import services
from fenxiao.orders.models import OrderLineAdjustment
from fenxiao.promotions import pricing
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import UserCoupon
from fenxiao.promotions.stages import STAGE_ORDER, UNIT_STAGES, PriceStage
from tests.factories import SkuFactory

from .conftest import give, make_coupon, make_reduction, make_tier, make_timed

pytestmark = pytest.mark.django_db

FLASH_ID = 41


def sku_at(retail_fen: int, *, control_fen: int = 1, stock: int = 50):
    return SkuFactory(retail_fen=retail_fen, suggested_retail_fen=retail_fen, control_fen=control_fen, cost_fen=100, stock=stock)


def terms(prices: dict, *, kind="flash", activity_id=FLASH_ID, label="秒杀价", allow_points=False, pays_commission=True):
    return pricing.ActivityTerms(
        kind=kind,
        activity_id=activity_id,
        label=label,
        unit_prices={sku.pk: fen for sku, fen in prices.items()},
        allow_points=allow_points,
        pays_commission=pays_commission,
    )


def quote(user, *items, **kwargs):
    return services.quote_items(user=user, items=[(s.pk, n) for s, n in items], **kwargs)[1]


def stages_of(q) -> list[str]:
    return [d["stage"] for d in q.breakdown()["discounts"]]


@pytest.fixture
def member_settings(db):
    row, _ = MemberSettings.objects.update_or_create(
        pk=1, defaults={"earn_points_per_yuan": 1, "points_per_yuan_off": 100, "max_points_share_bp": 5000}
    )
    return row


def available(user) -> int:
    return PointsAccount.objects.filter(user=user).values_list("available", flat=True).first() or 0


def test_each_unit_at_the_activity_price_recorded_as_an_activity_adjustment(buyer, address):
    sku = sku_at(15000)
    q = quote(buyer, (sku, 2), activity=terms({sku: 9900}))
    (line,) = q.lines
    assert line.unit_price_fen == 15000 and line.unit_net_fen == 9900
    assert line.stage_fen(PriceStage.ACTIVITY) == 5100 * 2 and line.discount_fen == 5100 * 2
    assert line.paid_fen == 9900 * 2
    assert [(a.stage, a.source_id, a.label) for a in line.adjustments] == [("activity", FLASH_ID, "秒杀价")]

    order = services.place_order(user=buyer, items=[(sku.pk, 2)], address=address, activity=terms({sku: 9900}))
    assert (order.goods_fen, order.discount_fen) == (30000, 10200)
    assert order.total_fen == 19800 + order.shipping_fen
    rows = list(OrderLineAdjustment.objects.filter(line__order=order).values_list("stage", "source_id", "label", "amount_fen"))
    assert rows == [("activity", FLASH_ID, "秒杀价", 10200)]
    line = order.lines.get()
    assert (line.unit_price_fen, line.discount_fen, line.paid_fen) == (15000, 10200, 19800)
    activity = order.price_breakdown["activity"]
    assert activity["kind"] == "flash" and activity["activity_id"] == FLASH_ID and activity["label"] == "秒杀价"
    assert activity["pays_commission"] is True and activity["allow_points"] is False


def test_an_activity_price_above_the_list_price_charges_the_list_price(buyer):
    sku = sku_at(8000)
    q = quote(buyer, (sku, 1), activity=terms({sku: 9000}))
    assert q.lines[0].paid_fen == 8000 and q.lines[0].adjustments == [] and q.discount_fen == 0


def test_no_other_promotion_applies_to_an_activity_order_even_while_they_run(buyer, address, member_settings):
    sku = sku_at(20000)
    gold = MemberTier.objects.create(name="金卡", min_spend_fen=0, points_multiplier_bp=10000)
    MemberPrice.objects.create(tier=gold, sku=sku, price_fen=17000)
    make_timed([(sku, {"mode": "percent", "percent_off_bp": 1000})], name="周年庆九折")
    make_tier(sku, 2, 1000)
    make_reduction([{"threshold": 10000, "amount_off_fen": 2000, "free_shipping": True}], name="满100减20")
    held = give(buyer, make_coupon(name="无门槛10元", amount_fen=1000))

    # the promotions are running: an ordinary order of the same items takes them
    plain = quote(buyer, (sku, 2))
    assert {"member", "tier", "full_reduction", "coupon"} <= set(stages_of(plain)), stages_of(plain)
    assert plain.user_coupon_id == held.pk

    q = quote(buyer, (sku, 2), activity=terms({sku: 15000}))
    assert stages_of(q) == ["activity"]
    assert q.discount_fen == 5000 * 2 and q.lines[0].paid_fen == 30000
    assert q.user_coupon_id is None and q.coupon_options == []
    assert q.gifts == [] and q.gift_coupon_ids == [] and q.bonus_points == 0
    assert q.shipping_free_by != "full_reduction"

    order = services.place_order(user=buyer, items=[(sku.pk, 2)], address=address, activity=terms({sku: 15000}))
    assert order.user_coupon_id is None and order.price_breakdown["coupon"] is None
    assert set(OrderLineAdjustment.objects.filter(line__order=order).values_list("stage", flat=True)) == {"activity"}
    held.refresh_from_db()
    assert held.status == UserCoupon.Status.AVAILABLE and not held.order_reference  # the coupon was not taken


def test_an_explicit_coupon_is_refused(buyer, address):
    sku = sku_at(15000)
    held = give(buyer, make_coupon(amount_fen=1000))
    with pytest.raises(PromotionError) as exc:
        quote(buyer, (sku, 1), activity=terms({sku: 9900}), coupon=held.pk)
    assert exc.value.code == "activity_no_coupon" and exc.value.status == 422
    assert exc.value.detail == {"user_coupon_id": held.pk}
    with pytest.raises(PromotionError) as exc:
        services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, activity=terms({sku: 9900}), coupon=held.pk)
    assert exc.value.code == "activity_no_coupon"
    # "no coupon" is fine
    assert quote(buyer, (sku, 1), activity=terms({sku: 9900}), coupon=None).total_fen > 0


def test_points_are_refused_unless_the_activity_allows_them(buyer, member_settings):
    sku = sku_at(15000)
    member_points.grant(buyer.pk, 20000, reference="activity-test")
    for points in (100, pricing.ALL_POINTS):
        with pytest.raises(PromotionError) as exc:
            quote(buyer, (sku, 1), activity=terms({sku: 10000}), points=points)
        assert exc.value.code == "activity_no_points" and exc.value.status == 422
    q = quote(buyer, (sku, 1), activity=terms({sku: 10000}), points=0)
    assert q.points_used == 0 and q.lines[0].stage_fen("points") == 0 and q.points_offer is None


def test_points_are_spent_when_the_activity_allows_them(buyer, address, member_settings):
    sku = sku_at(15000)
    member_points.grant(buyer.pk, 20000, reference="activity-test")
    allowing = terms({sku: 10000}, allow_points=True)
    q = quote(buyer, (sku, 1), activity=allowing, points=pricing.ALL_POINTS)
    # half of the ¥100 activity price (not of the ¥150 list price) may be paid in points
    assert q.points_used == 5000 and q.lines[0].stage_fen("points") == 5000
    assert q.points_offer is not None and q.points_offer.max_points == 5000
    with pytest.raises(PromotionError) as exc:
        quote(buyer, (sku, 1), activity=allowing, points=5001)
    assert exc.value.code == "points_over_limit"

    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, activity=allowing, points=3000)
    assert order.points_used == 3000 and available(buyer) == 17000
    assert order.discount_fen == 5000 + 3000
    assert order.price_breakdown["points_fen"] == 3000 and order.price_breakdown["activity"]["allow_points"] is True
    assert [d["stage"] for d in order.price_breakdown["discounts"]] == ["activity", "points"]
    line = order.lines.get()
    assert list(line.adjustments.values_list("stage", flat=True).order_by("pk")) == ["activity", "points"]


def test_a_sku_outside_the_terms_is_refused(buyer, address):
    inside, outside = sku_at(15000), sku_at(9000)
    with pytest.raises(PromotionError) as exc:
        quote(buyer, (inside, 1), (outside, 1), activity=terms({inside: 9900}))
    assert exc.value.code == "activity_sku_not_included" and exc.value.status == 422
    assert exc.value.detail == {"sku_id": outside.pk}
    with pytest.raises(PromotionError):
        services.place_order(user=buyer, items=[(inside.pk, 1), (outside.pk, 1)], address=address, activity=terms({inside: 9900}))


def test_a_price_below_the_control_price_is_allowed_and_the_order_says_so(buyer, address):
    low, high = sku_at(15000, control_fen=12000), sku_at(15000, control_fen=12000)
    q = quote(buyer, (low, 1), (high, 1), activity=terms({low: 9900, high: 12000}))
    activity = q.breakdown()["activity"]
    assert activity["below_control_sku_ids"] == [low.pk]  # 12000 is not below 12000
    assert activity["control_note"] == "平台活动价，不受控价限制"

    order = services.place_order(user=buyer, items=[(low.pk, 1)], address=address, activity=terms({low: 9900}))
    assert order.lines.get().paid_fen == 9900
    assert order.price_breakdown["activity"]["below_control_sku_ids"] == [low.pk]
    assert order.price_breakdown["activity"]["control_note"] == "平台活动价，不受控价限制"

    at_control = quote(buyer, (high, 1), activity=terms({high: 12000})).breakdown()["activity"]
    assert at_control["below_control_sku_ids"] == [] and at_control["control_note"] == ""


def test_shipping_still_applies_on_the_activity_price(buyer):
    sku = sku_at(15000)
    # at the list price the order ships free; at a ¥50 activity price it pays the shipping rule
    assert quote(buyer, (sku, 1)).shipping_fen == 0
    q = quote(buyer, (sku, 1), activity=terms({sku: 5000}))
    assert q.shipping_fen == 1000 and q.total_fen == 5000 + 1000
    assert q.breakdown()["shipping_fen"] == 1000 and q.breakdown()["total_fen"] == 6000


def test_the_activity_stage_comes_first(buyer, member_settings):
    assert STAGE_ORDER[0] == PriceStage.ACTIVITY and PriceStage.ACTIVITY in UNIT_STAGES
    a, b = sku_at(15000), sku_at(8000)
    member_points.grant(buyer.pk, 2000, reference="activity-test")
    q = quote(buyer, (a, 1), (b, 1), activity=terms({a: 9900, b: 6000}, allow_points=True), points=2000)
    assert stages_of(q) == ["activity", "points"]
    for line in q.lines:
        assert [adj.stage for adj in line.adjustments] == ["activity", "points"]
    assert q.points_used == 2000 and q.discount_fen == 5100 + 2000 + 2000
