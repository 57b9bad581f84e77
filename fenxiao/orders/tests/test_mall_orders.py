"""Products of the points mall as orders: one line at the item's cash price and no promotion, the points
spent by the order, paid at once when there is nothing to pay, and the points and the unit given back
when the order is cancelled or expires."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.commissions.models import Commission
from fenxiao.distribution.services import bind_customer
from fenxiao.inventory.models import StockRecord
from fenxiao.members import selectors as member_selectors
from fenxiao.members.services import points as member_points
from fenxiao.orders import services
from fenxiao.orders.models import Order
from fenxiao.payments.models import Payment
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import PointsExchange, PointsMallItem
from fenxiao.promotions.tests.conftest import make_coupon, make_reduction
from tests.factories import SkuFactory, accrue_commissions

pytestmark = pytest.mark.django_db
S = Order.Status


def stock(sku):
    return StockRecord.objects.get(sku=sku, location="main")


def balance(user) -> int:
    return member_selectors.spendable_points(user.pk, timezone.now())


@pytest.fixture
def rich(buyer):
    member_points.grant(buyer.pk, 3000, reference="mall-orders")
    return buyer


def product_item(sku, **fields) -> PointsMallItem:
    values = {"name": "精华液兑换", "kind": "product", "sku": sku, "points_price": 1000, "cash_fen": 0, "total_quantity": 5}
    values.update(fields)
    return PointsMallItem.objects.create(**values)


@pytest.fixture
def free_shipping(settings):
    settings.FENXIAO_SHIPPING_FEE_FEN = 0


def test_points_only_with_free_shipping_is_paid_at_once(rich, sku, address, distributor, free_shipping):
    bind_customer(customer=rich, distributor=distributor)
    item = product_item(sku)

    order = services.place_mall_order(user=rich, item_id=item.pk, address=address)

    order.refresh_from_db()
    assert order.status == S.PAID and order.paid_at and order.paid_fen == 0 and order.payment_id is None
    assert (order.goods_fen, order.discount_fen, order.shipping_fen, order.total_fen) == (0, 0, 0, 0)
    assert order.points_used == 1000 and balance(rich) == 2000
    assert order.distributor_id == distributor.pk
    assert order.events.filter(to_status=S.PAID, note="积分兑换，无需付款").exists()
    assert not Payment.objects.exists()
    line = order.lines.get()
    assert (line.sku_id, line.quantity, line.unit_price_fen, line.paid_fen) == (sku.pk, 1, 0, 0)
    breakdown = order.price_breakdown
    assert breakdown["points_mall"] == {"item_id": item.pk, "name": "精华液兑换", "points": 1000}
    assert breakdown["discounts"] == [] and breakdown["coupon"] is None and breakdown["points_to_earn"] == 0
    assert breakdown["total_fen"] == 0 and breakdown["lines"][0]["unit_price_fen"] == 0
    record = stock(sku)
    assert (record.on_hand, record.reserved) == (100, 1)  # confirmed: kept for the shipment
    accrue_commissions()
    assert not Commission.objects.filter(order=order).exists()
    exchange = PointsExchange.objects.get()
    assert exchange.order_reference == f"order:{order.pk}" and exchange.status == "done"
    item.refresh_from_db()
    assert item.exchanged_count == 1


def test_cancelling_a_points_only_order_returns_the_points_and_the_unit(rich, sku, address, free_shipping):
    item = product_item(sku)
    order = services.place_mall_order(user=rich, item_id=item.pk, address=address)

    services.cancel_order(order_id=order.pk, actor=rich, reason="不想要了")

    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.refunded_fen == 0
    assert balance(rich) == 3000
    assert stock(sku).reserved == 0
    item.refresh_from_db()
    assert item.exchanged_count == 0
    assert PointsExchange.objects.get().status == "returned"
    assert not Payment.objects.exists()


def test_no_promotion_touches_the_order(rich, sku, address, free_shipping):
    make_reduction([{"threshold": 1, "amount_off_fen": 500}])
    make_coupon(amount_fen=300).holdings.create(
        user=rich,
        seq=1,
        source="issue",
        valid_from=timezone.now() - timedelta(minutes=1),
        valid_until=timezone.now() + timedelta(days=1),
    )
    item = product_item(sku, cash_fen=1990)

    order = services.place_mall_order(user=rich, item_id=item.pk, address=address)

    assert (order.goods_fen, order.discount_fen, order.total_fen) == (1990, 0, 1990)
    assert order.user_coupon_id is None
    assert not order.lines.get().adjustments.exists()


def test_points_and_cash_waits_for_payment_and_pays_as_usual(rich, address, distributor):
    bind_customer(customer=rich, distributor=distributor)
    item = product_item(SkuFactory(retail_fen=9900, cost_fen=500, stock=10), cash_fen=2000)

    order = services.place_mall_order(user=rich, item_id=item.pk, address=address)

    assert order.status == S.PENDING_PAYMENT
    # the shipping templates' legacy rule: ¥10 below ¥99 of goods
    assert (order.goods_fen, order.shipping_fen, order.total_fen) == (2000, 1000, 3000)
    assert balance(rich) == 2000
    order = services.pay_with_dev_provider(user=rich, order_id=order.pk)
    assert order.status == S.PAID and order.paid_fen == 3000
    accrue_commissions()
    assert sum(Commission.objects.filter(order=order).values_list("amount_fen", flat=True)) == 200  # 10% of ¥20


def test_an_expired_mall_order_returns_the_points_and_the_unit(rich, sku, address):
    item = product_item(sku, cash_fen=500)
    order = services.place_mall_order(user=rich, item_id=item.pk, address=address)

    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=31)) == 1

    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert balance(rich) == 3000 and stock(sku).reserved == 0
    item.refresh_from_db()
    assert item.exchanged_count == 0 and PointsExchange.objects.get().status == "returned"


def test_too_few_points_places_nothing(buyer, sku, address, free_shipping):
    member_points.grant(buyer.pk, 999, reference="mall-poor")
    item = product_item(sku)

    with pytest.raises(PromotionError) as exc:
        services.place_mall_order(user=buyer, item_id=item.pk, address=address)

    assert exc.value.code == "not_enough_points"
    assert not Order.objects.exists() and not PointsExchange.objects.exists()
    assert balance(buyer) == 999 and stock(sku).reserved == 0
    item.refresh_from_db()
    assert item.exchanged_count == 0


def test_limits_count_the_orders(rich, sku, address, free_shipping):
    item = product_item(sku, per_person_limit=1, total_quantity=5)
    order = services.place_mall_order(user=rich, item_id=item.pk, address=address)

    with pytest.raises(PromotionError) as exc:
        services.place_mall_order(user=rich, item_id=item.pk, address=address)
    assert exc.value.code == "mall_limit"

    services.cancel_order(order_id=order.pk, actor=rich)
    services.place_mall_order(user=rich, item_id=item.pk, address=address)  # a returned exchange no longer counts
    assert balance(rich) == 2000


def test_a_coupon_item_is_not_ordered(rich, address):
    item = PointsMallItem.objects.create(name="券", kind="coupon", coupon=make_coupon(), points_price=100, total_quantity=5)
    with pytest.raises(PromotionError) as exc:
        services.place_mall_order(user=rich, item_id=item.pk, address=address)
    assert exc.value.code == "mall_item_unavailable"


def test_the_api_places_the_order_from_the_address_book(client, rich, sku, address, free_shipping):
    from fenxiao.addresses import services as address_services
    from fenxiao.addresses.tests.conftest import BOOK_ADDRESS

    book = address_services.add_address(user=rich, data=dict(BOOK_ADDRESS))
    item = product_item(sku)
    headers = {"Authorization": f"Bearer {issue_token(user=rich)}"}

    response = client.post(
        "/api/v1/orders/points-mall",
        json.dumps({"item_id": item.pk, "address_id": book.pk}),
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "paid" and body["total_fen"] == 0 and body["points_used"] == 1000
    assert body["price_breakdown"]["points_mall"]["item_id"] == item.pk

    response = client.post(
        "/api/v1/orders/points-mall",
        json.dumps({"item_id": item.pk, "address_id": book.pk}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 409 and response.json()["code"] == "mall_limit"


@pytest.fixture
def provider_already_paid(monkeypatch):
    """The provider refuses to close a payment the buyer has just paid: its success notice is on the way."""
    from fenxiao.payments import services as payments
    from fenxiao.payments.errors import PaymentError

    def refuse(**kwargs):
        raise PaymentError("already_paid", "paid at the provider", status=409)

    monkeypatch.setattr(payments, "close_payment", refuse)


def _paid_after_expiry(user, item, address):
    from fenxiao.payments import services as payments

    order = services.place_mall_order(user=user, item_id=item.pk, address=address)
    payment = services.start_payment(user=user, order_id=order.pk, provider="dev")
    services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=31))
    item.refresh_from_db()
    assert item.exchanged_count == 0
    return order, payment, payments


def test_a_late_payment_takes_the_unit_again(rich, sku, address, provider_already_paid):
    item = product_item(sku, cash_fen=500)
    order, payment, payments = _paid_after_expiry(rich, item, address)

    payments.complete_dev_payment(payment_id=payment.pk)

    order.refresh_from_db()
    assert order.status == S.PAID and order.refunded_fen == 0
    item.refresh_from_db()
    assert item.exchanged_count == 1 and PointsExchange.objects.get().status == "done"
    assert balance(rich) == 2000


def test_a_late_payment_for_a_unit_gone_meanwhile_is_refunded(rich, sku, address, provider_already_paid, buyer):
    item = product_item(sku, cash_fen=500, total_quantity=1)
    order, payment, payments = _paid_after_expiry(rich, item, address)
    from tests.factories import UserFactory

    rival = UserFactory()
    member_points.grant(rival.pk, 1000, reference="mall-rival")
    services.place_mall_order(user=rival, item_id=item.pk, address=address)  # the last unit

    payments.complete_dev_payment(payment_id=payment.pk)

    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.refunded_fen == order.paid_fen == order.total_fen
    item.refresh_from_db()
    assert item.exchanged_count == 1
    assert PointsExchange.objects.get(order_reference=f"order:{order.pk}").status == "returned"
    assert balance(rich) == 3000
