"""The member price against the timed discount, points as the last goods stage, the points an order
earns, and the points' way through the order's life (spent when placed, back when it ends unpaid or
is refunded in full, earned frozen when paid, available when completed, taken back in proportion to
a refund), and two orders spending the same points at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fenxiao.common.errors import DomainError
from fenxiao.members.models import MemberPrice, MemberSettings, MemberTier, PointsAccount
from fenxiao.members.services import points as member_points
from fenxiao.orders import services
from fenxiao.orders.models import Order
from fenxiao.promotions import pricing
from fenxiao.promotions.errors import PromotionError
from tests.factories import SkuFactory, StaffFactory, UserFactory

from .conftest import give, make_coupon, make_timed

pytestmark = pytest.mark.django_db


def sku_at(retail_fen: int, stock: int = 50):
    return SkuFactory(retail_fen=retail_fen, suggested_retail_fen=retail_fen, control_fen=1, cost_fen=100, stock=stock)


@pytest.fixture
def member_settings(db):
    row, _ = MemberSettings.objects.update_or_create(
        pk=1, defaults={"earn_points_per_yuan": 1, "points_per_yuan_off": 100, "max_points_share_bp": 5000}
    )
    return row


@pytest.fixture
def gold(db):
    return MemberTier.objects.create(name="金卡", min_spend_fen=0, points_multiplier_bp=20000)


def quote(user, *items, **kwargs):
    return services.quote_items(user=user, items=[(s.pk, n) for s, n in items], **kwargs)[1]


def available(user) -> int:
    return PointsAccount.objects.filter(user=user).values_list("available", flat=True).first() or 0


def frozen(user) -> int:
    return PointsAccount.objects.filter(user=user).values_list("frozen", flat=True).first() or 0


def test_the_better_of_member_price_and_timed_discount(buyer, gold, member_settings):
    a, b = sku_at(10000), sku_at(10000)
    MemberPrice.objects.create(tier=gold, sku=a, price_fen=8500)
    MemberPrice.objects.create(tier=gold, sku=b, price_fen=9500)
    make_timed([(a, {"mode": "percent", "percent_off_bp": 1000}), (b, {"mode": "percent", "percent_off_bp": 1000})])
    q = quote(buyer, (a, 2), (b, 1))
    by_sku = {line.sku_id: line for line in q.lines}
    assert by_sku[a.pk].stage_fen("member") == 1500 * 2 and by_sku[a.pk].stage_fen("timed") == 0
    assert by_sku[b.pk].stage_fen("timed") == 1000 and by_sku[b.pk].stage_fen("member") == 0


def test_points_pay_last_within_balance_and_cap(buyer, member_settings):
    sku = sku_at(10000)
    member_points.grant(buyer.pk, 20000, reference="test")
    give(buyer, make_coupon(amount_fen=2000))
    q = quote(buyer, (sku, 1), points=pricing.ALL_POINTS)
    line = q.lines[0]
    # ¥100 − ¥20 coupon = ¥80; points may pay half of that: ¥40 = 4,000 points
    assert line.stage_fen("coupon") == 2000 and line.stage_fen("points") == 4000
    assert q.points_used == 4000 and q.points_offer.max_points == 4000
    with pytest.raises(PromotionError) as exc:
        quote(buyer, (sku, 1), points=4001)
    assert exc.value.code == "points_over_limit"
    with pytest.raises(PromotionError) as exc:
        quote(UserFactory(), (sku, 1), points=1)
    assert exc.value.code == "not_enough_points"
    assert quote(buyer, (sku, 1), points=150).lines[0].stage_fen("points") == 150


def test_points_to_earn_follow_the_paid_goods_and_the_tier(buyer, gold, member_settings):
    sku = sku_at(10000)
    assert quote(buyer, (sku, 2)).points_to_earn == 200 * 2  # ¥200 × 1 point × 200 % (gold)
    give(buyer, make_coupon(amount_fen=5000))
    assert quote(buyer, (sku, 2)).points_to_earn == 150 * 2


def test_points_through_the_order(buyer, address, member_settings):
    sku = sku_at(10000)
    member_points.grant(buyer.pk, 3000, reference="test")
    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, points=pricing.ALL_POINTS)
    assert order.points_used == 3000 and order.discount_fen == 3000 and available(buyer) == 0
    services.cancel_order(order_id=order.pk, actor=buyer)
    assert available(buyer) == 3000

    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, points=1000)
    services.expire_unpaid_orders(now=timezone.now() + timedelta(hours=2))
    assert available(buyer) == 3000

    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, points=1000)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    order.refresh_from_db()
    assert order.price_breakdown["points_to_earn"] == 90  # ¥90 paid for goods
    assert available(buyer) == 2000 and frozen(buyer) == 90
    operator = StaffFactory(is_superuser=True)
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰", tracking_number="SF1")
    line = order.lines.get()
    services.operator_refund_line(line_id=line.pk, amount_fen=3000, actor=operator, reason="少件")
    assert frozen(buyer) == 60  # a third of ¥90 refunded: a third of the points taken back
    services.operator_refund_line(line_id=line.pk, amount_fen=6000, actor=operator, reason="退货")
    assert frozen(buyer) == 0 and available(buyer) == 3000  # refunded in full: the spent points back


def test_completion_makes_the_points_available(buyer, address, member_settings):
    sku = sku_at(10000)
    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    operator = StaffFactory(is_superuser=True)
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰", tracking_number="SF1")
    services.confirm_receipt(order_id=order.pk, user=buyer)
    assert frozen(buyer) == 100
    assert services.complete_orders(now=timezone.now() + timedelta(days=30)) == 1
    assert frozen(buyer) == 0 and available(buyer) == 100


@pytest.mark.django_db(transaction=True)
def test_two_orders_spending_the_same_points_at_once(address):
    MemberSettings.objects.update_or_create(pk=1, defaults={"points_per_yuan_off": 100, "max_points_share_bp": 5000})
    buyer = UserFactory()
    sku = sku_at(100000)
    member_points.grant(buyer.pk, 5000, reference="test")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy():
        try:
            barrier.wait(30)
            try:
                services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, points=5000)
                result = "ok"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "insufficient_points", "not_enough_points"}
    assert Order.objects.filter(user=buyer, points_used=5000).count() == 1
    assert available(buyer) == 0
