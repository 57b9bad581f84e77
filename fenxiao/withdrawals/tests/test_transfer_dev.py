"""The demo pays WeChat-change withdrawals by the development transfer provider: approving one makes a
bill at the dev provider, the distributor's 确认收款 opens the dev confirmation page (WeChat's sheet in
real life), and its answer settles the withdrawal through the same query as a real transfer. Production
settings refuse the dev provider, and a configured WeChat Pay takes precedence over it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fenxiao.commissions.services import CASH_ACCOUNT, available_account, withdrawing_account
from fenxiao.ledger.models import Transaction
from fenxiao.payments import transfers as client
from fenxiao.payments.tests.fake_transfer import new_keys, start_configured
from fenxiao.withdrawals import services
from fenxiao.withdrawals.models import TransferBill, Withdrawal
from fenxiao.withdrawals.services import payouts, transfers
from tests.factories import DistributorFactory
from tests.test_deployment import import_production, production_env

from .conftest import balance

pytestmark = pytest.mark.usefixtures("ledger_sound")

W = Withdrawal.Status
S = TransferBill.State


@pytest.fixture
def dev(settings):
    settings.FENXIAO_DEV_TRANSFERS = True
    settings.WECHATPAY_MCHID = ""  # no WeChat Pay, as in the demo
    yield
    cache.clear()


def approved(distributor, finance, capture, amount_fen=10000) -> Withdrawal:
    w = services.request_withdrawal(
        distributor=distributor, amount_fen=amount_fen, channel="wechat", account="", actor=distributor.user
    )
    with capture(execute=True):
        services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    return Withdrawal.objects.get(pk=w.pk)


def signed_in(distributor) -> Client:
    browser = Client()
    browser.force_login(distributor.user)
    return browser


def sheet_url(browser, w) -> str:
    """What the withdrawal page's 确认收款 gets back: the bridge arguments and the dev sheet."""
    response = browser.post(reverse("web:withdrawal_transfer_confirm", args=[w.pk]))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["mchId"], data["appId"]) == (client.DEV_MCH_ID, client.DEV_APPID)
    assert data["package"] == TransferBill.objects.get(withdrawal=w).package_info
    assert parse_qs(urlsplit(data["devSheetUrl"]).query)["package"] == [data["package"]]
    return data["devSheetUrl"]


def paid_postings(w) -> int:
    return Transaction.objects.filter(idempotency_key=f"withdrawal:{w.pk}:paid").count()


def test_approval_makes_a_dev_bill_instead_of_a_payout_file_line(dev, funded, finance, django_capture_on_commit_callbacks):
    w = approved(funded, finance, django_capture_on_commit_callbacks)
    bill = TransferBill.objects.get(withdrawal=w)
    assert (bill.out_bill_no, bill.state, bill.amount_fen) == (w.number, S.WAIT_USER_CONFIRM, 10000)
    assert bill.package_info.startswith("dev.") and bill.transfer_bill_no
    assert client.DevTransfers().query_bill(w.number).state == "WAIT_USER_CONFIRM"
    with pytest.raises(Exception) as nothing:
        payouts.create_batch(actor=finance, channel="wechat")
    assert getattr(nothing.value, "code", "") == "nothing_to_pay"


def test_the_page_offers_the_dev_sheet_and_accepting_pays_once(dev, funded, finance, django_capture_on_commit_callbacks):
    w = approved(funded, finance, django_capture_on_commit_callbacks)
    browser = signed_in(funded)
    detail = browser.get(reverse("web:withdrawal_detail", args=[w.pk])).content.decode()
    assert 'id="transfer-confirm"' in detail and 'id="transfer-dev"' in detail
    url = sheet_url(browser, w)
    page = browser.get(url)
    assert page.status_code == 200
    assert "¥100.00" in page.content.decode() and w.number in page.content.decode()

    package = parse_qs(urlsplit(url).query)["package"][0]
    answer = browser.post(url, {"package": package, "action": "accept"})
    assert answer.status_code == 302 and answer["Location"] == reverse("web:withdrawal_detail", args=[w.pk])
    w.refresh_from_db()
    bill = TransferBill.objects.get(withdrawal=w)
    assert (w.status, bill.state) == (W.PAID, S.SUCCESS) and bill.settled_at is not None
    assert w.external_reference == bill.transfer_bill_no
    assert paid_postings(w) == 1
    assert balance(withdrawing_account(funded.pk)) == 0 and balance(CASH_ACCOUNT) == -10000
    # The sheet is gone once answered; answering again changes nothing.
    assert browser.post(url, {"package": package, "action": "accept"}).status_code == 404
    assert transfers.refresh_bill(bill.pk).settled_at == bill.settled_at
    assert paid_postings(w) == 1
    assert "已到账" in browser.get(reverse("web:withdrawal_detail", args=[w.pk])).content.decode()


def test_a_failed_dev_transfer_returns_the_money(dev, funded, finance, django_capture_on_commit_callbacks):
    w = approved(funded, finance, django_capture_on_commit_callbacks)
    browser = signed_in(funded)
    url = sheet_url(browser, w)
    package = parse_qs(urlsplit(url).query)["package"][0]
    assert browser.post(url, {"package": package, "action": "fail"}).status_code == 302
    w.refresh_from_db()
    assert w.status == W.FAILED and client.DEV_FAIL_REASON in w.failure_reason
    assert balance(withdrawing_account(funded.pk)) == 0 and balance(available_account(funded.pk)) == 100000


def test_closing_the_sheet_leaves_the_transfer_waiting(dev, funded, finance, django_capture_on_commit_callbacks):
    w = approved(funded, finance, django_capture_on_commit_callbacks)
    browser = signed_in(funded)
    url = sheet_url(browser, w)
    package = parse_qs(urlsplit(url).query)["package"][0]
    assert browser.post(url, {"package": package, "action": "close"}).status_code == 302
    w.refresh_from_db()
    assert w.status == W.APPROVED and TransferBill.objects.get(withdrawal=w).awaiting_user


def test_the_sheet_belongs_to_its_distributor_and_package(dev, funded, finance, django_capture_on_commit_callbacks):
    w = approved(funded, finance, django_capture_on_commit_callbacks)
    url = sheet_url(signed_in(funded), w)
    package = parse_qs(urlsplit(url).query)["package"][0]
    other = signed_in(DistributorFactory())
    assert other.get(url).status_code == 404
    assert other.post(url, {"package": package, "action": "accept"}).status_code == 404
    mine = signed_in(funded)
    assert mine.get(reverse("web:withdrawal_transfer_dev_sheet", args=[w.pk]) + "?package=dev.guessed").status_code == 404
    assert mine.post(url, {"package": "dev.guessed", "action": "accept"}).status_code == 404
    w.refresh_from_db()
    assert w.status == W.APPROVED


def test_an_unconfirmed_dev_bill_is_cancelled_by_the_job_and_the_money_returns(
    dev, funded, finance, django_capture_on_commit_callbacks
):
    w = approved(funded, finance, django_capture_on_commit_callbacks)
    TransferBill.objects.filter(withdrawal=w).update(created_at=timezone.now() - timedelta(hours=25))
    result = transfers.poll_transfers(now=timezone.now() + timedelta(minutes=11))
    assert result == {"transfers_checked": 1, "transfers_settled": 1}
    w.refresh_from_db()
    assert w.status == W.FAILED and balance(available_account(funded.pk)) == 100000


def test_without_the_dev_provider_the_sheet_does_not_exist(settings, funded, finance, django_capture_on_commit_callbacks):
    settings.FENXIAO_DEV_TRANSFERS = False
    w = approved(funded, finance, django_capture_on_commit_callbacks)
    assert not TransferBill.objects.filter(withdrawal=w).exists()  # paid by payout file, as before
    url = reverse("web:withdrawal_transfer_dev_sheet", args=[w.pk]) + "?package=dev.x"
    assert signed_in(funded).get(url).status_code == 404


def test_configured_wechat_pay_takes_precedence(dev, settings, tmp_path, funded, finance, django_capture_on_commit_callbacks):
    fake = start_configured(settings, tmp_path, new_keys())
    try:
        assert isinstance(client.provider(), client.WeChatPayTransfers)
        openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
        w = services.request_withdrawal(distributor=funded, amount_fen=10000, channel="wechat", account=openid, actor=funded.user)
        with django_capture_on_commit_callbacks(execute=True):
            services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
        assert fake.bills[w.number].openid == openid
        assert client.DevTransfers().query_bill(w.number) is None
        response = signed_in(funded).post(reverse("web:withdrawal_transfer_confirm", args=[w.pk]))
        assert "devSheetUrl" not in response.json()
    finally:
        fake.stop()


def test_the_dev_provider_answers_like_wechat_pay(dev):
    dev_provider = client.DevTransfers()
    bill = dev_provider.create_bill(out_bill_no="W2026120700000001", openid="odev1", amount_fen=500, remark="r")
    assert bill.state == "WAIT_USER_CONFIRM" and bill.package_info
    again = dev_provider.create_bill(out_bill_no="W2026120700000001", openid="odev1", amount_fen=500, remark="r")
    assert again == bill  # the same number gets the same bill back
    with pytest.raises(client.wechatpay.ProviderRejected):
        dev_provider.create_bill(out_bill_no="W2026120700000001", openid="odev1", amount_fen=600, remark="r")
    with pytest.raises(client.wechatpay.ProviderRejected):
        dev_provider.create_bill(out_bill_no="W2026120700000002", openid="odev1", amount_fen=200_000, remark="r")
    with pytest.raises(client.wechatpay.ProviderRejected):
        dev_provider.dev_confirm("W2026120700000001", "dev.wrong")
    paid = dev_provider.dev_confirm("W2026120700000001", bill.package_info)
    assert (paid.state, paid.package_info, paid.amount_fen) == ("SUCCESS", "", 500)
    with pytest.raises(client.wechatpay.ProviderRejected):
        dev_provider.cancel_bill("W2026120700000001")
    assert dev_provider.query_bill("W2026120700000009") is None


def test_no_provider_at_all(settings):
    settings.FENXIAO_DEV_TRANSFERS = False
    settings.WECHATPAY_MCHID = ""
    assert not client.is_configured()
    with pytest.raises(client.TransferNotConfigured):
        client.provider()


def test_production_settings_refuse_the_dev_transfer_provider():
    result = import_production(production_env(FENXIAO_DEV_TRANSFERS="1"))
    assert result.returncode != 0
    assert "Production settings refuse to start: FENXIAO_DEV_TRANSFERS is on" in result.stderr
    assert import_production(production_env(FENXIAO_DEV_TRANSFERS="0")).returncode == 0
