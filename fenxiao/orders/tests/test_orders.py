"""Placing, paying, cancelling, shipping and receiving orders; the jobs; the price snapshot."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.distribution.services import bind_customer
from fenxiao.inventory.models import StockRecord
from fenxiao.orders import services
from fenxiao.orders.errors import OrderError
from fenxiao.orders.models import Order, OrderEvent
from fenxiao.payments.models import Payment
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db
S = Order.Status


def stock(sku):
    return StockRecord.objects.get(sku=sku, location="main")


def place(buyer, sku, address, qty=1, **kw):
    return services.place_order(user=buyer, items=[(sku.pk, qty)], address=address, **kw)


def test_place_order_snapshots_prices_and_reserves(buyer, sku, address):
    order = place(buyer, sku, address, qty=2)
    line = order.lines.get()
    assert (line.unit_price_fen, line.unit_cost_fen, line.quantity, line.paid_fen) == (15000, 5000, 2, 30000)
    assert (order.goods_fen, order.shipping_fen, order.total_fen) == (30000, 0, 30000)
    assert order.status == S.PENDING_PAYMENT
    assert abs(order.expires_at - order.created_at - timedelta(minutes=30)) < timedelta(seconds=1)
    record = stock(sku)
    assert (record.on_hand, record.reserved) == (100, 2)
    # a later price change does not touch the order
    sku.retail_fen = 9900
    sku.save()
    line.refresh_from_db()
    assert line.unit_price_fen == 15000
    assert OrderEvent.objects.filter(order=order, to_status=S.PENDING_PAYMENT).count() == 1


def test_shipping_fee_below_threshold(buyer, address):
    cheap = SkuFactory(retail_fen=5000, suggested_retail_fen=5000, control_fen=4500, cost_fen=2800)
    order = place(buyer, cheap, address)
    assert (order.goods_fen, order.shipping_fen, order.total_fen) == (5000, 1000, 6000)
    breakdown = order.price_breakdown
    assert (breakdown["goods_fen"], breakdown["discounts"], breakdown["shipping_fen"], breakdown["total_fen"]) == (
        5000,
        [],
        1000,
        6000,
    )


def test_attribution_snapshot_is_the_bound_distributor(buyer, sku, address, distributor):
    bind_customer(customer=buyer, distributor=distributor)
    order = place(buyer, sku, address)
    assert order.distributor_id == distributor.pk and not order.is_self_purchase


def test_distributor_buying_for_itself_is_a_self_purchase(sku, address, distributor):
    order = place(distributor.user, sku, address)
    assert order.distributor_id == distributor.pk and order.is_self_purchase


@pytest.mark.parametrize(
    "items, code",
    [([], "empty_order"), ([(999999, 1)], "sku_unavailable"), ([(None, 0)], "invalid_quantity")],
)
def test_bad_orders_are_refused(buyer, address, sku, items, code):
    items = [(sku.pk if sku_id is None else sku_id, qty) for sku_id, qty in items]
    with pytest.raises(OrderError) as exc:
        services.place_order(user=buyer, items=items, address=address)
    assert exc.value.code == code
    assert Order.objects.count() == 0


def test_bad_address_is_refused(buyer, sku, address):
    address["phone"] = "12345"
    with pytest.raises(OrderError) as exc:
        place(buyer, sku, address)
    assert exc.value.code == "invalid_phone"
    address["phone"], address["city"] = "13812345678", ""
    with pytest.raises(OrderError) as exc:
        place(buyer, sku, address)
    assert exc.value.code == "invalid_address"


def test_off_shelf_sku_cannot_be_ordered(buyer, sku, address):
    sku.product.is_on_shelf = False
    sku.product.save()
    with pytest.raises(OrderError) as exc:
        place(buyer, sku, address)
    assert exc.value.code == "sku_unavailable"


def test_sold_out_rolls_back_the_whole_order(buyer, address):
    plenty, scarce = SkuFactory(stock=10), SkuFactory(stock=1)
    with pytest.raises(Exception) as exc:
        services.place_order(user=buyer, items=[(plenty.pk, 1), (scarce.pk, 2)], address=address)
    assert getattr(exc.value, "code", None) == "sold_out"
    assert Order.objects.count() == 0
    assert stock(plenty).reserved == 0 and stock(scarce).reserved == 0


def test_pay_with_dev_provider_confirms(buyer, sku, address):
    order = place(buyer, sku, address, qty=3)
    order = services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    assert order.status == S.PAID and order.paid_fen == order.total_fen and order.paid_at
    assert Payment.objects.get(pk=order.payment_id).status == "succeeded"
    assert stock(sku).reserved == 3


def test_someone_elses_order_is_not_found(buyer, sku, address):
    order = place(buyer, sku, address)
    from tests.factories import UserFactory

    with pytest.raises(OrderError) as exc:
        services.pay_with_dev_provider(user=UserFactory(), order_id=order.pk)
    assert exc.value.code == "order_not_found" and exc.value.status == 404


def test_cancel_unpaid_releases_stock(buyer, sku, address):
    order = place(buyer, sku, address, qty=4)
    services.cancel_order(order_id=order.pk, actor=buyer)
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.cancelled_at
    assert stock(sku).reserved == 0


def test_cancel_paid_refunds_in_full_and_releases(buyer, sku, address):
    order = place(buyer, sku, address, qty=2)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    services.cancel_order(order_id=order.pk, actor=buyer, reason="不想要了")
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.refunded_fen == order.paid_fen == 30000
    assert all(line.refunded_fen == line.paid_fen for line in order.lines.all())
    assert stock(sku).reserved == 0 and stock(sku).on_hand == 100


def test_ship_deducts_on_hand_and_needs_tracking(buyer, sku, address, operator):
    order = place(buyer, sku, address, qty=2)
    with pytest.raises(OrderError) as exc:
        services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰", tracking_number="SF1")
    assert exc.value.code == "invalid_transition"  # not paid yet
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    with pytest.raises(OrderError) as exc:
        services.ship_order(order_id=order.pk, actor=operator, tracking_company="", tracking_number="")
    assert exc.value.code == "tracking_required"
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰", tracking_number="SF100200300")
    order.refresh_from_db()
    assert order.status == S.SHIPPED and order.tracking_number == "SF100200300"
    record = stock(sku)
    assert (record.on_hand, record.reserved) == (98, 0)
    with pytest.raises(OrderError) as exc:
        services.cancel_order(order_id=order.pk, actor=buyer)
    assert exc.value.code == "invalid_transition"


def test_receive_and_complete_flow_with_jobs(buyer, sku, address, operator):
    order = place(buyer, sku, address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="中通", tracking_number="ZT1")
    now = timezone.now()
    assert services.auto_receive_orders(now=now + timedelta(days=9)) == 0
    assert services.auto_receive_orders(now=now + timedelta(days=10, minutes=1)) == 1
    assert services.auto_receive_orders(now=now + timedelta(days=11)) == 0  # idempotent
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    assert services.complete_orders(now=now + timedelta(days=15)) == 0  # window counts from receipt
    assert services.complete_orders(now=now + timedelta(days=18)) == 1
    assert services.complete_orders(now=now + timedelta(days=19)) == 0
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert list(order.events.values_list("to_status", flat=True)) == [
        S.PENDING_PAYMENT,
        S.PAID,
        S.SHIPPED,
        S.RECEIVED,
        S.COMPLETED,
    ]


def test_buyer_confirms_receipt(buyer, sku, address, operator):
    order = place(buyer, sku, address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    with pytest.raises(OrderError):
        services.confirm_receipt(order_id=order.pk, user=buyer)  # not shipped
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="中通", tracking_number="ZT2")
    services.confirm_receipt(order_id=order.pk, user=buyer)
    order.refresh_from_db()
    assert order.status == S.RECEIVED and order.events.last().actor_id == buyer.pk


def test_unpaid_timeout_job_cancels_and_releases(buyer, sku, address):
    order = place(buyer, sku, address, qty=5)
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=29)) == 0
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=31)) == 1
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=32)) == 0
    order.refresh_from_db()
    assert order.status == S.CANCELLED and "超时" in order.cancel_reason
    assert stock(sku).reserved == 0


def test_paying_an_expired_order_is_refused_up_front(buyer, sku, address):
    order = place(buyer, sku, address)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(OrderError) as exc:
        services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    assert exc.value.code == "order_expired"


@pytest.fixture
def provider_already_paid(monkeypatch):
    """The provider refuses to close a payment the buyer has just paid: its success notice is on the way."""
    from fenxiao.payments import services as payments
    from fenxiao.payments.errors import PaymentError

    def refuse(**kwargs):
        raise PaymentError("already_paid", "paid at the provider", status=409)

    monkeypatch.setattr(payments, "close_payment", refuse)


def test_expiry_closes_the_open_payment(buyer, sku, address):
    order = place(buyer, sku, address)
    payment = services.start_payment(user=buyer, order_id=order.pk, provider="dev")
    services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=31))
    payment.refresh_from_db()
    assert payment.status == "closed"


def _late_payment(buyer, order):
    """A payment opened in time whose success arrives after the order expired and its stock was released."""
    from fenxiao.payments import services as payments

    payment = services.start_payment(user=buyer, order_id=order.pk, provider="dev")
    services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=31))
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    return payment, payments


def test_late_payment_re_reserves_when_stock_is_there(buyer, sku, address, provider_already_paid):
    order = place(buyer, sku, address, qty=2)
    payment, payments = _late_payment(buyer, order)
    assert stock(sku).reserved == 0
    payments.complete_dev_payment(payment_id=payment.pk)
    order.refresh_from_db()
    assert order.status == S.PAID and order.refunded_fen == 0
    assert stock(sku).reserved == 2
    assert order.events.filter(note__contains="重新保留库存").exists()


def test_late_payment_is_refunded_when_sold_out(buyer, address, provider_already_paid):
    scarce = SkuFactory(stock=1)
    order = place(buyer, scarce, address)
    payment, payments = _late_payment(buyer, order)
    from tests.factories import UserFactory

    rival = UserFactory()
    place(rival, scarce, address)  # takes the last unit meanwhile
    payments.complete_dev_payment(payment_id=payment.pk)
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.paid_fen == order.total_fen and order.refunded_fen == order.total_fen
    assert order.events.filter(note__contains="自动全额退款").exists()
    assert stock(scarce).reserved == 1  # the rival's, never more than on hand
