"""requested → approved → paid, requested → rejected / cancelled, approved → failed: each step checked
against TRANSITIONS, written to the timeline with its actor, and posted to the ledger once."""

from __future__ import annotations

import pytest

from fenxiao.commissions.services import CASH_ACCOUNT, WITHDRAWAL_FEE_ACCOUNT, available_account, withdrawing_account
from fenxiao.ledger.models import Entry, Transaction
from fenxiao.withdrawals import services
from fenxiao.withdrawals.errors import WithdrawalError
from fenxiao.withdrawals.models import Withdrawal
from fenxiao.withdrawals.services import payouts
from tests.factories import DistributorFactory

from .conftest import balance

pytestmark = pytest.mark.usefixtures("ledger_sound")
W = Withdrawal.Status


def ask(distributor, amount_fen=10000) -> Withdrawal:
    return services.request_withdrawal(
        distributor=distributor, amount_fen=amount_fen, channel="alipay", account="13812345678", actor=distributor.user
    )


def timeline(w: Withdrawal) -> list[tuple[str, str]]:
    return list(w.events.order_by("id").values_list("from_status", "to_status"))


def test_every_status_has_its_row_in_the_table():
    assert set(services.TRANSITIONS) == set(W.values)
    assert all(targets <= set(W.values) for targets in services.TRANSITIONS.values())
    assert {s for s, targets in services.TRANSITIONS.items() if not targets} == {W.PAID, W.REJECTED, W.FAILED, W.CANCELLED}


def test_approved_then_paid_posts_net_to_cash_and_fee_to_income(funded, finance):
    services.update_settings(fee_bp=100)  # 1%
    w = ask(funded, 10000)
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance, note="资料齐全")
    w = services.mark_paid(withdrawal_id=w.pk, actor=finance, external_reference="BANK-001")
    assert (w.status, w.external_reference) == (W.PAID, "BANK-001")
    assert w.approved_at and w.paid_at
    assert balance(available_account(funded.pk)) == 90000
    assert balance(withdrawing_account(funded.pk)) == 0
    assert balance(CASH_ACCOUNT) == -9900  # cash paid out
    assert balance(WITHDRAWAL_FEE_ACCOUNT) == 100
    paid = Transaction.objects.get(idempotency_key=f"withdrawal:{w.pk}:paid")
    assert sorted(paid.entries.values_list("account__code", "side", "amount_fen")) == sorted(
        [
            (withdrawing_account(funded.pk), "debit", 10000),
            (CASH_ACCOUNT, "credit", 9900),
            (WITHDRAWAL_FEE_ACCOUNT, "credit", 100),
        ]
    )
    assert timeline(w) == [("", "requested"), ("requested", "approved"), ("approved", "paid")]
    assert list(w.events.order_by("id").values_list("actor", flat=True)) == [funded.user.pk, finance.pk, finance.pk]


def test_paid_without_a_fee_posts_no_fee_entry(funded, finance):
    w = ask(funded, 10000)
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    services.mark_paid(withdrawal_id=w.pk, actor=finance)
    assert Entry.objects.filter(transaction__idempotency_key=f"withdrawal:{w.pk}:paid").count() == 2
    assert balance(CASH_ACCOUNT) == -10000


def test_reject_needs_a_reason_and_gives_the_money_back(funded, finance):
    w = ask(funded, 10000)
    for reason in ("", "   "):
        with pytest.raises(WithdrawalError) as caught:
            services.reject_withdrawal(withdrawal_id=w.pk, actor=finance, reason=reason)
        assert caught.value.code == "reason_required"
    w.refresh_from_db()
    assert w.status == W.REQUESTED
    w = services.reject_withdrawal(withdrawal_id=w.pk, actor=finance, reason="收款人与实名不一致")
    assert (w.status, w.reject_reason) == (W.REJECTED, "收款人与实名不一致")
    assert balance(available_account(funded.pk)) == 100000
    assert balance(withdrawing_account(funded.pk)) == 0
    assert Transaction.objects.filter(idempotency_key=f"withdrawal:{w.pk}:reject", kind="withdrawal_return").exists()
    assert w.events.last().note == "收款人与实名不一致"


def test_the_distributor_cancels_its_own_request_only_while_requested(funded, finance):
    w = ask(funded, 10000)
    stranger = DistributorFactory()
    with pytest.raises(WithdrawalError) as caught:
        services.cancel_withdrawal(withdrawal_id=w.pk, distributor=stranger)
    assert caught.value.code == "withdrawal_not_found" and caught.value.status == 404
    w = services.cancel_withdrawal(withdrawal_id=w.pk, distributor=funded, actor=funded.user)
    assert w.status == W.CANCELLED and w.cancelled_at
    assert balance(available_account(funded.pk)) == 100000

    approved = ask(funded, 10000)
    services.approve_withdrawal(withdrawal_id=approved.pk, actor=finance)
    with pytest.raises(WithdrawalError) as caught:
        services.cancel_withdrawal(withdrawal_id=approved.pk, distributor=funded)
    assert caught.value.code == "invalid_transition" and caught.value.status == 409


def test_a_failed_payout_gives_the_money_back(funded, finance):
    w = ask(funded, 10000)
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    w = services.mark_failed(withdrawal_id=w.pk, actor=finance, reason="账户已销户", external_reference="RET-9")
    assert (w.status, w.failure_reason, w.external_reference) == (W.FAILED, "账户已销户", "RET-9")
    assert balance(available_account(funded.pk)) == 100000
    assert balance(withdrawing_account(funded.pk)) == 0
    assert balance(CASH_ACCOUNT) == 0
    # and the distributor may ask again
    assert ask(funded, 100000).status == W.REQUESTED


def test_a_failure_without_a_reason_says_so_plainly(funded, finance):
    w = ask(funded, 10000)
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    assert services.mark_failed(withdrawal_id=w.pk, actor=finance).failure_reason == "打款失败"


@pytest.mark.parametrize("step", ["pay", "fail", "approve_twice", "reject_approved", "pay_twice"])
def test_moves_outside_the_table_are_refused_and_change_nothing(funded, finance, step):
    w = ask(funded, 10000)
    calls = {
        "pay": lambda: services.mark_paid(withdrawal_id=w.pk, actor=finance),
        "fail": lambda: services.mark_failed(withdrawal_id=w.pk, actor=finance),
    }
    if step in ("approve_twice", "reject_approved", "pay_twice"):
        services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
        calls = {
            "approve_twice": lambda: services.approve_withdrawal(withdrawal_id=w.pk, actor=finance),
            "reject_approved": lambda: services.reject_withdrawal(withdrawal_id=w.pk, actor=finance, reason="x"),
        }
        if step == "pay_twice":
            services.mark_paid(withdrawal_id=w.pk, actor=finance)
            calls["pay_twice"] = lambda: services.mark_paid(withdrawal_id=w.pk, actor=finance)
    before = (Transaction.objects.count(), w.events.count())
    with pytest.raises(WithdrawalError) as caught:
        calls[step]()
    assert caught.value.code == "invalid_transition" and caught.value.status == 409
    assert caught.value.message.startswith("提现当前状态") and caught.value.detail["number"] == w.number
    assert (Transaction.objects.count(), w.events.count()) == before


def test_unknown_withdrawals(finance, db):
    with pytest.raises(WithdrawalError) as caught:
        services.approve_withdrawal(withdrawal_id=999999, actor=finance)
    assert caught.value.code == "withdrawal_not_found"


def test_numbers_are_w_and_b_with_the_local_second_and_nine_digits(funded, finance):
    w = ask(funded, 10000)
    assert len(w.number) == 24 and w.number[0] == "W" and w.number[1:].isdigit()
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    batch = payouts.create_batch(actor=finance)
    assert len(batch.number) == 24 and batch.number[0] == "B" and batch.number[1:].isdigit()
