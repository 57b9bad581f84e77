"""Random sequences of everything that moves a distributor's money, checked after every step.

Hypothesis drives paying orders, refunding part or all of a line (before shipping by cancelling,
after it by customer-service refunds, also after the order completed, which claws back), completing
orders, running the settlement job, and requesting, rejecting, cancelling, approving, paying out and
failing withdrawals (refused while there is a debt, below the minimum, above the balance or the
daily cap). After each
step the ledger must pass every check of `ledger_check`, and each distributor's pending, available
and withdrawing balances must equal those of a model kept here with nothing but integers and the
documented rules (rates from the level, rounding down, refunds cancelling or clawing back
`amount × refunded / paid` cumulatively).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from fenxiao.commissions.selectors import earnings_summary
from fenxiao.commissions.services import CASH_ACCOUNT, WITHDRAWAL_FEE_ACCOUNT, settlement, withdrawing_account
from fenxiao.distribution.services import bind_customer
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Account
from fenxiao.orders import services as orders
from fenxiao.orders.models import Order, Shipment
from fenxiao.withdrawals import services as withdrawals
from fenxiao.withdrawals.errors import WithdrawalError
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
    accrue_commissions,
)

SH = ZoneInfo("Asia/Shanghai")
ADDRESS = {
    "receiver": "王小明",
    "phone": "13812345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 100 号",
}
DIRECT_BP, INDIRECT_BP = 2000, 500
MIN_WITHDRAWAL_FEN, DAILY_CAP_FEN, FEE_BP = 1000, 8000, 100
ID_NUMBERS = ["11010519491231002X", "110105194912310038", "110105194912310046"]


@dataclass
class ModelWithdrawal:
    withdrawal_id: int
    distributor: int
    amount: int
    status: str = "requested"


@dataclass
class ModelCommission:
    distributor: int
    amount: int
    reduced: int = 0  # cancelled before settlement + clawed back after
    settled: bool = False
    eligible: bool = False


@dataclass
class ModelLine:
    line_id: int
    paid: int
    refunded: int = 0
    commissions: list[ModelCommission] = field(default_factory=list)


@dataclass
class ModelOrder:
    order_id: int
    buyer: object
    lines: list[ModelLine]
    status: str = "paid"


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = datetime(2026, 11, 1, 10, 0, tzinfo=SH)
        self.operator = StaffFactory()
        level = LevelFactory(direct_rate_bp=DIRECT_BP, indirect_rate_bp=INDIRECT_BP)
        top = DistributorFactory(level=level)
        middle = DistributorFactory(level=level, inviter=top)
        other = DistributorFactory(level=level, inviter=top)
        self.distributors = [top, middle, other]
        self.buyers = []
        for earner in (middle, other, top):
            buyer = UserFactory()
            bind_customer(customer=buyer, distributor=earner)
            self.buyers.append((buyer, earner, earner.inviter))
        category = CategoryFactory()
        self.skus = [
            SkuFactory(
                product=ProductFactory(category=category),
                retail_fen=15000,
                suggested_retail_fen=15000,
                control_fen=12900,
                cost_fen=5000,
                stock=10_000,
            ),
            SkuFactory(
                product=ProductFactory(category=category),
                retail_fen=5000,
                suggested_retail_fen=5000,
                control_fen=4500,
                cost_fen=2000,
                stock=10_000,
            ),
        ]
        self.orders: list[ModelOrder] = []
        self.withdrawals: list[ModelWithdrawal] = []
        withdrawals.update_settings(min_amount_fen=MIN_WITHDRAWAL_FEN, daily_cap_fen=DAILY_CAP_FEN, fee_bp=FEE_BP)
        for distributor, id_number in zip(self.distributors, ID_NUMBERS, strict=True):
            withdrawals.submit_kyc(distributor=distributor, real_name="李小美", id_number=id_number, mobile="13800001111")

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- the model ---------------------------------------------------------------------------

    def expected(self, distributor_id: int) -> tuple[int, int]:
        pending = available = 0
        for order in self.orders:
            for line in order.lines:
                for c in line.commissions:
                    if c.distributor != distributor_id:
                        continue
                    if c.settled:
                        available += c.amount - c.reduced
                    else:
                        pending += c.amount - c.reduced
        out = sum(
            w.amount
            for w in self.withdrawals
            if w.distributor == distributor_id and w.status in ("requested", "approved", "paid")
        )
        return pending, available - out

    def expected_withdrawing(self, distributor_id: int) -> int:
        return sum(
            w.amount for w in self.withdrawals if w.distributor == distributor_id and w.status in ("requested", "approved")
        )

    def _book_refund(self, line: ModelLine, amount: int) -> None:
        line.refunded += amount
        for c in line.commissions:
            c.reduced = c.amount * line.refunded // line.paid

    # --- rules ----------------------------------------------------------------------------------

    @initialize()
    def some_money_already_settled(self):
        """Each buyer has bought once and the batch has run: every earner starts with money."""
        for index in range(len(self.buyers)):
            self.pay(index, [1, 1])
        for _ in range(len(self.orders)):
            self.ship_and_receive(0)
        self.complete_received()
        self.run_settlement()

    @rule(buyer_index=st.integers(0, 2), quantities=st.lists(st.integers(0, 3), min_size=2, max_size=2))
    def pay(self, buyer_index, quantities):
        items = [(sku.pk, q) for sku, q in zip(self.skus, quantities, strict=True) if q > 0]
        if not items:
            return
        buyer, direct, indirect = self.buyers[buyer_index]
        order = orders.place_order(user=buyer, items=items, address=dict(ADDRESS))
        order = orders.pay_with_dev_provider(user=buyer, order_id=order.pk)
        accrue_commissions()  # the accrual job, which runs once the payment has committed
        lines = []
        for line in order.lines.order_by("id"):
            commissions = [ModelCommission(direct.pk, line.paid_fen * DIRECT_BP // 10000)]
            if indirect is not None:
                commissions.append(ModelCommission(indirect.pk, line.paid_fen * INDIRECT_BP // 10000))
            lines.append(ModelLine(line.pk, line.paid_fen, commissions=[c for c in commissions if c.amount > 0]))
        self.orders.append(ModelOrder(order.pk, buyer, lines))

    @precondition(lambda self: any(o.status == "paid" for o in self.orders))
    @rule(pick=st.integers(0, 1000))
    def cancel_paid_order(self, pick):
        candidates = [o for o in self.orders if o.status == "paid"]
        order = candidates[pick % len(candidates)]
        orders.cancel_order(order_id=order.order_id, actor=order.buyer, reason="不想要了")
        order.status = "cancelled"
        for line in order.lines:
            self._book_refund(line, line.paid - line.refunded)

    @precondition(lambda self: any(o.status == "paid" for o in self.orders))
    @rule(pick=st.integers(0, 1000))
    def ship_and_receive(self, pick):
        candidates = [o for o in self.orders if o.status == "paid"]
        order = candidates[pick % len(candidates)]
        orders.ship_order(order_id=order.order_id, actor=self.operator, tracking_company="SF", tracking_number="SF1")
        orders.confirm_receipt(order_id=order.order_id, user=order.buyer)
        order.status = "received"

    @precondition(lambda self: any(o.status in ("received", "completed") for o in self.orders))
    @rule(pick=st.integers(0, 1000), share=st.integers(1, 100), whole=st.booleans())
    def refund_part(self, pick, share, whole):
        candidates = [
            (o, line)
            for o in self.orders
            if o.status in ("received", "completed")
            for line in o.lines
            if line.refunded < line.paid
        ]
        if not candidates:
            return
        order, line = candidates[pick % len(candidates)]
        left = line.paid - line.refunded
        amount = left if whole else max(1, left * share // 100)
        orders.operator_refund_line(line_id=line.line_id, amount_fen=amount, actor=self.operator, reason="客服退款")
        if any(c.settled for c in line.commissions):
            event("clawback after settlement")
        self._book_refund(line, amount)

    @precondition(lambda self: any(o.status == "received" for o in self.orders))
    @rule()
    def complete_received(self):
        Order.objects.filter(pk__in=[o.order_id for o in self.orders if o.status == "received"]).update(
            received_at=self.now - timedelta(days=8)
        )
        Shipment.objects.filter(order_id__in=[o.order_id for o in self.orders if o.status == "received"]).update(
            received_at=self.now - timedelta(days=8)
        )
        orders.complete_orders(now=self.now)
        for order in self.orders:
            if order.status == "received":
                order.status = "completed"
                for line in order.lines:
                    for c in line.commissions:
                        c.eligible = True

    @rule()
    def run_settlement(self):
        # The next daily batch, four days on: everything that was eligible before is T+3 or older.
        self.now += timedelta(days=4)
        settlement.run_settlement(now=self.now)
        for order in self.orders:
            for line in order.lines:
                for c in line.commissions:
                    if c.eligible and not c.settled and c.reduced < c.amount:
                        c.settled = True

    @rule(index=st.integers(0, 2), share=st.integers(1, 120))
    def withdraw(self, index, share):
        distributor = self.distributors[index]
        _pending, available = self.expected(distributor.pk)
        amount = max(1, max(available, MIN_WITHDRAWAL_FEN) * share // 100)
        today = sum(
            w.amount
            for w in self.withdrawals
            if w.distributor == distributor.pk and w.status in ("requested", "approved", "paid")
        )
        if available < 0:
            expected_error = "debt_outstanding"
        elif amount < MIN_WITHDRAWAL_FEN:
            expected_error = "below_minimum"
        elif amount > available:
            expected_error = "insufficient_balance"
        elif today + amount > DAILY_CAP_FEN:
            expected_error = "daily_cap_exceeded"
        else:
            expected_error = None
        try:
            made = withdrawals.request_withdrawal(distributor=distributor, amount_fen=amount, channel="wechat")
        except WithdrawalError as exc:
            assert exc.code == expected_error, (exc.code, expected_error)
            event(f"withdrawal refused: {exc.code}")
            return
        assert expected_error is None, expected_error
        event("withdrawal requested")
        self.withdrawals.append(ModelWithdrawal(made.pk, distributor.pk, amount))

    def _pick(self, statuses, pick):
        candidates = [w for w in self.withdrawals if w.status in statuses]
        return candidates[pick % len(candidates)] if candidates else None

    @rule(pick=st.integers(0, 1000), outcome=st.sampled_from(["reject", "cancel", "approve", "pay", "fail"]))
    def review(self, pick, outcome):
        withdrawal = self._pick(("requested",), pick)
        if withdrawal is None:
            return
        if outcome == "reject":
            withdrawals.reject_withdrawal(withdrawal_id=withdrawal.withdrawal_id, actor=self.operator, reason="信息不符")
            withdrawal.status = "rejected"
        elif outcome == "cancel":
            owner = next(d for d in self.distributors if d.pk == withdrawal.distributor)
            withdrawals.cancel_withdrawal(withdrawal_id=withdrawal.withdrawal_id, distributor=owner)
            withdrawal.status = "cancelled"
        else:
            withdrawals.approve_withdrawal(withdrawal_id=withdrawal.withdrawal_id, actor=self.operator)
            withdrawal.status = "approved"
            if outcome in ("pay", "fail"):
                self._payout_result(withdrawal, paid=outcome == "pay")

    @rule(pick=st.integers(0, 1000), paid=st.booleans())
    def pay_out(self, pick, paid):
        withdrawal = self._pick(("approved",), pick)
        if withdrawal is not None:
            self._payout_result(withdrawal, paid=paid)

    def _payout_result(self, withdrawal: ModelWithdrawal, *, paid: bool) -> None:
        if paid:
            withdrawals.mark_paid(withdrawal_id=withdrawal.withdrawal_id, actor=self.operator, external_reference="WX1")
            withdrawal.status = "paid"
            event("withdrawal paid")
        else:
            withdrawals.mark_failed(withdrawal_id=withdrawal.withdrawal_id, actor=self.operator, reason="账户异常")
            withdrawal.status = "failed"

    # --- checks -----------------------------------------------------------------------------------

    @invariant()
    def books_balance(self):
        assert list(ledger_selectors.violations()) == []

    @invariant()
    def payouts_and_fees_add_up(self):
        paid = [w for w in self.withdrawals if w.status == "paid"]
        fees = sum(w.amount * FEE_BP // 10000 for w in paid)
        cash = Account.objects.filter(code=CASH_ACCOUNT).values_list("balance_fen", flat=True).first() or 0
        fee_income = Account.objects.filter(code=WITHDRAWAL_FEE_ACCOUNT).values_list("balance_fen", flat=True).first() or 0
        assert (-cash, fee_income) == (sum(w.amount for w in paid) - fees, fees)

    @invariant()
    def balances_match_the_model(self):
        for distributor in self.distributors:
            summary = earnings_summary(distributor)
            pending, available = self.expected(distributor.pk)
            withdrawing = (
                Account.objects.filter(code=withdrawing_account(distributor.pk)).values_list("balance_fen", flat=True).first()
                or 0
            )
            expected = (pending, available, self.expected_withdrawing(distributor.pk))
            assert (summary.pending_fen, summary.available_fen, withdrawing) == expected, distributor.pk
            assert summary.debt_fen == max(-available, 0)


@pytest.mark.django_db
def test_money_state_machine():
    MoneyMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    MoneyMachine.TestCase().runTest()
