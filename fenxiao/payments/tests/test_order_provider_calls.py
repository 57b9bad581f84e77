"""Paying, cancelling and refunding an order with WeChat Pay: the provider is only ever called
outside a database transaction, so a slow answer holds no lock, and a failed call keeps the payment
so that asking again sends the same merchant order number."""

import threading

import httpx
import pytest
from django.db import connection

from fenxiao.orders import services
from fenxiao.orders.models import CartLine, Order
from fenxiao.payments import wechatpay
from fenxiao.payments.errors import PaymentError
from fenxiao.payments.models import Payment, Refund
from tests.factories import ADDRESS, OrderFactory, SkuFactory, UserFactory

from .conftest import OPENID

JSAPI = "/v3/pay/transactions/jsapi"
REFUNDS = "/v3/refund/domestic/refunds"


@pytest.fixture
def address():
    return dict(ADDRESS)


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture
def sku(db):
    return SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12900, cost_fen=5000, stock=100)


def pay_with_wechat(buyer, order):
    return services.start_payment(user=buyer, order_id=order.pk, provider="wechatpay", payer_openid=OPENID)


@pytest.fixture
def provider_calls(monkeypatch):
    """Every HTTP request to the provider, with whether the calling thread's connection had a
    transaction open at that moment."""
    seen: list[tuple[str, bool, bool]] = []
    send = httpx.Client.request

    def watched(self, method, url, *args, **kwargs):
        seen.append((httpx.URL(url).path, connection.in_atomic_block, not connection.get_autocommit()))
        return send(self, method, url, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "request", watched)
    return seen


def test_pay_cancel_and_refund_call_wechatpay_outside_any_transaction(
    transactional_db, wechat, buyer, sku, address, provider_calls, client
):
    # paid, then cancelled: the JSAPI order and the refund
    order = OrderFactory(user=buyer, items=[(sku, 1)], address=address)
    payment = pay_with_wechat(buyer, order)
    assert wechat.notify(client, wechat.transaction_body(payment)).status_code == 204
    services.cancel_order(order_id=order.pk, actor=buyer, reason="不想要了")
    # unpaid, then cancelled: the JSAPI order and closing it
    other = OrderFactory(user=buyer, items=[(sku, 1)], address=address)
    pay_with_wechat(buyer, other)
    services.cancel_order(order_id=other.pk, actor=buyer)

    paths = [path for path, _atomic, _open in provider_calls]
    assert paths == [
        JSAPI,
        REFUNDS,
        JSAPI,
        f"/v3/pay/transactions/out-trade-no/{Payment.objects.get(reference=str(other.pk)).out_trade_no}/close",
    ]
    assert [(atomic, open_) for _path, atomic, open_ in provider_calls] == [(False, False)] * 4
    assert Refund.objects.get().out_refund_no == wechat.fake.requests[1].body["out_refund_no"]
    assert Payment.objects.get(reference=str(other.pk)).status == Payment.Status.CLOSED


def test_a_caller_holding_a_transaction_cannot_reach_the_provider(transactional_db, wechat, buyer, sku, address):
    """Wrapped in the caller's own transaction (as a request-wide transaction would), the provider
    call is refused before anything is recorded or sent."""
    from django.db import transaction

    order = OrderFactory(user=buyer, items=[(sku, 1)], address=address)
    with pytest.raises(wechatpay.ProviderCallInTransaction), transaction.atomic():
        pay_with_wechat(buyer, order)
    assert wechat.fake.requests == []


def test_a_slow_wechatpay_answer_does_not_block_another_buyers_cart(transactional_db, wechat, buyer, sku, address):
    """While WeChat Pay takes its time with one buyer's order, another buyer adds to the cart (SQLite:
    a single write lock for the whole database)."""
    order = OrderFactory(user=buyer, items=[(sku, 1)], address=address)
    other = UserFactory()
    wechat.fake.hold = threading.Event()
    outcome: dict[str, object] = {}

    def paying():
        try:
            outcome["payment"] = pay_with_wechat(buyer, order)
        except Exception as exc:  # reported below
            outcome["payment"] = exc
        finally:
            connection.close()

    def adding():
        try:
            outcome["cart"] = services.add_to_cart(user=other, sku_id=sku.pk, quantity=2)
        except Exception as exc:
            outcome["cart"] = exc
        finally:
            connection.close()

    payer = threading.Thread(target=paying)
    payer.start()
    try:
        assert wechat.fake.held.wait(timeout=20), "the JSAPI order never reached the provider"
        adder = threading.Thread(target=adding)
        adder.start()
        adder.join(timeout=15)
        finished_while_held = not adder.is_alive() and not wechat.fake.hold.is_set()
    finally:
        wechat.fake.hold.set()
        payer.join(timeout=30)
    adder.join(timeout=30)
    assert finished_while_held
    assert isinstance(outcome["cart"], CartLine), outcome["cart"]
    assert CartLine.objects.get(user=other).quantity == 2
    assert isinstance(outcome["payment"], Payment), outcome["payment"]
    assert Payment.objects.get().prepay_id


@pytest.mark.parametrize("failure", ["unavailable", "timeout"])
def test_a_failed_jsapi_order_keeps_the_payment_and_the_retry_sends_the_same_number(
    transactional_db, wechat, buyer, sku, address, failure, monkeypatch
):
    order = OrderFactory(user=buyer, items=[(sku, 1)], address=address)
    if failure == "unavailable":
        wechat.fake.unavailable_next = 1
    else:
        monkeypatch.setattr(wechatpay, "HTTP_TIMEOUT", httpx.Timeout(0.5, connect=5.0))
        wechat.fake.hold = threading.Event()
    try:
        with pytest.raises(PaymentError) as exc:
            pay_with_wechat(buyer, order)
    finally:
        if wechat.fake.hold is not None:
            wechat.fake.hold.set()
            wechat.fake.hold = None
    assert (exc.value.code, exc.value.status) == ("provider_unavailable", 424)
    kept = Payment.objects.get()
    assert (kept.status, kept.prepay_id, kept.reference) == (Payment.Status.PENDING, "", str(order.pk))

    payment = pay_with_wechat(buyer, order)
    assert payment.pk == kept.pk and payment.prepay_id
    numbers = [r.body["out_trade_no"] for r in wechat.fake.requests if r.path == JSAPI]
    assert numbers == [kept.out_trade_no, kept.out_trade_no]
    assert Payment.objects.count() == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
