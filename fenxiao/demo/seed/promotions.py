"""Demo promotions and membership: three member tiers with their member prices and the points rules,
a running 大促 "双12 年终大促" (a 满减送, a timed discount and three coupons, early access for the top
distributor level), a quantity tier price, the consumer referral rewards and the distributor starter
pack; and the demo consumer as a 银卡 member with points and coupons in every state (usable, used by
a paid order, expired, revoked).

Everything is written through the promotions and members services where they exist (the member
settings and member prices have none: the console edits those rows directly, and so does this).
Safe to run again: tiers, coupons and the campaign are looked up by name, the points grant and the
spending carried over by their references, and the demo consumer's coupons by what it holds.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from fenxiao.accounts.models import User
from fenxiao.catalog.models import Product, Sku
from fenxiao.commissions import services as commissions
from fenxiao.common.errors import DomainError
from fenxiao.distribution.models import Level
from fenxiao.members import services as members
from fenxiao.members.models import MemberPrice, MemberSettings, MemberSpend, MemberTier, PointsLot, PointsSource
from fenxiao.orders import services as orders
from fenxiao.promotions.models import (
    Campaign,
    Coupon,
    FullReduction,
    PromotionAudit,
    QuantityTier,
    ReferralSettings,
    RunStatus,
    Scope,
    UserCoupon,
    UserCouponEvent,
)
from fenxiao.promotions.services import campaigns, coupons, referrals, rules, starter

from .people import DEMO_CONSUMER_PHONE

CAMPAIGN_NAME = "双12 年终大促"
ORDER_NOTE = "演示：满减 + 优惠券 + 积分"
POINTS_REFERENCE = "demo:welcome-points"
HISTORY_REFERENCE = "demo:spend-before-opening"

# name, spend threshold (fen), points multiplier (bp), member-day discount (bp), sort
TIERS = [
    ("普通会员", 0, 10000, 0, 0),
    ("银卡", 100_000, 12000, 500, 1),
    ("金卡", 500_000, 15000, 1000, 2),
]
# SKU code → (银卡 price, 金卡 price), fen
MEMBER_PRICES = {
    "BE001-1": (14200, 13500),  # 玻尿酸补水精华液 30ml, ¥150
    "BE004-1": (12000, 11500),  # 防晒隔离乳, ¥128
    "FO013-1": (7500, 7100),  # 云南小粒咖啡, ¥79
}
TIMED_SKUS = ("BE005-1", "BA009-1", "AP017-1")  # 护肤三件套礼盒, 儿童保温杯, 冰丝防晒衣: 8 折
GIFT_SKU = "FO014-1"  # 黑糖姜茶, the 满 ¥699 gift
TIER_PRICE_SKU = "FO011-1"  # 每日坚果: 2 件 95 折
SAMPLE_PRODUCT_SKU = "BE002-1"  # 氨基酸洁面乳: the starter pack's sample
DEMO_POINTS = 3000
SPEND_CARRIED_OVER_FEN = 120_000  # ¥1,200 spent before the shop opened: the demo consumer is 银卡


def make_demo_promotions() -> int:
    """All of the above; returns how many things were made this time (0 on a second run)."""
    operator = User.objects.filter(is_superuser=True).order_by("pk").first()
    made = make_demo_membership()
    made += make_demo_campaign(operator)
    made += make_demo_referral_and_starter()
    made += make_demo_wallet(operator)
    return made


# --- membership ----------------------------------------------------------------------------------------


@transaction.atomic
def make_demo_membership() -> int:
    """Member tiers, the points rules (1 point per ¥1, 100 points = ¥1, at most half of the goods) with
    the 8th as member day, and member prices for 银卡 and 金卡 on three SKUs."""
    made = 0
    tiers = {}
    for name, spend_fen, multiplier_bp, day_bp, sort in TIERS:
        tier = MemberTier.objects.filter(name=name).first()
        if tier is None:
            tier = members.save_tier(
                name=name,
                min_spend_fen=spend_fen,
                points_multiplier_bp=multiplier_bp,
                member_day_discount_bp=day_bp,
                sort=sort,
            )
            made += 1
        tiers[name] = tier
    if not MemberSettings.objects.filter(pk=1).exists():
        MemberSettings.objects.create(
            pk=1, member_day=8, earn_points_per_yuan=1, points_per_yuan_off=100, max_points_share_bp=5000
        )
        made += 1
    skus = {sku.code: sku for sku in Sku.objects.filter(code__in=MEMBER_PRICES)}
    for code, (silver_fen, gold_fen) in MEMBER_PRICES.items():
        sku = skus.get(code)
        if sku is None:
            continue
        for tier_name, price_fen in (("银卡", silver_fen), ("金卡", gold_fen)):
            _price, created = MemberPrice.objects.get_or_create(tier=tiers[tier_name], sku=sku, defaults={"price_fen": price_fen})
            made += created
    return made


# --- the campaign --------------------------------------------------------------------------------------


def _sku(code: str) -> Sku | None:
    return Sku.objects.filter(code=code, is_active=True).first()


@transaction.atomic
def make_demo_campaign(operator) -> int:
    """双12 年终大促: running since yesterday for ten more days, 24 hours early for the top level; its
    满减送, timed discount and coupons; and a quantity tier price outside it. Made once (by name)."""
    made = 0
    tier_sku = _sku(TIER_PRICE_SKU)
    if tier_sku is not None and not QuantityTier.objects.filter(sku=tier_sku, min_quantity=2).exists():
        rules.save_quantity_tier(actor=operator, sku_id=tier_sku.pk, min_quantity=2, percent_off_bp=500)
        made += 1
    if Campaign.objects.filter(name=CAMPAIGN_NAME).exists():
        return made
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    starts_at, ends_at = now - timedelta(days=1), now + timedelta(days=10)
    threshold_off = rules.save_coupon(
        actor=operator,
        name="满 ¥299 减 ¥30",
        scope=Scope.ALL,
        kind="amount",
        amount_fen=3000,
        threshold_fen=29900,
        validity=Coupon.Validity.DAYS,
        valid_days=7,
        total_quantity=1000,
        per_person_limit=1,
        claimable=True,
        description="双12 全场通用，领取后 7 天内有效",
        claim_starts_at=starts_at,
        claim_ends_at=ends_at,
    )
    percent_off = rules.save_coupon(
        actor=operator,
        name="9 折券 最多减 ¥50",
        scope=Scope.ALL,
        kind="percent",
        percent_off_bp=1000,
        cap_fen=5000,
        threshold_fen=10000,
        validity=Coupon.Validity.DAYS,
        valid_days=10,
        total_quantity=500,
        per_person_limit=1,
        claimable=True,
        description="满 ¥100 可用，打 9 折，最多减 ¥50",
        claim_starts_at=starts_at,
        claim_ends_at=ends_at,
    )
    newcomer = rules.save_coupon(
        actor=operator,
        name="新人无门槛 ¥5",
        scope=Scope.ALL,
        kind="amount",
        amount_fen=500,
        threshold_fen=0,
        validity=Coupon.Validity.DAYS,
        valid_days=30,
        total_quantity=100_000,
        per_person_limit=1,
        claimable=False,
        for_newcomers=True,
        description="新用户注册即送，30 天内有效",
        claim_starts_at=starts_at,
        claim_ends_at=ends_at,
    )
    gift = _sku(GIFT_SKU)
    top_tier = {"threshold": 69900, "amount_off_fen": 10000, "free_shipping": True, "points": 200}
    if gift is not None:
        top_tier |= {"gift_sku_id": gift.pk, "gift_quantity": 1}
    reduction = rules.save_full_reduction(
        actor=operator,
        name="双12 满减送",
        scope=Scope.ALL,
        basis=FullReduction.Basis.AMOUNT,
        starts_at=starts_at,
        ends_at=ends_at,
        tiers=[
            {"threshold": 19900, "amount_off_fen": 2000},
            {"threshold": 39900, "amount_off_fen": 5000, "free_shipping": True},
            top_tier,
        ],
    )
    timed_skus = [sku for code in TIMED_SKUS if (sku := _sku(code)) is not None]
    discounts = []
    if timed_skus:
        discounts.append(
            rules.save_timed_discount(
                actor=operator,
                name="双12 限时 8 折",
                starts_at=starts_at,
                ends_at=ends_at,
                items=[{"sku_id": sku.pk, "mode": "percent", "percent_off_bp": 2000} for sku in timed_skus],
            )
        )
    campaign = Campaign(
        name=CAMPAIGN_NAME,
        kind=Campaign.Kind.SALE,
        starts_at=starts_at,
        ends_at=ends_at,
        description="年终好物集中上新：满减送、限时 8 折、领券再减，合伙人提前 24 小时开抢",
        early_access_hours=24,
    )
    top_level = Level.objects.order_by("-rank").first()
    campaigns.save_campaign(
        campaign=campaign,
        actor=operator,
        levels=[top_level] if top_level is not None else [],
        coupons=[threshold_off, percent_off, newcomer],
        full_reductions=[reduction],
        timed_discounts=discounts,
    )
    return made + 5 + len(discounts)


# --- referral rewards and the starter pack ---------------------------------------------------------------


@transaction.atomic
def make_demo_referral_and_starter() -> int:
    """老带新 with a ¥20 coupon for each side (the settings row makes them when first read), and the
    distributor starter pack: a coupon for a sample product and 100 points."""
    made = 0 if ReferralSettings.objects.filter(pk=1).exists() else 1
    referrals.referral_settings()
    pack = starter.starter_pack()
    sample = _sku(SAMPLE_PRODUCT_SKU)
    if pack.coupons.exists() or pack.points or sample is None:
        return made
    product = Product.objects.get(pk=sample.product_id)
    coupon = Coupon.objects.filter(name="样品体验券").first() or rules.save_coupon(
        actor=None,
        name="样品体验券",
        scope=Scope.PRODUCTS,
        products=[product],
        kind="amount",
        amount_fen=sample.retail_fen,
        threshold_fen=0,
        validity=Coupon.Validity.DAYS,
        valid_days=30,
        total_quantity=10_000,
        per_person_limit=1,
        claimable=False,
        description=f"新晋分销商免费试用「{product.name}」一件",
    )
    pack.coupons.set([coupon])
    pack.points = 100
    pack.enabled = True
    pack.save(update_fields=["points", "enabled", "updated_at"])
    return made + 1


# --- the demo consumer's membership, points and coupons ----------------------------------------------------

ADDRESS = {
    "receiver": "顾客01",
    "phone": DEMO_CONSUMER_PHONE,
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 100 号 3 幢 501 室",
}


def make_demo_wallet(operator) -> int:
    """The demo consumer: 银卡 (spending carried over from before the shop opened), 3,000 points, and
    coupons usable, used (by a paid order with 满减, the coupon and points), expired and revoked."""
    consumer = User.objects.filter(phone=DEMO_CONSUMER_PHONE).first()
    campaign = Campaign.objects.filter(name=CAMPAIGN_NAME).first()
    if consumer is None or campaign is None:
        return 0
    made = 0
    with transaction.atomic():
        if not MemberSpend.objects.filter(reference=HISTORY_REFERENCE).exists():
            members.record_completed_spend(
                consumer.pk, HISTORY_REFERENCE, SPEND_CARRIED_OVER_FEN, at=timezone.now() - timedelta(days=60)
            )
            made += 1
        if not PointsLot.objects.filter(source=PointsSource.GRANT, reference=POINTS_REFERENCE).exists():
            members.grant(consumer.pk, DEMO_POINTS, PointsSource.GRANT, POINTS_REFERENCE, operator, note="演示：会员积分")
            made += 1
    by_name = {c.name: c for c in Coupon.objects.filter(campaign=campaign)}
    held = set(UserCoupon.objects.filter(user=consumer).values_list("coupon__name", flat=True))

    # usable: one claimed on the landing page, and the newcomer coupon a new account gets
    for name, give in (
        ("满 ¥299 减 ¥30", lambda c: coupons.claim(user=consumer, coupon_id=c.pk)),
        (
            "新人无门槛 ¥5",
            lambda c: coupons.issue(coupon_id=c.pk, user_ids=[consumer.pk], actor=None, source=coupons.Source.NEWCOMER),
        ),
    ):
        if name in by_name and name not in held:
            give(by_name[name])
            made += 1
    # used: the 9 折 coupon on a paid order that also meets the 满减送 and spends some points
    percent = by_name.get("9 折券 最多减 ¥50")
    if percent is not None and percent.name not in held:
        made += _order_with_coupon(consumer, percent)
    # expired: a 双11 coupon held last month and never used
    if EXPIRED_NAME not in held:
        made += _expired_coupon(consumer, operator)
    # revoked: a compensation coupon taken back once the complaint was refunded instead
    if REVOKED_NAME not in held:
        made += _revoked_coupon(consumer, operator)
    return made


EXPIRED_NAME = "双11 无门槛 ¥15"
REVOKED_NAME = "客服补偿 ¥10"


def _order_with_coupon(consumer, coupon: Coupon) -> int:
    """护肤三件套 (限时 8 折) and 防晒隔离乳 (银卡 price): past ¥399, so 减 ¥50 and free shipping, then
    the 9 折 coupon and 300 points; paid with the development provider. Returns 1 when the order was
    made (0 when the stock ran out)."""
    skus = [sku for code in ("BE005-1", "BE004-1") if (sku := _sku(code)) is not None]
    if not skus:
        return 0
    held = coupons.claim(user=consumer, coupon_id=coupon.pk)
    try:
        with transaction.atomic():
            order = orders.place_order(
                user=consumer,
                items=[(sku.pk, 1) for sku in skus],
                address=ADDRESS,
                note=ORDER_NOTE,
                coupon=held.pk,
                points=300,
            )
    except DomainError:
        return 0  # sold out meanwhile: the coupon stays usable
    with override_settings(FENXIAO_DEV_PAYMENTS=True):
        orders.pay_with_dev_provider(user=consumer, order_id=order.pk)
    commissions.accrue_pending()  # what the accrual job does once the payment has committed
    return 1


def _expired_coupon(consumer, operator) -> int:
    """Issued during 双11 with 3 days to use it, then moved back in time as a whole (like the demo's
    completed orders), so it shows as expired; the 双11 coupon itself has ended."""
    coupon = Coupon.objects.filter(name=EXPIRED_NAME).first() or rules.save_coupon(
        actor=operator,
        name=EXPIRED_NAME,
        scope=Scope.ALL,
        kind="amount",
        amount_fen=1500,
        threshold_fen=0,
        validity=Coupon.Validity.DAYS,
        valid_days=3,
        total_quantity=2000,
        per_person_limit=1,
        claimable=False,
        description="双11 会员专享，发放后 3 天内有效",
    )
    if coupon.status == RunStatus.ENDED:
        return 0
    with transaction.atomic():
        coupons.issue(coupon_id=coupon.pk, user_ids=[consumer.pk], actor=operator, source=coupons.Source.ISSUE)
        rules.end(kind=PromotionAudit.Kind.COUPON, object_id=coupon.pk, actor=operator, note="双11 已结束")
        held = UserCoupon.objects.get(coupon=coupon, user=consumer)
        shift = held.claimed_at - (timezone.now() - timedelta(days=26))
        UserCoupon.objects.filter(pk=held.pk).update(
            claimed_at=held.claimed_at - shift, valid_from=held.valid_from - shift, valid_until=held.valid_until - shift
        )
        for event in UserCouponEvent.objects.filter(user_coupon=held):
            UserCouponEvent.objects.filter(pk=event.pk).update(created_at=event.created_at - shift)
    return 1


def _revoked_coupon(consumer, operator) -> int:
    coupon = Coupon.objects.filter(name=REVOKED_NAME).first() or rules.save_coupon(
        actor=operator,
        name=REVOKED_NAME,
        scope=Scope.ALL,
        kind="amount",
        amount_fen=1000,
        threshold_fen=0,
        validity=Coupon.Validity.DAYS,
        valid_days=15,
        total_quantity=100,
        per_person_limit=1,
        claimable=False,
        description="客服补偿，发放后 15 天内有效",
    )
    with transaction.atomic():
        result = coupons.issue(coupon_id=coupon.pk, user_ids=[consumer.pk], actor=operator, source=coupons.Source.ISSUE)
        if not result.issued:
            return 0
        held = UserCoupon.objects.get(coupon=coupon, user=consumer)
        coupons.revoke(user_coupon_id=held.pk, actor=operator, reason="投诉已改为退款处理，收回补偿券")
    return 1
