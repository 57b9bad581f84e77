"""Commissions through real orders: pending at payment, settled by the settlement job after the order
completes, cancelled or clawed
back by refunds, every step posted once to the ledger and the books balanced after each flow."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from fenxiao.commissions import services
from fenxiao.commissions.models import Commission
from fenxiao.commissions.selectors import earnings_summary
from fenxiao.commissions.services import settlement
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Transaction
from fenxiao.orders import hooks
from fenxiao.orders import services as orders
from fenxiao.orders.models import AfterSale, Order, OrderLine
from tests.factories import (
    CategoryFactory,
    OrderFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
    accrue_commissions,
)

pytestmark = pytest.mark.django_db

S = Commission.Status


@pytest.fixture
def operator(db):
    return StaffFactory()


@pytest.fixture
def food(db):
    return SkuFactory(
        product=ProductFactory(category=CategoryFactory(slug="food")),
        retail_fen=5000,
        suggested_retail_fen=5000,
        control_fen=4500,
        cost_fen=2000,
        stock=100,
    )


def received(order, buyer, operator):
    orders.ship_order(order_id=order.pk, actor=operator, tracking_company="SF", tracking_number="SF100")
    return orders.confirm_receipt(order_id=order.pk, user=buyer)


def settle(order):
    """Run the (default, daily T+3) settlement batch that is due three days after the order completed."""
    order = Order.objects.get(pk=order.pk)
    settlement.run_settlement(now=order.completed_at + timedelta(days=3))
    return order


def complete(order, buyer, operator):
    order = received(order, buyer, operator)
    assert orders.complete_orders(now=order.received_at + timedelta(days=8)) == 1
    return settle(order)


def refund(buyer, operator, line, amount_fen):
    aftersale = orders.request_aftersale(
        user=buyer, line_id=line.pk, kind=AfterSale.Kind.REFUND_ONLY, amount_fen=amount_fen, reason="少发一件"
    )
    orders.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)


def ledger_is_sound():
    call_command("ledger_check")  # raises CommandError (exit 1) on any violation
    assert list(ledger_selectors.violations()) == []


def lines_by_sku(order):
    return {line.sku_id: line for line in OrderLine.objects.filter(order=order)}


def test_seed_beauty_pending_at_payment_then_available(distributor, upline, bound_buyer, beauty, operator):
    order = OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)])
    direct, indirect = Commission.objects.filter(order=order).order_by("depth")
    assert (direct.distributor_id, direct.depth, direct.base_fen, direct.rate_bp, direct.amount_fen, direct.status) == (
        distributor.pk,
        1,
        15000,
        2000,
        3000,
        S.PENDING,
    )
    # the inviter's indirect commission: 5% of the paid ¥150
    assert (indirect.distributor_id, indirect.depth, indirect.amount_fen) == (upline.pk, 2, 750)
    assert earnings_summary(distributor).pending_fen == 3000
    assert earnings_summary(distributor).available_fen == 0
    assert earnings_summary(upline).pending_fen == 750

    complete(order, bound_buyer, operator)
    summary = earnings_summary(distributor)
    assert (summary.pending_fen, summary.available_fen, summary.settled_fen, summary.debt_fen) == (0, 3000, 3000, 0)
    assert earnings_summary(upline).available_fen == 750
    assert set(Commission.objects.filter(order=order).values_list("status", flat=True)) == {S.SETTLED}
    assert [o.net_fen for o in summary.orders] == [3000]
    ledger_is_sound()


def test_no_distributor_and_zero_commissions_create_no_rows(distributor, beauty, conf):
    stranger = UserFactory()
    OrderFactory(paid=True, user=stranger, items=[(beauty, 1)])
    assert not Commission.objects.exists()
    # self-purchase with self-purchase commission off: the direct position earns 0, so no direct row
    conf.self_purchase_commission = False
    conf.save()
    OrderFactory(paid=True, user=distributor.user, items=[(beauty, 1)])
    assert not Commission.objects.filter(depth=1).exists()
    ledger_is_sound()


def test_partial_refunds_of_several_lines_in_any_order_before_settlement(
    distributor, upline, bound_buyer, beauty, food, operator
):
    order = received(OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1), (food, 3)]), bound_buyer, operator)
    lines = lines_by_sku(order)
    b, f = lines[beauty.pk], lines[food.pk]
    assert (b.paid_fen, f.paid_fen) == (15000, 15000)
    # beauty: direct 3000, indirect 750; food (no override): direct 3000, indirect 750
    refund(bound_buyer, operator, f, 3333)
    refund(bound_buyer, operator, b, 100)
    refund(bound_buyer, operator, f, 6667)
    refund(bound_buyer, operator, b, 14900)  # the rest of beauty: its commission is all cancelled
    rows = {(c.order_line_id, c.depth): c for c in Commission.objects.filter(order=order)}
    assert (rows[(b.pk, 1)].cancelled_fen, rows[(b.pk, 1)].status) == (3000, S.CANCELLED)
    assert (rows[(b.pk, 2)].cancelled_fen, rows[(b.pk, 2)].status) == (750, S.CANCELLED)
    # food refunded 10000 of 15000 in two steps: exactly two thirds, however it was split
    assert (rows[(f.pk, 1)].cancelled_fen, rows[(f.pk, 2)].cancelled_fen) == (2000, 500)
    assert earnings_summary(distributor).pending_fen == 1000
    assert earnings_summary(upline).pending_fen == 250

    orders.complete_orders(now=order.received_at + timedelta(days=8))

    settle(order)
    assert (earnings_summary(distributor).available_fen, earnings_summary(distributor).pending_fen) == (1000, 0)
    assert earnings_summary(upline).available_fen == 250
    assert ledger_selectors.balance(services.EXPENSE_ACCOUNT) == 1250
    ledger_is_sound()


def test_rounding_down_never_cancels_more_than_the_amount(distributor, bound_buyer, food, operator):
    order = received(OrderFactory(paid=True, user=bound_buyer, items=[(food, 1)]), bound_buyer, operator)
    line = OrderLine.objects.get(order=order)  # paid 5000, direct 1000, indirect 250
    for amount in (1, 1, 1, 4997):
        refund(bound_buyer, operator, line, amount)
        line.refresh_from_db()
        for c in Commission.objects.filter(order_line=line):
            assert c.cancelled_fen == c.amount_fen * line.refunded_fen // line.paid_fen
    assert set(Commission.objects.filter(order_line=line).values_list("status", flat=True)) == {S.CANCELLED}
    assert earnings_summary(distributor).pending_fen == 0
    ledger_is_sound()


def test_full_cancel_of_a_paid_order_cancels_all(distributor, upline, bound_buyer, beauty, food):
    order = OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1), (food, 1)])
    orders.cancel_order(order_id=order.pk, actor=bound_buyer, reason="不想要了")
    rows = Commission.objects.filter(order=order)
    assert rows.count() == 4
    assert all(c.status == S.CANCELLED and c.cancelled_fen == c.amount_fen for c in rows)
    assert earnings_summary(distributor).pending_fen == 0
    assert earnings_summary(upline).pending_fen == 0
    assert ledger_selectors.balance(services.EXPENSE_ACCOUNT) == 0
    ledger_is_sound()


def simulate_refund_after_completion(order, line, amount_fen):
    """Orders accept after-sales only before completion; a refund booked later (by the operator, a
    chargeback) reaches commissions through the same hook."""
    from django.db.models import F

    OrderLine.objects.filter(pk=line.pk).update(refunded_fen=F("refunded_fen") + amount_fen)
    line.refresh_from_db()
    hooks.line_refunded(order, line, amount_fen)


def test_clawback_after_settlement_leaves_a_debt(distributor, upline, bound_buyer, beauty, operator):
    order = complete(OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)]), bound_buyer, operator)
    line = OrderLine.objects.get(order=order)
    # The distributor's available money left meanwhile (a withdrawal, in the full product).
    from fenxiao.ledger import services as ledger

    ledger.get_or_create_account("platform:cash", kind="asset", allow_negative=True)
    ledger.post(
        idempotency_key="test:withdraw",
        kind="test_withdrawal",
        entries=[
            (services.available_account(distributor.pk), "debit", 3000),
            ("platform:cash", "credit", 3000),
        ],
    )
    assert earnings_summary(distributor).available_fen == 0

    simulate_refund_after_completion(order, line, 7500)  # half the line
    summary = earnings_summary(distributor)
    assert (summary.available_fen, summary.debt_fen, summary.clawed_back_fen) == (-1500, 1500, 1500)
    assert earnings_summary(upline).available_fen == 375

    simulate_refund_after_completion(order, line, 7500)  # the rest: clawed back in full, never capped
    summary = earnings_summary(distributor)
    assert (summary.available_fen, summary.debt_fen) == (-3000, 3000)
    assert earnings_summary(upline).available_fen == 0
    direct = Commission.objects.get(order=order, depth=1)
    assert (direct.status, direct.clawed_back_fen, direct.net_fen) == (S.SETTLED, 3000, 0)
    ledger_is_sound()


def test_refund_before_and_after_settlement_add_up(distributor, bound_buyer, food, operator):
    order = received(OrderFactory(paid=True, user=bound_buyer, items=[(food, 3)]), bound_buyer, operator)
    line = OrderLine.objects.get(order=order)  # paid 15000, direct 3000
    refund(bound_buyer, operator, line, 5000)
    orders.complete_orders(now=order.received_at + timedelta(days=8))
    settle(order)
    assert earnings_summary(distributor).available_fen == 2000
    simulate_refund_after_completion(order, line, 5000)
    direct = Commission.objects.get(order=order, depth=1)
    assert (direct.cancelled_fen, direct.clawed_back_fen, direct.net_fen) == (1000, 1000, 1000)
    assert earnings_summary(distributor).available_fen == 1000
    ledger_is_sound()


def test_every_step_replays_without_posting_twice(distributor, upline, bound_buyer, beauty, food, operator):
    order = OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1), (food, 1)])
    order = received(order, bound_buyer, operator)
    line = lines_by_sku(order)[food.pk]
    refund(bound_buyer, operator, line, 2500)

    def snapshot():
        return (
            Transaction.objects.count(),
            sorted(Commission.objects.values_list("id", "status", "cancelled_fen", "clawed_back_fen")),
        )

    before = snapshot()
    services.accrue_order(order)
    services.refund_line(line.pk)
    hooks.paid(order)
    accrue_commissions()
    assert snapshot() == before

    order = Order.objects.get(pk=order.pk)
    orders.complete_orders(now=order.received_at + timedelta(days=8))
    settle(order)
    order = Order.objects.get(pk=order.pk)
    settled = snapshot()
    services.settle_order(order)
    hooks.completed(order)
    services.accrue_order(order)
    services.refund_line(line.pk)
    assert orders.complete_orders(now=order.completed_at + timedelta(days=30)) == 0
    assert snapshot() == settled

    simulate_refund_after_completion(order, line, 2500)
    clawed = snapshot()
    services.refund_line(line.pk)
    services.refund_order(order)
    assert snapshot() == clawed
    assert earnings_summary(distributor).available_fen == 3000 + 1000 - 500 - 500
    ledger_is_sound()


def test_a_failing_commission_step_rolls_the_order_back(distributor, bound_buyer, beauty, monkeypatch):
    order = OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)])

    def boom(order):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(services, "refund_order", boom)
    with pytest.raises(RuntimeError):
        orders.cancel_order(order_id=order.pk, actor=bound_buyer, reason="不想要了")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert all(c.status == S.PENDING for c in Commission.objects.filter(order=order))


def test_payment_does_not_wait_for_the_accrual(distributor, bound_buyer, beauty, monkeypatch):
    """The payment commits without commissions; the accrual job, run after the commit, records them.
    A job that fails claims nothing, and the next run accrues the order."""
    from fenxiao.commissions.services import accrual

    order = OrderFactory(user=bound_buyer, items=[(beauty, 1)])
    order = orders.pay_with_dev_provider(user=bound_buyer, order_id=order.pk)
    assert order.status == Order.Status.PAID and not Commission.objects.exists()

    def boom(orders):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(accrual, "commission_rows", boom)
    with pytest.raises(RuntimeError):
        accrue_commissions()
    assert Order.objects.get(pk=order.pk).commissions_accrued_at is None
    monkeypatch.undo()
    assert accrue_commissions() == 1
    assert sorted(Commission.objects.filter(order=order).values_list("depth", "amount_fen")) == [(1, 3000), (2, 750)]
    assert accrue_commissions() == 0
    ledger_is_sound()


def test_a_commission_only_moves_along_its_table(distributor, bound_buyer, beauty):
    from fenxiao.commissions.errors import CommissionError

    order = OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)])
    row = Commission.objects.filter(order=order).first()
    row.status = S.CANCELLED
    with pytest.raises(CommissionError) as exc:
        services.COMMISSION_MACHINE.move(row, S.SETTLED, save=False)
    assert exc.value.code == "invalid_transition"
