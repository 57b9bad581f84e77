"""A debt from a clawback, carried forward through the real flows: the distributor withdraws all it
has, a completed order is then refunded by customer service (the commission is clawed back in full,
never capped at the balance), withdrawals are refused while the debt lasts, and the next settled
commission repays the debt first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.commissions.selectors import earnings_summary
from fenxiao.commissions.services import settlement
from fenxiao.distribution.services import bind_customer
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.orders import services as orders
from fenxiao.withdrawals import services as withdrawals
from fenxiao.withdrawals.errors import WithdrawalError
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    OrderFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_debt_blocks_withdrawals_and_is_repaid_first():
    operator = StaffFactory()
    level = LevelFactory(rank=1, direct_rate_bp=2000, indirect_rate_bp=0)
    shop = DistributorFactory(level=level)
    withdrawals.submit_kyc(distributor=shop, real_name="李小美", id_number="11010519491231002X", mobile="13800001111")
    buyer = UserFactory()
    bind_customer(customer=buyer, distributor=shop)
    serum = SkuFactory(
        product=ProductFactory(category=CategoryFactory()),
        retail_fen=15000,
        suggested_retail_fen=15000,
        control_fen=12900,
        cost_fen=5000,
        stock=10,
    )
    day = [0]

    def sell_and_settle():
        day[0] += 10
        order = OrderFactory(
            completed=True,
            user=buyer,
            items=[(serum, 1)],
            operator=operator,
            completed_at=timezone.now() + timedelta(days=day[0]),
        )
        settlement.run_settlement(now=order.completed_at + timedelta(days=3))
        return order

    first = sell_and_settle()
    assert earnings_summary(shop).available_fen == 3000
    paid_out = withdrawals.request_withdrawal(distributor=shop, amount_fen=3000, channel="wechat")
    withdrawals.approve_withdrawal(withdrawal_id=paid_out.pk, actor=operator)
    withdrawals.mark_paid(withdrawal_id=paid_out.pk, actor=operator)
    assert earnings_summary(shop).available_fen == 0

    # The whole first order is refunded after settlement: ¥30 clawed back from a balance of ¥0.
    orders.operator_refund_line(line_id=first.lines.get().pk, amount_fen=15000, actor=operator, reason="质量投诉，全额退款")
    summary = earnings_summary(shop)
    assert (summary.available_fen, summary.debt_fen, summary.clawed_back_fen) == (-3000, 3000, 3000)
    with pytest.raises(WithdrawalError) as refused:
        withdrawals.request_withdrawal(distributor=shop, amount_fen=1000, channel="wechat")
    assert refused.value.code == "debt_outstanding"

    # Two more sales settle ¥60: the ¥30 debt is repaid first, ¥30 is left to withdraw.
    sell_and_settle()
    assert (earnings_summary(shop).available_fen, earnings_summary(shop).debt_fen) == (0, 0)
    sell_and_settle()
    assert earnings_summary(shop).available_fen == 3000
    with pytest.raises(WithdrawalError) as too_much:
        withdrawals.request_withdrawal(distributor=shop, amount_fen=3001, channel="wechat")
    assert too_much.value.code == "insufficient_balance"
    withdrawals.request_withdrawal(distributor=shop, amount_fen=3000, channel="wechat")
    assert earnings_summary(shop).available_fen == 0
    assert list(ledger_selectors.violations()) == []
