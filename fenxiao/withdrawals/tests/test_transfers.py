"""WeChat-channel withdrawals paid by WeChat Pay merchant transfer, against the local fake of the
transfer API: the bill carries the withdrawal's number, a lost answer is retried under it and pays
once, the signed notification or the query job settles it once, FAIL / CANCELLED return the money."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fenxiao.commissions.services import CASH_ACCOUNT, available_account, withdrawing_account
from fenxiao.ledger.models import Transaction
from fenxiao.payments.models import PaymentRefusal
from fenxiao.payments.tests.fake_transfer import new_keys, start_configured
from fenxiao.withdrawals import services
from fenxiao.withdrawals.errors import WithdrawalError
from fenxiao.withdrawals.models import TransferBill, Withdrawal
from fenxiao.withdrawals.services import payouts, transfers
from tests.factories import DistributorFactory

from .conftest import balance, fund

pytestmark = pytest.mark.usefixtures("ledger_sound")

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
NOTIFY = "/api/v1/withdrawals/wechatpay/transfer-notify"
W = Withdrawal.Status
S = TransferBill.State


@pytest.fixture(scope="module")
def keys():
    return new_keys()


@pytest.fixture
def fake(db, settings, tmp_path, keys):
    fake = start_configured(settings, tmp_path, keys)
    yield fake
    fake.stop()


def ask(distributor, amount_fen=10000, channel="wechat", account=OPENID) -> Withdrawal:
    return services.request_withdrawal(
        distributor=distributor, amount_fen=amount_fen, channel=channel, account=account, actor=distributor.user
    )


def approve(w, finance, django_capture_on_commit_callbacks) -> Withdrawal:
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    return Withdrawal.objects.get(pk=w.pk)


def paid_postings(w) -> int:
    return Transaction.objects.filter(idempotency_key=f"withdrawal:{w.pk}:paid").count()


def later(minutes=11):
    return timezone.now() + timedelta(minutes=minutes)


def notify(client, fake, keys, number, **header_options):
    body = fake.notification(number, apiv3=keys.apiv3.encode())
    return client.post(NOTIFY, data=body, content_type="application/json", headers=fake.signed(body, **header_options))


def test_approval_creates_the_bill_under_the_withdrawal_number(fake, funded, finance, django_capture_on_commit_callbacks):
    services.update_settings(fee_bp=100)
    w = approve(ask(funded, 10000), finance, django_capture_on_commit_callbacks)
    bill = TransferBill.objects.get(withdrawal=w)
    assert bill.out_bill_no == w.number
    assert (bill.state, bill.amount_fen, bill.attempts) == (S.WAIT_USER_CONFIRM, 9900, 1)
    assert bill.package_info and bill.transfer_bill_no == fake.bills[w.number].transfer_bill_no
    sent = fake.bills[w.number]
    assert (sent.openid, sent.amount, sent.scene_id, sent.perception) == (OPENID, 9900, "1005", "劳务报酬")
    assert w.number in sent.remark
    assert w.status == W.APPROVED and balance(withdrawing_account(funded.pk)) == 10000
    # Paid by transfer, never by payout file.
    with pytest.raises(WithdrawalError) as nothing:
        payouts.create_batch(actor=finance, channel="wechat")
    assert nothing.value.code == "nothing_to_pay"


def test_a_lost_answer_is_retried_under_the_same_number_and_pays_once(
    fake, funded, finance, client, keys, django_capture_on_commit_callbacks
):
    fake.lose_answer_next = 1
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    bill = TransferBill.objects.get(withdrawal=w)
    assert (bill.state, bill.attempts) == (S.NEW, 1) and "500" in bill.last_error
    assert fake.created_count() == 1  # WeChat Pay has it; we never heard back

    assert transfers.poll_transfers(now=later()) == {"transfers_checked": 1, "transfers_settled": 0}
    bill.refresh_from_db()
    assert (bill.state, bill.attempts, bill.last_error) == (S.WAIT_USER_CONFIRM, 2, "")
    assert bill.transfer_bill_no == fake.bills[w.number].transfer_bill_no
    creates = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/transfer-bills")]
    assert [r.body["out_bill_no"] for r in creates] == [w.number, w.number]
    assert fake.created_count() == 1

    fake.user_confirms(w.number)
    assert notify(client, fake, keys, w.number).status_code == 204
    w.refresh_from_db()
    assert w.status == W.PAID and w.external_reference == bill.transfer_bill_no
    assert paid_postings(w) == 1
    assert balance(withdrawing_account(funded.pk)) == 0 and balance(CASH_ACCOUNT) == -10000
    call_command("ledger_check")


@pytest.mark.parametrize(("amount", "named"), [(199_999, False), (200_000, True)])
def test_the_real_name_is_sent_encrypted_only_from_2000_yuan(
    fake, verified, finance, amount, named, django_capture_on_commit_callbacks
):
    fund(verified, 300_000)
    w = approve(ask(verified, amount), finance, django_capture_on_commit_callbacks)
    bill = TransferBill.objects.get(withdrawal=w)
    assert bill.real_name_sent is named and bill.state == S.WAIT_USER_CONFIRM
    assert fake.bills[w.number].real_name == ("王小明" if named else "")  # decrypted with the platform's private key


def test_a_forged_notification_settles_nothing_and_a_repeated_one_settles_once(
    fake, funded, finance, client, keys, django_capture_on_commit_callbacks
):
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    fake.user_confirms(w.number)
    forged = notify(client, fake, keys, w.number, key=keys.stranger)
    assert forged.status_code == 401 and forged.json()["code"] == "FAIL"
    body = fake.notification(w.number, apiv3=b"x" * 32)  # signed, but not encrypted with our APIv3 key
    assert client.post(NOTIFY, data=body, content_type="application/json", headers=fake.signed(body)).status_code == 400
    stale = notify(client, fake, keys, w.number, timestamp=int(timezone.now().timestamp()) - 3600)
    assert stale.status_code == 401
    w.refresh_from_db()
    assert w.status == W.APPROVED and paid_postings(w) == 0
    assert TransferBill.objects.get(withdrawal=w).settled_at is None
    assert set(PaymentRefusal.objects.values_list("reason", flat=True)) == {"forged", "tampered", "stale"}

    body = fake.notification(w.number, apiv3=keys.apiv3.encode())
    for _ in range(3):  # WeChat Pay repeats a notification until it hears 2xx
        assert client.post(NOTIFY, data=body, content_type="application/json", headers=fake.signed(body)).status_code == 204
    assert notify(client, fake, keys, w.number).status_code == 204  # another event id, same result
    w.refresh_from_db()
    assert w.status == W.PAID and paid_postings(w) == 1
    assert w.events.filter(to_status=W.PAID).count() == 1
    call_command("ledger_check")


def test_a_notification_for_an_unknown_bill_is_refused(fake, funded, finance, client, keys, django_capture_on_commit_callbacks):
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    TransferBill.objects.filter(withdrawal=w).update(out_bill_no="W0000000000000001")
    assert notify(client, fake, keys, w.number).status_code == 404


def test_the_job_settles_a_bill_whose_notification_never_came(fake, funded, finance, django_capture_on_commit_callbacks):
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    fake.user_confirms(w.number)
    assert transfers.poll_transfers() == {"transfers_checked": 0, "transfers_settled": 0}  # too early to ask
    assert transfers.poll_transfers(now=later()) == {"transfers_checked": 1, "transfers_settled": 1}
    assert transfers.poll_transfers(now=later(60)) == {"transfers_checked": 0, "transfers_settled": 0}
    w.refresh_from_db()
    assert w.status == W.PAID and paid_postings(w) == 1


def test_a_failed_transfer_returns_the_money_as_a_failed_payout_does(
    fake, funded, finance, client, keys, django_capture_on_commit_callbacks
):
    w = approve(ask(funded, 20000), finance, django_capture_on_commit_callbacks)
    fake.fails(w.number, "PAYEE_ACCOUNT_ABNORMAL")
    assert notify(client, fake, keys, w.number).status_code == 204
    w.refresh_from_db()
    assert w.status == W.FAILED and "PAYEE_ACCOUNT_ABNORMAL" in w.failure_reason
    assert Transaction.objects.filter(idempotency_key=f"withdrawal:{w.pk}:fail").count() == 1
    assert balance(available_account(funded.pk)) == 100000 and balance(withdrawing_account(funded.pk)) == 0
    assert TransferBill.objects.get(withdrawal=w).state == S.FAIL
    fake.user_confirms(w.number)  # a contradicting later report changes nothing
    assert notify(client, fake, keys, w.number).status_code == 204
    w.refresh_from_db()
    assert w.status == W.FAILED and paid_postings(w) == 0
    call_command("ledger_check")


def test_a_bill_the_user_let_lapse_returns_the_money(fake, funded, finance, django_capture_on_commit_callbacks):
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    fake.expires(w.number)
    transfers.poll_transfers(now=later())
    w.refresh_from_db()
    assert w.status == W.FAILED and balance(available_account(funded.pk)) == 100000
    assert TransferBill.objects.get(withdrawal=w).state == S.CANCELLED


def test_the_job_cancels_a_bill_not_accepted_within_the_window(fake, funded, finance, django_capture_on_commit_callbacks):
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    transfers.poll_transfers(now=later())
    assert Withdrawal.objects.get(pk=w.pk).status == W.APPROVED  # still within 24 hours: left waiting
    TransferBill.objects.filter(withdrawal=w).update(created_at=timezone.now() - timedelta(hours=25))
    transfers.poll_transfers(now=later(30))
    assert any(r.path.endswith("/cancel") for r in fake.requests)
    w.refresh_from_db()
    assert w.status == W.FAILED and balance(available_account(funded.pk)) == 100000


def test_a_refused_bill_that_wechat_pay_never_created_returns_the_money(
    fake, funded, finance, django_capture_on_commit_callbacks
):
    fake.reject_next = (403, "NO_AUTH", "no permission for this scene")
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    w.refresh_from_db()
    assert w.status == W.FAILED and balance(available_account(funded.pk)) == 100000
    assert "no permission" in w.failure_reason


def test_a_short_balance_is_retried_later(fake, funded, finance, django_capture_on_commit_callbacks):
    fake.reject_next = (403, "NOT_ENOUGH", "merchant balance too low")
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    bill = TransferBill.objects.get(withdrawal=w)
    assert bill.state == S.NEW and "NOT_ENOUGH" in bill.last_error and w.status == W.APPROVED
    transfers.poll_transfers(now=later())
    assert TransferBill.objects.get(withdrawal=w).state == S.WAIT_USER_CONFIRM


def test_without_transfer_configuration_every_channel_goes_by_batch(
    fake, settings, funded, finance, django_capture_on_commit_callbacks
):
    settings.WECHATPAY_TRANSFER_SCENE_ID = ""
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    assert not TransferBill.objects.exists() and fake.requests == []
    assert list(payouts.create_batch(actor=finance).lines.values_list("pk", flat=True)) == [w.pk]


def test_bank_and_alipay_stay_on_payout_files(fake, funded, finance, django_capture_on_commit_callbacks):
    w = approve(ask(funded, channel="alipay", account="13812345678"), finance, django_capture_on_commit_callbacks)
    assert not TransferBill.objects.exists()
    assert list(payouts.create_batch(actor=finance).lines.values_list("pk", flat=True)) == [w.pk]


def test_the_bound_official_account_openid_is_preferred(fake, funded, finance, monkeypatch, django_capture_on_commit_callbacks):
    bound = "oBoundInTheOfficialAccount12345"
    monkeypatch.setattr(transfers.wechat_selectors, "oa_openid", lambda user: bound if user == funded.user else "")
    w = approve(ask(funded, account=""), finance, django_capture_on_commit_callbacks)  # paid to the verified mobile's WeChat
    assert fake.bills[w.number].openid == bound


def test_without_any_openid_the_withdrawal_goes_by_batch(fake, funded, finance, django_capture_on_commit_callbacks):
    w = approve(ask(funded, account=""), finance, django_capture_on_commit_callbacks)
    assert not TransferBill.objects.exists() and w.status == W.APPROVED


# --- the distributor's page and finance's console ------------------------------------------------

WECHAT_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50"


def test_the_withdrawal_page_offers_the_confirmation_in_wechat(fake, funded, finance, client, django_capture_on_commit_callbacks):
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    client.force_login(funded.user)
    page = client.get(reverse("web:withdrawal_detail", args=[w.pk]), headers={"User-Agent": WECHAT_UA})
    html = page.content.decode()
    assert 'id="transfer-confirm"' in html and "web/transfer.js" in html
    assert reverse("web:withdrawal_transfer_confirm", args=[w.pk]) in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]

    params = client.post(reverse("web:withdrawal_transfer_confirm", args=[w.pk]), headers={"User-Agent": WECHAT_UA})
    assert params.status_code == 200
    assert params.json() == {"mchId": fake.mchid, "appId": fake.appid, "package": fake.bills[w.number].package_info}

    status_url = reverse("web:withdrawal_transfer_status", args=[w.pk])
    assert client.get(status_url).json()["final"] is False
    fake.user_confirms(w.number)
    TransferBill.objects.filter(withdrawal=w).update(last_checked_at=None)
    state = client.get(status_url).json()
    assert (state["final"], state["status"]) == (True, "paid")
    assert paid_postings(w) == 1
    assert client.post(reverse("web:withdrawal_transfer_confirm", args=[w.pk])).status_code == 409
    page = client.get(reverse("web:withdrawal_detail", args=[w.pk])).content.decode()
    assert 'id="transfer-confirm"' not in page


def test_another_distributor_gets_nothing(fake, funded, finance, client, django_capture_on_commit_callbacks):
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    other = DistributorFactory()
    services.submit_kyc(distributor=other, real_name="李四", id_number="11010519491231002X", mobile=other.user.phone)
    client.force_login(other.user)
    assert client.post(reverse("web:withdrawal_transfer_confirm", args=[w.pk])).status_code == 404
    assert client.get(reverse("web:withdrawal_transfer_status", args=[w.pk])).status_code == 404


def test_finance_sees_the_bills_and_can_ask_again(fake, funded, finance, client, django_capture_on_commit_callbacks):
    w = approve(ask(funded), finance, django_capture_on_commit_callbacks)
    client.force_login(finance)
    changelist = reverse("admin:withdrawals_transferbill_changelist")
    html = client.get(changelist).content.decode()
    assert w.number in html and OPENID not in html
    bill = TransferBill.objects.get(withdrawal=w)
    assert client.get(reverse("admin:withdrawals_transferbill_change", args=[bill.pk])).status_code == 200
    fake.user_confirms(w.number)
    client.post(changelist, {"action": "refresh", "_selected_action": [bill.pk]})
    w.refresh_from_db()
    assert w.status == W.PAID and paid_postings(w) == 1
