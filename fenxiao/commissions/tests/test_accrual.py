"""The accrual job: commissions of paid orders recorded after the payment committed, all pending
orders of a run in one posting, each order exactly once however many runs there are, and every later
step (refund, cancellation, completion) giving the money it gave when payment accrued at once."""

import threading

import pytest
from django.db import connection

from fenxiao.catalog.models import CommissionOverride
from fenxiao.commissions import services
from fenxiao.commissions.calculator import compute_order
from fenxiao.commissions.models import Commission
from fenxiao.commissions.selectors import earnings_summary
from fenxiao.commissions.services import settlement
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Transaction
from fenxiao.orders import services as orders
from fenxiao.orders.models import AfterSale, Order, OrderLine
from tests.factories import ADDRESS, ProductFactory, SkuFactory, StaffFactory, accrue_commissions

pytestmark = pytest.mark.django_db

S = Commission.Status


@pytest.fixture
def order_for():
    def make(user, items):
        return orders.place_order(user=user, items=items, address=dict(ADDRESS))

    return make


def pay(order_for, buyer, items) -> Order:
    order = order_for(buyer, items)
    return orders.pay_with_dev_provider(user=buyer, order_id=order.pk)


def as_computed(order) -> list[tuple]:
    return sorted(
        (result.line_id, earner.distributor_id, earner.depth, earner.amount_fen, earner.source, result.capped)
        for result in compute_order(order)
        for earner in result.earners
        if earner.distributor_id is not None and earner.amount_fen > 0
    )


def as_accrued(order) -> list[tuple]:
    return sorted(
        Commission.objects.filter(order=order).values_list(
            "order_line_id", "distributor_id", "depth", "amount_fen", "source", "capped"
        )
    )


def test_one_run_accrues_every_paid_order_in_one_posting(distributor, upline, bound_buyer, beauty, order_for):
    food = SkuFactory(product=ProductFactory(), retail_fen=5000, suggested_retail_fen=5000, control_fen=4500, cost_fen=2000)
    CommissionOverride.objects.create(product=food.product, depth=1, mode=CommissionOverride.Mode.FIXED, fixed_fen=300)
    paid = [pay(order_for, bound_buyer, [(beauty.pk, 1), (food.pk, 2)]) for _ in range(3)]
    assert not Commission.objects.exists()
    assert Order.objects.filter(commissions_accrued_at__isnull=True).count() == 3

    assert accrue_commissions() == 3
    for order in paid:
        assert as_accrued(order) == as_computed(order) != []
    runs = Transaction.objects.filter(kind=services.KIND_ACCRUE)
    assert [t.idempotency_key for t in runs] == [f"commission:accrue-run:{paid[0].pk}"]
    assert earnings_summary(distributor).pending_fen == 3 * (3000 + 2 * 300)
    assert earnings_summary(upline).pending_fen == 3 * (750 + 500)  # 5% of the food line's ¥100
    assert not Order.objects.filter(commissions_accrued_at__isnull=True).exists()

    assert accrue_commissions() == 0  # nothing twice
    assert Transaction.objects.filter(kind=services.KIND_ACCRUE).count() == 1
    assert list(ledger_selectors.violations()) == []


def test_a_refund_before_the_job_gives_the_same_money(distributor, bound_buyer, beauty, order_for):
    operator = StaffFactory()
    order = pay(order_for, bound_buyer, [(beauty.pk, 1)])
    orders.ship_order(order_id=order.pk, actor=operator, tracking_company="SF", tracking_number="SF1")
    line = OrderLine.objects.get(order=order)
    aftersale = orders.request_aftersale(
        user=bound_buyer, line_id=line.pk, kind=AfterSale.Kind.REFUND_ONLY, amount_fen=7500, reason="少发一件"
    )
    orders.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
    # The refund accrued the order first, then cancelled half of it.
    direct = Commission.objects.get(order=order, depth=1)
    assert (direct.amount_fen, direct.cancelled_fen, direct.status) == (3000, 1500, S.PENDING)
    assert earnings_summary(distributor).pending_fen == 1500
    assert accrue_commissions() == 0
    assert Commission.objects.filter(order=order).count() == 2


def test_a_cancellation_before_the_job_cancels_everything(distributor, upline, bound_buyer, beauty, order_for):
    order = pay(order_for, bound_buyer, [(beauty.pk, 1)])
    orders.cancel_order(order_id=order.pk, actor=bound_buyer, reason="不想要了")
    rows = Commission.objects.filter(order=order)
    assert rows.count() == 2 and all(c.status == S.CANCELLED for c in rows)
    assert earnings_summary(distributor).pending_fen == earnings_summary(upline).pending_fen == 0
    assert accrue_commissions() == 0


def test_completion_before_the_job_accrues_and_makes_eligible(distributor, bound_buyer, beauty, order_for):
    from datetime import timedelta

    operator = StaffFactory()
    order = pay(order_for, bound_buyer, [(beauty.pk, 1)])
    orders.ship_order(order_id=order.pk, actor=operator, tracking_company="SF", tracking_number="SF1")
    order = orders.confirm_receipt(order_id=order.pk, user=bound_buyer)
    assert orders.complete_orders(now=order.received_at + timedelta(days=8)) == 1
    assert all(c.eligible_at is not None for c in Commission.objects.filter(order=order))
    order = Order.objects.get(pk=order.pk)
    settlement.run_settlement(now=order.completed_at + timedelta(days=3))
    assert earnings_summary(distributor).available_fen == 3000


def test_the_job_runs_once_the_payment_commits(distributor, bound_buyer, beauty, order_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = pay(order_for, bound_buyer, [(beauty.pk, 1)])
    assert len(callbacks) == 1
    assert as_accrued(order) == as_computed(order) != []


def test_an_order_never_paid_is_never_accrued(distributor, bound_buyer, beauty, order_for):
    order = order_for(bound_buyer, [(beauty.pk, 1)])
    assert services.ensure_accrued(order) is False
    assert accrue_commissions() == 0
    assert not Commission.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_accrue_each_order_exactly_once(distributor, upline, bound_buyer, beauty, order_for, settings):
    """Several accrual jobs at once (and, on PostgreSQL, at the same instant): every order is
    accrued by exactly one of them, and the books balance."""
    settings.FENXIAO_COMMISSION_ACCRUAL = "queue"  # the payments below only enqueue the job
    paid = [pay(order_for, bound_buyer, [(beauty.pk, 1)]) for _ in range(24)]
    assert not Commission.objects.exists()
    barrier = threading.Barrier(4)
    accrued: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(30)
            done = services.accrue_pending(batch_size=5)
            with lock:
                accrued.append(done)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert sum(accrued) == len(paid)
    for order in paid:
        assert sorted(Commission.objects.filter(order=order).values_list("depth", "amount_fen")) == [(1, 3000), (2, 750)]
    assert earnings_summary(distributor).pending_fen == 24 * 3000
    assert earnings_summary(upline).pending_fen == 24 * 750
    assert list(ledger_selectors.violations()) == []
