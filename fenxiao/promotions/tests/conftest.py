from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.promotions.models import (
    Coupon,
    FullReduction,
    FullReductionTier,
    QuantityTier,
    TimedDiscount,
    TimedDiscountItem,
    UserCoupon,
)
from tests.factories import ADDRESS, UserFactory


@pytest.fixture
def address():
    return dict(ADDRESS)


@pytest.fixture
def buyer(db):
    return UserFactory()


def window(hours: int = 24):
    now = timezone.now()
    return now - timedelta(hours=1), now + timedelta(hours=hours)


def make_coupon(**fields) -> Coupon:
    starts, ends = window(24 * 30)
    values = {
        "name": "券",
        "kind": "amount",
        "amount_fen": 1000,
        "threshold_fen": 0,
        "validity": "dates",
        "valid_from": starts,
        "valid_until": ends,
        "total_quantity": 100,
        "per_person_limit": 5,
    }
    values.update(fields)
    products = values.pop("products", None)
    categories = values.pop("categories", None)
    coupon = Coupon.objects.create(**values)
    if products:
        coupon.products.set(products)
    if categories:
        coupon.categories.set(categories)
    return coupon


def give(user, coupon: Coupon, *, seq: int = 1, valid_from=None, valid_until=None) -> UserCoupon:
    now = timezone.now()
    return UserCoupon.objects.create(
        coupon=coupon,
        user=user,
        seq=seq,
        source="issue",
        valid_from=valid_from or now - timedelta(minutes=1),
        valid_until=valid_until or now + timedelta(days=7),
    )


def make_reduction(tiers, *, basis="amount", name="满减", products=None, categories=None, scope=None) -> FullReduction:
    starts, ends = window()
    rule = FullReduction.objects.create(
        name=name,
        basis=basis,
        starts_at=starts,
        ends_at=ends,
        scope=scope or ("products" if products else "categories" if categories else "all"),
    )
    if products:
        rule.products.set(products)
    if categories:
        rule.categories.set(categories)
    for tier in tiers:
        FullReductionTier.objects.create(rule=rule, **tier)
    return rule


def make_timed(items, *, name="限时折扣") -> TimedDiscount:
    starts, ends = window()
    discount = TimedDiscount.objects.create(name=name, starts_at=starts, ends_at=ends)
    for sku, fields in items:
        TimedDiscountItem.objects.create(discount=discount, sku=sku, **fields)
    return discount


def make_tier(sku, min_quantity: int, percent_off_bp: int) -> QuantityTier:
    return QuantityTier.objects.create(sku=sku, min_quantity=min_quantity, percent_off_bp=percent_off_bp)
