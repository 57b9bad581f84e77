"""The order factories: each variant of OrderFactory ends where the real services leave an order, and
OrderRecordFactory adds its figures up from its lines."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.commissions.models import Commission
from fenxiao.orders.models import AfterSale, Order
from tests.factories import DistributorFactory, LevelFactory, OrderFactory, OrderRecordFactory, SkuFactory, sale

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def shop(db):
    return DistributorFactory(level=LevelFactory(rank=1, direct_rate_bp=2000, indirect_rate_bp=500))


@pytest.fixture
def serum(db):
    """¥150 retail, ¥50 cost."""
    return SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12900, cost_fen=5000, stock=10)


def test_placed_awaits_payment(serum):
    order = OrderFactory(items=[(serum, 2)])
    assert (order.status, order.goods_fen, order.paid_at) == (S.PENDING_PAYMENT, 30000, None)
    assert order.distributor_id is None


def test_paid_is_credited_to_the_distributor_with_its_commission_accrued(shop, serum):
    order = OrderFactory(paid=True, distributor=shop, items=[(serum, 1)])
    assert (order.status, order.distributor_id, order.paid_fen) == (S.PAID, shop.pk, order.total_fen)
    assert list(Commission.objects.filter(order=order).values_list("distributor_id", "amount_fen")) == [(shop.pk, 3000)]


def test_paid_at_backdates_the_payment(serum):
    moment = timezone.now() - timedelta(days=40)
    order = OrderFactory(paid=True, items=[(serum.pk, 1)], paid_at=moment)
    assert order.paid_at == moment and order.created_at == moment


def test_shipped_received_and_completed(serum):
    assert OrderFactory(shipped=True, items=[(serum, 1)]).status == S.SHIPPED
    assert OrderFactory(received=True, items=[(serum, 1)]).status == S.RECEIVED
    at = timezone.now() - timedelta(days=2)
    completed = OrderFactory(completed=True, items=[(serum, 1)], completed_at=at)
    assert (completed.status, completed.completed_at) == (S.COMPLETED, at)


def test_refunded_in_full_partly_and_above_the_approval_limit(shop, serum):
    full = OrderFactory(refunded=True, distributor=shop, items=[(serum, 1)])
    assert full.refunded_fen == 15000
    assert Commission.objects.get(order=full).cancelled_fen == 3000
    part = OrderFactory(completed=True, items=[(serum, 2)], refund_fen=5000)
    assert (part.status, part.refunded_fen) == (S.COMPLETED, 5000)
    large = OrderFactory(refunded=True, items=[(SkuFactory(retail_fen=80000, suggested_retail_fen=80000, control_fen=79900), 1)])
    assert large.refunded_fen == 80000
    assert AfterSale.objects.get(order=large).status == AfterSale.Status.REFUNDED


def test_a_record_adds_up_its_lines(shop, serum):
    order = OrderRecordFactory(distributor=shop, lines=[{"sku": serum, "quantity": 2, "refunded_fen": 1000}])
    line = order.lines.get()
    assert (line.unit_price_fen, line.unit_cost_fen, line.line_total_fen, line.paid_fen) == (15000, 5000, 30000, 30000)
    assert (order.goods_fen, order.shipping_fen, order.total_fen, order.paid_fen, order.refunded_fen) == (
        30000,
        1000,
        31000,
        31000,
        1000,
    )
    assert order.status == S.COMPLETED and order.paid_at == order.completed_at - timedelta(days=10)
    assert not Commission.objects.exists()


def test_a_sale_is_paid_twelve_days_before_completion(shop):
    at = timezone.now() - timedelta(days=1)
    order = sale(shop, 5000, completed_at=at, lines=2, refunded_fen=100)
    assert (order.goods_fen, order.total_fen, order.refunded_fen, order.lines.count()) == (10000, 11000, 200, 2)
    assert order.paid_at == at - timedelta(days=12)
