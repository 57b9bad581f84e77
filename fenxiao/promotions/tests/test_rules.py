"""The operator's rules service: values checked, overlapping 满减送 and timed discounts refused (each
scope combination, windows touching vs overlapping, paused ones not counting, resume refused),
pause / resume / end through the transition table, an audit row for every write, and the figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fenxiao.orders.models import OrderLine, OrderLineAdjustment
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.figures import figures
from fenxiao.promotions.models import Coupon, FullReduction, PromotionAudit, RunStatus, TimedDiscount, UserCoupon
from fenxiao.promotions.services import rules
from fenxiao.promotions.stages import PriceStage
from tests.factories import CategoryFactory, OrderRecordFactory, ProductFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
Kind = PromotionAudit.Kind


@pytest.fixture
def operator():
    return StaffFactory()


def at(hours: float):
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return base + timedelta(hours=hours)


def coupon_values(**changes):
    values = {
        "name": "满100减20",
        "scope": "all",
        "kind": "amount",
        "amount_fen": 2000,
        "threshold_fen": 10000,
        "validity": "dates",
        "valid_until": at(24 * 30),
        "total_quantity": 100,
        "per_person_limit": 1,
    }
    return {**values, **changes}


def reduction(operator, *, start=0, end=10, scope="all", categories=(), products=(), name="满减", tiers=None):
    return rules.save_full_reduction(
        actor=operator,
        name=name,
        scope=scope,
        basis="amount",
        starts_at=at(start),
        ends_at=at(end),
        categories=categories,
        products=products,
        tiers=[{"threshold": 10000, "amount_off_fen": 1000}] if tiers is None else tiers,
    )


def timed(operator, skus, *, start=0, end=10, name="限时"):
    return rules.save_timed_discount(
        actor=operator,
        name=name,
        starts_at=at(start),
        ends_at=at(end),
        items=[{"sku_id": s.pk, "mode": "percent", "percent_off_bp": 1000} for s in skus],
    )


def refused(code, call, *args, **kwargs) -> PromotionError:
    with pytest.raises(PromotionError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    return caught.value


# --- values ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"amount_fen": 0}, "amount_fen"),
        ({"amount_fen": -5}, "amount_fen"),
        ({"kind": "percent", "percent_off_bp": 0}, "percent_off_bp"),
        ({"kind": "percent", "percent_off_bp": 10000}, "percent_off_bp"),
        ({"kind": "percent", "percent_off_bp": 1000, "cap_fen": -1}, "cap_fen"),
        ({"threshold_fen": -1}, "threshold_fen"),
        ({"valid_until": None}, "valid_until"),
        ({"valid_from": at(48), "valid_until": at(24)}, "valid_until"),
        ({"validity": "days", "valid_days": 0}, "valid_days"),
        ({"claim_starts_at": at(5), "claim_ends_at": at(5)}, "claim_ends_at"),
        ({"claim_ends_at": at(24 * 31)}, "claim_ends_at"),
        ({"total_quantity": 0}, "total_quantity"),
        ({"scope": "categories"}, "categories"),
        ({"scope": "products"}, "products"),
    ],
)
def test_coupon_values_are_checked(operator, changes, field):
    error = refused("invalid_promotion", rules.save_coupon, actor=operator, **coupon_values(**changes))
    assert error.detail["field"] == field
    assert not Coupon.objects.exists()


def test_percentage_coupon_keeps_only_its_own_fields(operator):
    coupon = rules.save_coupon(actor=operator, **coupon_values(kind="percent", percent_off_bp=1500, cap_fen=0, amount_fen=999))
    assert (coupon.amount_fen, coupon.percent_off_bp, coupon.cap_fen) == (0, 1500, 0)
    days = rules.save_coupon(actor=operator, **coupon_values(validity="days", valid_days=7))
    assert (days.valid_until, days.valid_days) == (None, 7)


def test_issued_coupon_keeps_its_value_and_at_least_its_issued_total(operator):
    coupon = rules.save_coupon(actor=operator, **coupon_values())
    Coupon.objects.filter(pk=coupon.pk).update(issued_count=10)
    refused("invalid_promotion", rules.save_coupon, actor=operator, coupon_id=coupon.pk, **coupon_values(amount_fen=3000))
    error = refused(
        "invalid_promotion", rules.save_coupon, actor=operator, coupon_id=coupon.pk, **coupon_values(total_quantity=9)
    )
    assert error.detail["field"] == "total_quantity"
    changed = rules.save_coupon(actor=operator, coupon_id=coupon.pk, **coupon_values(name="新名字", total_quantity=10))
    assert changed.name == "新名字"


@pytest.mark.parametrize(
    "tiers",
    [
        [],
        [{"threshold": 10000, "amount_off_fen": 1000}, {"threshold": 10000, "amount_off_fen": 2000}],
        [{"threshold": 10000, "amount_off_fen": 2000}, {"threshold": 20000, "amount_off_fen": 1000}],
        [{"threshold": 0, "amount_off_fen": 100}],
        [{"threshold": 10000, "amount_off_fen": -1}],
        [{"threshold": 10000, "amount_off_fen": 0}],
        [{"threshold": 1000, "amount_off_fen": 2000}],
    ],
)
def test_full_reduction_tiers_are_checked(operator, tiers):
    refused("invalid_promotion", reduction, operator, tiers=tiers)
    assert not FullReduction.objects.exists()


def test_full_reduction_window_and_tier_order(operator):
    refused("invalid_promotion", reduction, operator, start=5, end=5)
    rule = reduction(
        operator,
        tiers=[
            {"threshold": 30000, "amount_off_fen": 5000},
            {"threshold": 10000, "amount_off_fen": 0, "free_shipping": True},
            {"threshold": 20000, "amount_off_fen": 3000},
        ],
    )
    assert list(rule.tiers.values_list("threshold", "amount_off_fen")) == [(10000, 0), (20000, 3000), (30000, 5000)]


def test_timed_discount_items_are_checked(operator):
    sku = SkuFactory(retail_fen=5000)
    bad_items = [
        [],
        [{"sku_id": sku.pk, "mode": "amount", "amount_off_fen": 5000}],
        [{"sku_id": sku.pk, "mode": "percent", "percent_off_bp": 10000}],
        [
            {"sku_id": sku.pk, "mode": "percent", "percent_off_bp": 100},
            {"sku_id": sku.pk, "mode": "percent", "percent_off_bp": 200},
        ],
        [{"sku_id": 999999, "mode": "percent", "percent_off_bp": 100}],
    ]
    for items in bad_items:
        refused(
            "invalid_promotion", rules.save_timed_discount, actor=operator, name="x", starts_at=at(0), ends_at=at(1), items=items
        )
    assert not TimedDiscount.objects.exists()


def test_quantity_tiers_grow_with_quantity(operator):
    sku = SkuFactory()
    rules.save_quantity_tier(actor=operator, sku_id=sku.pk, min_quantity=3, percent_off_bp=500)
    refused("invalid_promotion", rules.save_quantity_tier, actor=operator, sku_id=sku.pk, min_quantity=1, percent_off_bp=500)
    refused("invalid_promotion", rules.save_quantity_tier, actor=operator, sku_id=sku.pk, min_quantity=3, percent_off_bp=800)
    refused("invalid_promotion", rules.save_quantity_tier, actor=operator, sku_id=sku.pk, min_quantity=5, percent_off_bp=300)
    refused("invalid_promotion", rules.save_quantity_tier, actor=operator, sku_id=sku.pk, min_quantity=2, percent_off_bp=800)
    tier = rules.save_quantity_tier(actor=operator, sku_id=sku.pk, min_quantity=5, percent_off_bp=800)
    assert tier.percent_off_bp == 800


# --- overlap --------------------------------------------------------------------------------------------


@pytest.fixture
def shop():
    shoes, bags = CategoryFactory(), CategoryFactory()
    return {
        "shoes": shoes,
        "bags": bags,
        "boot": ProductFactory(category=shoes),
        "sandal": ProductFactory(category=shoes),
        "tote": ProductFactory(category=bags),
    }


SCOPES = {
    "all": lambda s: {"scope": "all"},
    "shoes": lambda s: {"scope": "categories", "categories": [s["shoes"].pk]},
    "bags": lambda s: {"scope": "categories", "categories": [s["bags"].pk]},
    "boot": lambda s: {"scope": "products", "products": [s["boot"].pk]},
    "sandal": lambda s: {"scope": "products", "products": [s["sandal"].pk]},
    "tote": lambda s: {"scope": "products", "products": [s["tote"].pk]},
}


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        ("all", "all", True),
        ("all", "tote", True),
        ("shoes", "all", True),
        ("shoes", "shoes", True),
        ("shoes", "bags", False),
        ("boot", "boot", True),
        ("boot", "sandal", False),
        ("shoes", "sandal", True),  # categories vs products, through the product's category
        ("tote", "shoes", False),
        ("bags", "tote", True),
    ],
)
def test_full_reduction_overlap_by_scope(operator, shop, first, second, clash):
    existing = reduction(operator, name="已有", **SCOPES[first](shop))
    if clash:
        error = refused("activity_overlap", reduction, operator, start=5, end=15, **SCOPES[second](shop))
        assert error.status == 409
        assert error.detail["other_id"] == existing.pk and error.detail["other_name"] == "已有"
        assert "已有" in error.message
    else:
        reduction(operator, start=5, end=15, **SCOPES[second](shop))


def test_windows_that_touch_do_not_overlap(operator):
    reduction(operator, start=0, end=10)
    reduction(operator, start=10, end=20)
    reduction(operator, start=-10, end=0)
    refused("activity_overlap", reduction, operator, start=9, end=11)
    refused("activity_overlap", reduction, operator, start=-20, end=30)


def test_paused_and_ended_do_not_count_and_resume_is_refused_on_overlap(operator):
    first = reduction(operator, name="第一")
    rules.pause(kind=Kind.FULL_REDUCTION, object_id=first.pk, actor=operator)
    second = reduction(operator, name="第二")
    error = refused("activity_overlap", rules.resume, kind=Kind.FULL_REDUCTION, object_id=first.pk, actor=operator)
    assert error.detail["other_id"] == second.pk
    assert FullReduction.objects.get(pk=first.pk).status == RunStatus.PAUSED
    rules.end(kind=Kind.FULL_REDUCTION, object_id=second.pk, actor=operator)
    rules.resume(kind=Kind.FULL_REDUCTION, object_id=first.pk, actor=operator)
    assert FullReduction.objects.get(pk=first.pk).status == RunStatus.ACTIVE


def test_update_checks_overlap_and_skips_itself(operator, shop):
    reduction(operator, name="鞋", **SCOPES["shoes"](shop))
    bags = reduction(operator, name="包", **SCOPES["bags"](shop))
    reduction_values = {
        "name": "包",
        "basis": "amount",
        "starts_at": at(0),
        "ends_at": at(12),
        "tiers": [{"threshold": 100, "amount_off_fen": 10}],
    }
    rules.save_full_reduction(actor=operator, rule_id=bags.pk, **SCOPES["bags"](shop), **reduction_values)
    refused("activity_overlap", rules.save_full_reduction, actor=operator, rule_id=bags.pk, scope="all", **reduction_values)
    # a paused one may be changed to anything; resuming it is what is checked
    rules.pause(kind=Kind.FULL_REDUCTION, object_id=bags.pk, actor=operator)
    rules.save_full_reduction(actor=operator, rule_id=bags.pk, scope="all", **reduction_values)
    refused("activity_overlap", rules.resume, kind=Kind.FULL_REDUCTION, object_id=bags.pk, actor=operator)


def test_timed_discounts_overlap_through_the_product_of_their_skus(operator):
    boot = ProductFactory()
    small, large = SkuFactory(product=boot), SkuFactory(product=boot)
    other = SkuFactory()
    first = timed(operator, [small], name="靴子")
    error = refused("activity_overlap", timed, operator, [large], start=5, end=15)
    assert error.detail["other_id"] == first.pk
    timed(operator, [other], start=5, end=15)
    timed(operator, [large], start=10, end=20)  # touching
    rules.pause(kind=Kind.TIMED_DISCOUNT, object_id=first.pk, actor=operator)
    timed(operator, [large], start=-5, end=5)
    refused("activity_overlap", rules.resume, kind=Kind.TIMED_DISCOUNT, object_id=first.pk, actor=operator)


# --- transitions and audit ------------------------------------------------------------------------------


def test_transitions_follow_the_table_and_are_recorded(operator):
    coupon = rules.save_coupon(actor=operator, **coupon_values())
    refused("invalid_transition", rules.resume, kind=Kind.COUPON, object_id=coupon.pk, actor=operator)
    rules.pause(kind=Kind.COUPON, object_id=coupon.pk, actor=operator, note="库存不足")
    refused("invalid_transition", rules.pause, kind=Kind.COUPON, object_id=coupon.pk, actor=operator)
    rules.resume(kind=Kind.COUPON, object_id=coupon.pk, actor=operator)
    rules.end(kind=Kind.COUPON, object_id=coupon.pk, actor=operator)
    for move in (rules.pause, rules.resume, rules.end):
        error = refused("invalid_transition", move, kind=Kind.COUPON, object_id=coupon.pk, actor=operator)
        assert error.status == 409
    refused("invalid_promotion", rules.save_coupon, actor=operator, coupon_id=coupon.pk, **coupon_values())
    refused("promotion_not_found", rules.pause, kind=Kind.COUPON, object_id=coupon.pk + 100, actor=operator)
    rows = list(PromotionAudit.objects.filter(kind=Kind.COUPON, object_id=coupon.pk).order_by("id"))
    assert [r.action for r in rows] == ["created", "paused", "resumed", "ended"]
    assert all(r.actor_id == operator.pk for r in rows)
    assert rows[1].note == "库存不足" and rows[1].changes == {"status": ["active", "paused"]}


def test_ending_a_coupon_keeps_the_coupons_people_hold(operator):
    coupon = rules.save_coupon(actor=operator, **coupon_values())
    held = UserCoupon.objects.create(
        coupon=coupon, user=UserFactory(), seq=1, source="issue", valid_from=timezone.now(), valid_until=at(24 * 30)
    )
    rules.end(kind=Kind.COUPON, object_id=coupon.pk, actor=operator)
    held.refresh_from_db()
    assert held.status == UserCoupon.Status.AVAILABLE


def test_update_records_each_changed_field(operator, shop):
    coupon = rules.save_coupon(actor=operator, **coupon_values())
    rules.save_coupon(
        actor=operator, coupon_id=coupon.pk, **coupon_values(name="改名", scope="categories", categories=[shop["shoes"].pk])
    )
    rules.save_coupon(
        actor=operator, coupon_id=coupon.pk, **coupon_values(name="改名", scope="categories", categories=[shop["shoes"]])
    )
    rows = list(PromotionAudit.objects.filter(kind=Kind.COUPON, object_id=coupon.pk, action="updated"))
    assert len(rows) == 1  # saving the same values again records nothing
    assert rows[0].changes == {
        "name": ["满100减20", "改名"],
        "scope": ["all", "categories"],
        "categories": [[], [shop["shoes"].pk]],
    }
    rule = reduction(operator)
    reduction_values = {"name": "满减", "scope": "all", "basis": "amount", "starts_at": at(0), "ends_at": at(10)}
    rules.save_full_reduction(
        actor=operator, rule_id=rule.pk, tiers=[{"threshold": 10000, "amount_off_fen": 1500}], **reduction_values
    )
    change = PromotionAudit.objects.get(kind=Kind.FULL_REDUCTION, object_id=rule.pk, action="updated")
    assert list(change.changes) == ["tiers"]
    assert change.changes["tiers"][1][0]["amount_off_fen"] == 1500


# --- figures --------------------------------------------------------------------------------------------


def _used(order, stage, source_id, amount):
    line = OrderLine.objects.filter(order=order).first()
    OrderLineAdjustment.objects.create(line=line, stage=stage, source_id=source_id, label="x", amount_fen=amount)


def test_figures_count_paid_orders_net_of_refunds_in_constant_queries(operator):
    coupon = rules.save_coupon(actor=operator, **coupon_values())
    other = rules.save_coupon(actor=operator, **coupon_values(name="另一张"))
    sku = SkuFactory(retail_fen=10000)
    paid = OrderRecordFactory(lines=[{"sku": sku}, {"sku": sku}])  # 20000 + 1000 shipping
    partly = OrderRecordFactory(lines=[{"sku": sku, "refunded_fen": 4000}])
    fully = OrderRecordFactory(lines=[{"sku": sku, "refunded_fen": 10000}], shipping_fen=0)
    unpaid = OrderRecordFactory(lines=[{"sku": sku}], paid_at=None, completed_at=None, status="pending_payment")
    for line in OrderLine.objects.filter(order=paid):
        OrderLineAdjustment.objects.create(line=line, stage=PriceStage.COUPON, source_id=coupon.pk, amount_fen=500)
    _used(partly, PriceStage.COUPON, coupon.pk, 700)
    _used(fully, PriceStage.COUPON, coupon.pk, 900)
    _used(unpaid, PriceStage.COUPON, coupon.pk, 300)
    _used(paid, PriceStage.FULL_REDUCTION, coupon.pk, 2000)  # another stage with the same id
    Coupon.objects.filter(pk=coupon.pk).update(issued_count=3)
    for seq, status in enumerate(["used", "used", "available"], start=1):
        UserCoupon.objects.create(
            coupon_id=coupon.pk,
            user=UserFactory(),
            seq=seq,
            source="issue",
            status=status,
            order_reference="RC1" if status == "used" else "",
            valid_from=timezone.now(),
            valid_until=at(100),
        )
    with CaptureQueriesContext(connection) as queries:
        numbers = figures(Kind.COUPON, [coupon.pk, other.pk])
    assert len(queries) == 3
    assert numbers[coupon.pk] == {
        "issued": 3,
        "used": 2,
        "orders": 2,
        "gmv_fen": (paid.paid_fen - paid.refunded_fen) + (partly.paid_fen - partly.refunded_fen),
        "cost_fen": 500 + 500 + 700,
    }
    assert numbers[other.pk] == {"issued": 0, "used": 0, "orders": 0, "gmv_fen": 0, "cost_fen": 0}
    assert figures(Kind.FULL_REDUCTION, [coupon.pk])[coupon.pk]["cost_fen"] == 2000


def test_a_promotion_of_a_campaign_stays_within_its_window(db):
    from fenxiao.promotions.models import Campaign

    now = timezone.now()
    campaign = Campaign.objects.create(name="周年庆", starts_at=now, ends_at=now + timedelta(days=3))
    sku = SkuFactory()
    actor = StaffFactory(is_superuser=True)
    items = [{"sku_id": sku.pk, "mode": "percent", "percent_off_bp": 1000, "amount_off_fen": 0}]
    discount = rules.save_timed_discount(
        actor=actor, items=items, name="周年折扣", starts_at=now, ends_at=now + timedelta(days=1)
    )
    TimedDiscount.objects.filter(pk=discount.pk).update(campaign=campaign)
    with pytest.raises(PromotionError) as exc:
        rules.save_timed_discount(
            actor=actor, items=items, discount_id=discount.pk, name="周年折扣", starts_at=now, ends_at=now + timedelta(days=5)
        )
    assert exc.value.code == "invalid_promotion"
    discount.refresh_from_db()
    assert discount.ends_at == now + timedelta(days=1)
