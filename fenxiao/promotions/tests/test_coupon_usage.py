"""A held coupon through an order's life: reserved when placed, used when paid, given back on every
exit (cancel, unpaid expiry, the automatic refund of a late payment, a full refund when the setting
says so), and never used by two orders."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fenxiao.common.errors import DomainError
from fenxiao.orders import services
from fenxiao.orders.models import Order
from fenxiao.promotions.models import PromotionSettings, UserCoupon
from tests.factories import SkuFactory, StaffFactory, UserFactory

from .conftest import give, make_coupon

pytestmark = pytest.mark.django_db

S = Order.Status
C = UserCoupon.Status


@pytest.fixture
def sku(db):
    return SkuFactory(retail_fen=20000, suggested_retail_fen=20000, control_fen=1, cost_fen=1, stock=10)


@pytest.fixture
def held(buyer):
    return give(buyer, make_coupon(name="立减10元", amount_fen=1000))


def place(buyer, sku, address, **kwargs):
    return services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, **kwargs)


def status(held):
    held.refresh_from_db()
    return held.status


def test_placed_reserves_paid_uses(buyer, sku, address, held):
    order = place(buyer, sku, address)
    assert order.user_coupon_id == held.pk and order.total_fen == 19000
    assert status(held) == C.RESERVED and held.order_reference == f"order:{order.pk}"
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    assert status(held) == C.USED and held.used_at is not None
    assert [e.to_status for e in held.events.all()] == [C.RESERVED, C.USED]


def test_a_reserved_coupon_is_not_offered_to_the_next_order(buyer, sku, address, held):
    place(buyer, sku, address)
    second = place(buyer, sku, address)
    assert second.user_coupon_id is None and second.total_fen == 20000


def test_cancel_before_payment_gives_it_back(buyer, sku, address, held):
    order = place(buyer, sku, address)
    services.cancel_order(order_id=order.pk, actor=buyer)
    assert status(held) == C.AVAILABLE
    again = place(buyer, sku, address)
    assert again.user_coupon_id == held.pk


def test_cancel_after_payment_gives_it_back(buyer, sku, address, held):
    order = place(buyer, sku, address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    services.cancel_order(order_id=order.pk, actor=buyer)
    assert status(held) == C.AVAILABLE


def test_unpaid_expiry_gives_it_back(buyer, sku, address, held):
    place(buyer, sku, address)
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(hours=2)) == 1
    assert status(held) == C.AVAILABLE


@pytest.fixture
def provider_already_paid(monkeypatch):
    from fenxiao.payments import services as payments
    from fenxiao.payments.errors import PaymentError

    def refuse(**kwargs):
        raise PaymentError("already_paid", "paid at the provider", status=409)

    monkeypatch.setattr(payments, "close_payment", refuse)


def _late(buyer, order):
    from fenxiao.payments import services as payments

    payment = services.start_payment(user=buyer, order_id=order.pk, provider="dev")
    services.expire_unpaid_orders(now=timezone.now() + timedelta(hours=2))
    return payment, payments


def test_late_payment_takes_the_coupon_again(buyer, sku, address, held, provider_already_paid):
    order = place(buyer, sku, address)
    payment, payments = _late(buyer, order)
    assert status(held) == C.AVAILABLE
    payments.complete_dev_payment(payment_id=payment.pk)
    order.refresh_from_db()
    assert order.status == S.PAID and status(held) == C.USED and held.order_reference == f"order:{order.pk}"


def test_late_payment_is_refunded_when_the_coupon_went_to_another_order(buyer, sku, address, held, provider_already_paid):
    order = place(buyer, sku, address)
    payment, payments = _late(buyer, order)
    other = place(buyer, sku, address)  # the coupon, back in the wallet, goes to this order
    assert other.user_coupon_id == held.pk
    payments.complete_dev_payment(payment_id=payment.pk)
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.refunded_fen == order.paid_fen == 19000
    assert order.events.filter(note__contains="优惠券").exists()
    assert status(held) == C.RESERVED and held.order_reference == f"order:{other.pk}"


def _refund_in_full(buyer, order):
    operator = StaffFactory(is_superuser=True)
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰", tracking_number="SF1")
    for line in order.lines.all():
        services.operator_refund_line(line_id=line.pk, amount_fen=line.paid_fen, actor=operator, reason="质量问题")


@pytest.mark.parametrize("give_back", [True, False])
def test_full_refund_gives_it_back_when_the_setting_says_so(buyer, sku, address, held, give_back):
    PromotionSettings.objects.update_or_create(pk=1, defaults={"return_coupon_on_refund": give_back})
    order = place(buyer, sku, address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    _refund_in_full(buyer, order)
    order.refresh_from_db()
    assert order.refunded_fen == 19000
    assert status(held) == (C.AVAILABLE if give_back else C.USED)


def test_a_partial_refund_keeps_it_used(buyer, address, held):
    a = SkuFactory(retail_fen=10000, suggested_retail_fen=10000, control_fen=1, cost_fen=1)
    b = SkuFactory(retail_fen=10000, suggested_retail_fen=10000, control_fen=1, cost_fen=1)
    order = services.place_order(user=buyer, items=[(a.pk, 1), (b.pk, 1)], address=address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    operator = StaffFactory(is_superuser=True)
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰", tracking_number="SF1")
    line = order.lines.first()
    services.operator_refund_line(line_id=line.pk, amount_fen=line.paid_fen, actor=operator, reason="破损")
    assert status(held) == C.USED


def test_the_coupon_given_back_after_its_validity_shows_expired(buyer, sku, address):
    now = timezone.now()
    held = give(buyer, make_coupon(), valid_until=now + timedelta(minutes=40))
    order = place(buyer, sku, address)
    assert order.user_coupon_id == held.pk
    services.expire_unpaid_orders(now=now + timedelta(hours=2))
    assert status(held) == C.AVAILABLE
    # past its validity now: no order can take it
    from fenxiao.promotions.services import usage

    UserCoupon.objects.filter(pk=held.pk).update(valid_until=now - timedelta(seconds=1))
    with pytest.raises(DomainError):
        usage.reserve(user_coupon_id=held.pk, user=buyer, reference="order:x")


@pytest.mark.django_db(transaction=True)
def test_two_orders_at_once_with_one_coupon_one_wins(address):
    buyer = UserFactory()
    sku = SkuFactory(retail_fen=10000, suggested_retail_fen=10000, control_fen=1, cost_fen=1, stock=50)
    held = give(buyer, make_coupon(amount_fen=1000))
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy():
        try:
            barrier.wait(30)
            try:
                services.place_order(user=buyer, items=[(sku.pk, 1)], address=address, coupon=held.pk)
                result = "ok"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "coupon_unavailable"}
    assert Order.objects.filter(user_coupon_id=held.pk).count() == 1
    held.refresh_from_db()
    assert held.status == C.RESERVED
