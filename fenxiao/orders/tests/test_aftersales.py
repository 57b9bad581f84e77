"""After-sales per line: refund only and return-and-refund, partial amounts, never more than paid."""

import pytest

from fenxiao.inventory.models import StockRecord
from fenxiao.orders import services
from fenxiao.orders.errors import OrderError
from fenxiao.orders.models import AfterSale, Order
from tests.factories import OrderFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db
A = AfterSale.Status


@pytest.fixture
def shipped(buyer, address, operator):
    """Two lines: ¥150 × 2 and ¥59 × 1, paid and shipped."""
    serum = SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12900, cost_fen=5000, stock=10)
    cleanser = SkuFactory(retail_fen=5900, suggested_retail_fen=5900, control_fen=4900, cost_fen=1800, stock=10)
    return OrderFactory(shipped=True, user=buyer, items=[(serum, 2), (cleanser, 1)], address=address, operator=operator)


def lines(order):
    return list(order.lines.order_by("id"))


def test_aftersale_needs_shipping_first(buyer, address):
    sku = SkuFactory(stock=5)
    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    with pytest.raises(OrderError) as exc:
        services.request_aftersale(
            user=buyer, line_id=order.lines.get().pk, kind="refund_only", amount_fen=100, reason="质量问题"
        )
    assert exc.value.code == "aftersale_not_allowed"


def test_partial_refund_only(buyer, shipped, operator):
    serum, _cleanser = lines(shipped)
    a = services.request_aftersale(user=buyer, line_id=serum.pk, kind="refund_only", amount_fen=5000, reason="少发赠品")
    assert a.status == A.REQUESTED
    a = services.review_aftersale(aftersale_id=a.pk, actor=operator, approve=True)
    assert a.status == A.REFUNDED and a.refund_id
    serum.refresh_from_db()
    shipped.refresh_from_db()
    assert serum.refunded_fen == 5000 and shipped.refunded_fen == 5000


def test_refund_never_exceeds_what_the_line_paid(buyer, shipped, operator):
    serum, cleanser = lines(shipped)
    with pytest.raises(OrderError) as exc:
        services.request_aftersale(user=buyer, line_id=cleanser.pk, kind="refund_only", amount_fen=5901, reason="x")
    assert exc.value.code == "refund_exceeds_paid" and exc.value.status == 422
    a = services.request_aftersale(user=buyer, line_id=serum.pk, kind="refund_only", amount_fen=20000, reason="一瓶破损")
    services.review_aftersale(aftersale_id=a.pk, actor=operator, approve=True)
    with pytest.raises(OrderError) as exc:
        services.request_aftersale(user=buyer, line_id=serum.pk, kind="refund_only", amount_fen=10001, reason="再退")
    assert exc.value.detail["refundable_fen"] == 10000
    a = services.request_aftersale(user=buyer, line_id=serum.pk, kind="refund_only", amount_fen=10000, reason="再退")
    services.review_aftersale(aftersale_id=a.pk, actor=operator, approve=True)
    serum.refresh_from_db()
    assert serum.refunded_fen == serum.paid_fen == 30000


def test_one_open_aftersale_per_line(buyer, shipped):
    serum, _ = lines(shipped)
    services.request_aftersale(user=buyer, line_id=serum.pk, kind="refund_only", amount_fen=100, reason="a")
    with pytest.raises(OrderError) as exc:
        services.request_aftersale(user=buyer, line_id=serum.pk, kind="refund_only", amount_fen=100, reason="b")
    assert exc.value.code == "aftersale_open"


def test_return_and_refund_restocks(buyer, shipped, operator):
    serum, _ = lines(shipped)
    before = StockRecord.objects.get(sku_id=serum.sku_id).on_hand
    a = services.request_aftersale(
        user=buyer, line_id=serum.pk, kind="return_refund", amount_fen=15000, quantity=1, reason="不合适"
    )
    a = services.review_aftersale(aftersale_id=a.pk, actor=operator, approve=True)
    assert a.status == A.AWAITING_RETURN
    with pytest.raises(OrderError):
        services.receive_return_and_refund(aftersale_id=a.pk, actor=operator)  # nothing sent back yet
    a = services.submit_return(aftersale_id=a.pk, user=buyer, tracking_number="YT123")
    assert a.status == A.RETURNED
    a = services.receive_return_and_refund(aftersale_id=a.pk, actor=operator)
    assert a.status == A.REFUNDED
    assert StockRecord.objects.get(sku_id=serum.sku_id).on_hand == before + 1
    assert list(a.events.values_list("to_status", flat=True)) == [
        A.REQUESTED,
        A.AWAITING_RETURN,
        A.RETURNED,
        A.REFUNDING,
        A.REFUNDED,
    ]


def test_reject_needs_a_reason_and_withdraw(buyer, shipped, operator):
    serum, cleanser = lines(shipped)
    a = services.request_aftersale(user=buyer, line_id=serum.pk, kind="refund_only", amount_fen=100, reason="a")
    with pytest.raises(OrderError) as exc:
        services.review_aftersale(aftersale_id=a.pk, actor=operator, approve=False, reason="")
    assert exc.value.code == "reason_required"
    a = services.review_aftersale(aftersale_id=a.pk, actor=operator, approve=False, reason="已超出承诺范围")
    assert a.status == A.REJECTED
    b = services.request_aftersale(user=buyer, line_id=cleanser.pk, kind="refund_only", amount_fen=100, reason="b")
    assert services.withdraw_aftersale(aftersale_id=b.pk, user=buyer).status == A.WITHDRAWN
    with pytest.raises(OrderError):
        services.review_aftersale(aftersale_id=b.pk, actor=operator, approve=True)


def test_other_buyers_cannot_touch_the_line(shipped):
    serum, _ = lines(shipped)
    with pytest.raises(OrderError) as exc:
        services.request_aftersale(user=UserFactory(), line_id=serum.pk, kind="refund_only", amount_fen=100, reason="x")
    assert exc.value.status == 404


def test_open_aftersale_holds_completion(buyer, shipped):
    from datetime import timedelta

    from django.utils import timezone

    services.confirm_receipt(order_id=shipped.pk, user=buyer)
    serum, _ = lines(shipped)
    services.request_aftersale(user=buyer, line_id=serum.pk, kind="refund_only", amount_fen=100, reason="a")
    assert services.complete_orders(now=timezone.now() + timedelta(days=8)) == 0
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.RECEIVED


@pytest.mark.parametrize("order_of_refunds", [(0, 1), (1, 0)])
def test_partial_refunds_of_several_lines_add_up(buyer, shipped, operator, order_of_refunds):
    amounts = [7000, 2000]
    ls = lines(shipped)
    for i in order_of_refunds:
        a = services.request_aftersale(user=buyer, line_id=ls[i].pk, kind="refund_only", amount_fen=amounts[i], reason="部分退款")
        services.review_aftersale(aftersale_id=a.pk, actor=operator, approve=True)
    shipped.refresh_from_db()
    assert shipped.refunded_fen == 9000
    assert [line.refunded_fen for line in lines(shipped)] == amounts
