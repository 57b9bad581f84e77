"""Asking to withdraw: who may, how much (minimum, balance, debt, daily cap), what it costs (fee,
rounded down), where it goes (channel and account, encrypted), and retries with an idempotency key."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from fenxiao.commissions.services import available_account, withdrawing_account
from fenxiao.distribution.models import Distributor
from fenxiao.ledger.models import Transaction
from fenxiao.withdrawals import crypto, selectors, services
from fenxiao.withdrawals.errors import WithdrawalError
from fenxiao.withdrawals.models import Withdrawal, WithdrawalEvent
from tests.factories import DistributorFactory

from .conftest import OTHER_ID, balance, claw_back, fund

pytestmark = pytest.mark.usefixtures("ledger_sound")

CARD = "6222021202041234567"


def ask(distributor, amount_fen=5000, channel="bank", account=CARD, bank_name="工商银行杭州西湖支行", **kwargs) -> Withdrawal:
    return services.request_withdrawal(
        distributor=distributor,
        amount_fen=amount_fen,
        channel=channel,
        account=account,
        bank_name=bank_name,
        actor=distributor.user,
        **kwargs,
    )


def refused(code: str, distributor, **kwargs) -> WithdrawalError:
    before = Transaction.objects.count()
    with pytest.raises(WithdrawalError) as caught:
        ask(distributor, **kwargs)
    assert caught.value.code == code, caught.value
    assert Transaction.objects.count() == before  # nothing posted
    return caught.value


# --- the happy path -------------------------------------------------------------------------------


def test_a_request_moves_the_amount_to_withdrawing(funded):
    w = ask(funded, 5000)
    assert w.status == Withdrawal.Status.REQUESTED and not w.replayed
    assert (w.amount_fen, w.fee_fen, w.net_fen) == (5000, 0, 5000)
    assert balance(available_account(funded.pk)) == 95000
    assert balance(withdrawing_account(funded.pk)) == 5000
    txn = Transaction.objects.get(idempotency_key=f"withdrawal:{w.pk}:request")
    assert txn.reference == w.number and txn.created_by == funded.user
    event = WithdrawalEvent.objects.get(withdrawal=w)
    assert (event.from_status, event.to_status, event.actor) == ("", "requested", funded.user)
    assert w.payee_name == "王小明"


def test_the_fee_is_rounded_down_to_the_fen(funded):
    services.update_settings(fee_bp=55)  # 0.55%
    q = services.quote(1999)
    assert (q.fee_fen, q.net_fen) == (10, 1989)  # 10.9945 fen → 10
    assert services.quote(1818).fee_fen == 9  # 9.999 fen → 9, never 10
    w = ask(funded, 1999)
    assert (w.fee_bp, w.fee_fen, w.net_fen) == (55, 10, 1989)
    # The whole amount leaves available; the fee is taken only when paid.
    assert balance(withdrawing_account(funded.pk)) == 1999


# --- who may ask ----------------------------------------------------------------------------------


def test_real_name_verification_comes_first(distributor):
    fund(distributor, 10000)
    error = refused("kyc_required", distributor)
    assert error.status == 403


def test_only_approved_distributors(funded):
    Distributor.objects.filter(pk=funded.pk).update(status=Distributor.Status.SUSPENDED)
    funded.refresh_from_db()
    assert refused("not_distributor", funded).status == 403


# --- how much -------------------------------------------------------------------------------------


def test_the_minimum(funded):
    error = refused("below_minimum", funded, amount_fen=999)
    assert "¥10.00" in error.message and error.detail["min_amount_fen"] == 1000
    assert ask(funded, 1000).amount_fen == 1000
    services.update_settings(min_amount_fen=5000)
    refused("below_minimum", funded, amount_fen=4999)


@pytest.mark.parametrize("amount", [0, -100, 10**13, True, 12.5, "100"])
def test_amounts_must_be_positive_whole_fen(funded, amount):
    assert refused("invalid_amount", funded, amount_fen=amount).detail["field"] == "amount"


def test_no_more_than_is_available(funded):
    error = refused("insufficient_balance", funded, amount_fen=100001)
    assert error.status == 409 and error.detail["available_fen"] == 100000
    assert ask(funded, 100000).amount_fen == 100000
    refused("insufficient_balance", funded, amount_fen=1000)
    assert balance(available_account(funded.pk)) == 0


def test_a_debt_blocks_withdrawals_and_says_how_much(verified):
    fund(verified, 1000)
    claw_back(verified, 3050)  # available: -20.50
    error = refused("debt_outstanding", verified, amount_fen=1000)
    assert error.status == 409 and error.detail == {"debt_fen": 2050}
    assert "¥20.50" in error.message
    fund(verified, 5050)  # later earnings repay it: 30.00 available
    assert ask(verified, 3000).amount_fen == 3000


def test_the_daily_cap_counts_open_and_paid_withdrawals_of_the_day(funded, finance):
    services.update_settings(daily_cap_fen=5000)
    first = ask(funded, 3000)
    error = refused("daily_cap_exceeded", funded, amount_fen=2500)
    assert error.detail["remaining_fen"] == 2000 and "¥2,000" not in error.message and "¥20.00" in error.message
    second = ask(funded, 2000)
    refused("daily_cap_exceeded", funded, amount_fen=1000)
    # approved and paid still count; cancelled, rejected and failed give their share back
    services.approve_withdrawal(withdrawal_id=first.pk, actor=finance)
    refused("daily_cap_exceeded", funded, amount_fen=1000)
    services.reject_withdrawal(withdrawal_id=second.pk, actor=finance, reason="账户信息不全")
    assert ask(funded, 2000).amount_fen == 2000


def test_the_cap_is_per_day_in_china_and_per_distributor(funded):
    services.update_settings(daily_cap_fen=5000)
    # 23:59 and 00:01 in Shanghai are 15:59 and 16:01 UTC: two different days.
    late = datetime(2026, 3, 1, 15, 59, tzinfo=UTC)
    ask(funded, 5000, now=late)
    ask(funded, 5000, now=late + timedelta(minutes=2))
    refused("daily_cap_exceeded", funded, amount_fen=1000, now=late + timedelta(minutes=3))
    assert list(Withdrawal.objects.order_by("id").values_list("requested_on", flat=True)) == [date(2026, 3, 1), date(2026, 3, 2)]
    assert selectors.today_requested_fen(funded.pk, date(2026, 3, 2)) == 5000


# --- where to ------------------------------------------------------------------------------------


def test_channels_must_exist_and_be_open(funded):
    assert refused("invalid_channel", funded, channel="paypal").detail["field"] == "channel"
    services.update_settings(bank_enabled=False)
    assert "银行卡" in refused("channel_disabled", funded, channel="bank").message


def test_bank_cards_are_kept_encrypted_and_shown_masked(funded):
    w = ask(funded, 5000, account="6222 0212-0204 1234 567")
    assert w.account_kind == "card" and w.account_masked == "6222 **** **** 4567"
    assert crypto.decrypt(w.account_encrypted) == CARD
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Withdrawal._meta.db_table} WHERE id = %s", [w.pk])
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert CARD not in raw and CARD[:12] not in raw


@pytest.mark.parametrize(
    "card,bank,code",
    [
        ("62220212020", "工商银行", "invalid_bank_card"),  # 11 digits
        ("62220212020412345678", "工商银行", "invalid_bank_card"),  # 20 digits
        ("6222abcd02041234", "工商银行", "invalid_bank_card"),
        ("", "工商银行", "invalid_bank_card"),
        (CARD, "", "invalid_bank_name"),
        (CARD, "=HYPERLINK()", "invalid_bank_name"),
    ],
)
def test_bank_accounts_are_checked(funded, card, bank, code):
    assert refused(code, funded, account=card, bank_name=bank).code == code


def test_bank_cards_of_12_and_19_digits_without_luhn(funded):
    assert ask(funded, 1000, account="123456789012").account_masked == "1234 **** **** 9012"
    assert ask(funded, 1000, account="1234567890123456789").account_kind == "card"


def test_alipay_accounts_are_a_mobile_or_an_email(funded):
    assert ask(funded, 1000, channel="alipay", account="+86 13812345678", bank_name="x").account_masked == "138****5678"
    w = ask(funded, 1000, channel="alipay", account="Wang.XM@Example.com")
    assert (w.account_kind, w.account_masked, w.bank_name) == ("email", "wa***@example.com", "")
    assert crypto.decrypt(w.account_encrypted) == "wang.xm@example.com"
    for bad in ("", "12345", "wang@", "not an email@x.com"):
        refused("invalid_alipay_account", funded, channel="alipay", account=bad)


def test_wechat_goes_to_the_openid_or_the_verified_mobile(funded):
    w = ask(funded, 1000, channel="wechat", account="", bank_name="")
    assert w.account_kind == "phone" and crypto.decrypt(w.account_encrypted) == funded.user.phone
    w = ask(funded, 1000, channel="wechat", account="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    assert w.account_kind == "openid" and w.account_masked == "openid ****eS6o"
    refused("invalid_openid", funded, channel="wechat", account="bad openid!")


# --- retries --------------------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_withdrawal(funded):
    first = ask(funded, 5000, idempotency_key="tap-1")
    again = ask(funded, 5000, idempotency_key="tap-1")
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert Withdrawal.objects.count() == 1
    assert balance(available_account(funded.pk)) == 95000
    # even when the request would now be refused (the balance has gone)
    ask(funded, 95000)
    assert ask(funded, 5000, idempotency_key="tap-1").pk == first.pk


def test_a_key_reused_for_another_request_is_refused(funded):
    ask(funded, 5000, idempotency_key="tap-1")
    error = refused("idempotency_conflict", funded, amount_fen=6000, idempotency_key="tap-1")
    assert error.status == 422
    refused("idempotency_conflict", funded, amount_fen=5000, account="6222021202040000000", idempotency_key="tap-1")


def test_keys_are_per_distributor(funded):
    other = DistributorFactory()
    services.submit_kyc(distributor=other, real_name="李四", id_number=OTHER_ID, mobile=other.user.phone)
    fund(other, 10000)
    a = ask(funded, 5000, idempotency_key="same")
    b = ask(other, 5000, idempotency_key="same")
    assert a.pk != b.pk


def test_malformed_keys_are_refused(funded):
    refused("invalid_idempotency_key", funded, idempotency_key="k" * 81)
    refused("invalid_idempotency_key", funded, idempotency_key="键")


# --- overview -----------------------------------------------------------------------------------


def test_the_overview_shows_balance_debt_and_what_is_left_today(verified):
    view = selectors.overview(verified)
    assert (view.available_fen, view.withdrawing_fen, view.debt_fen) == (0, 0, 0)  # no accounts yet
    fund(verified, 20000)
    ask(verified, 5000)
    view = selectors.overview(verified)
    assert (view.available_fen, view.withdrawing_fen, view.today_requested_fen) == (15000, 5000, 5000)
    assert view.remaining_today_fen == 495000 and view.withdrawable_fen == 15000
    claw_back(verified, 20000)
    view = selectors.overview(verified)
    assert view.available_fen == -5000 and view.debt_fen == 5000 and view.withdrawable_fen == 0
