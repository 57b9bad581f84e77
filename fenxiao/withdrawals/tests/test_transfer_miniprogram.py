"""A WeChat-change withdrawal of a mini-program user, paid by merchant transfer and accepted in the
mini-program: the bill is made for the mini-program's appid and openid, the API hands over what
`wx.requestMerchantTransfer` needs (or says why not), and the check after the user's answer queries
WeChat Pay (the local fake) once and settles the withdrawal once."""

from __future__ import annotations

import json

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.commissions.services import available_account, withdrawing_account
from fenxiao.ledger.models import Transaction
from fenxiao.payments.tests.fake_transfer import APPID, new_keys, start_configured
from fenxiao.wechat.models import WeChatIdentity
from fenxiao.withdrawals import services
from fenxiao.withdrawals.models import TransferBill, Withdrawal
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, UserFactory

from .conftest import balance, fund

pytestmark = pytest.mark.usefixtures("ledger_sound")

MP_APPID = "wxa1b2c3d4e5f60708"
MP_OPENID = "oMiniAbCdEfGhIjKlMnOpQrStUv1"
OA_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
BASE = "/api/v1/withdrawals"
W = Withdrawal.Status
S = TransferBill.State


@pytest.fixture(scope="module")
def keys():
    return new_keys()


@pytest.fixture
def fake(db, settings, tmp_path, keys):
    fake = start_configured(settings, tmp_path, keys)
    fake.other_appids = (MP_APPID,)
    settings.FENXIAO_WECHAT_PROVIDER = "wechat"
    settings.FENXIAO_WECHAT_MP_APPID = MP_APPID
    settings.FENXIAO_WECHAT_MP_SECRET = "mini-secret"
    yield fake
    fake.stop()


@pytest.fixture
def mini(funded):
    """The funded distributor signed in through the mini-program."""
    WeChatIdentity.objects.create(user=funded.user, kind="mp", appid=MP_APPID, openid=MP_OPENID)
    return funded


class Api:
    def __init__(self, client, user):
        self.client, self.headers = client, {"Authorization": f"Bearer {issue_token(user=user)}"}

    def post(self, url):
        return self.client.post(url, "{}", content_type="application/json", headers=self.headers)


def approved(distributor, finance, capture, *, amount_fen=10000, channel="wechat", account="") -> Withdrawal:
    extra = {"bank_name": "工商银行"} if channel == "bank" else {}
    w = services.request_withdrawal(
        distributor=distributor, amount_fen=amount_fen, channel=channel, account=account, actor=distributor.user, **extra
    )
    with capture(execute=True):
        services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    return Withdrawal.objects.get(pk=w.pk)


def confirmation(client, distributor, w):
    return Api(client, distributor.user).post(f"{BASE}/{w.pk}/transfer/confirmation")


def check(client, distributor, w):
    return Api(client, distributor.user).post(f"{BASE}/{w.pk}/transfer/check")


def queries(fake, w) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.path.endswith(f"/out-bill-no/{w.number}"))


def test_the_bill_of_a_mini_program_user_is_made_for_the_mini_program(fake, mini, finance, django_capture_on_commit_callbacks):
    w = approved(mini, finance, django_capture_on_commit_callbacks)
    bill = TransferBill.objects.get(withdrawal=w)
    assert (bill.app_id, bill.state) == (MP_APPID, S.WAIT_USER_CONFIRM)
    sent = fake.bills[w.number]
    assert (sent.appid, sent.openid, sent.amount) == (MP_APPID, MP_OPENID, 10000)


def test_confirmation_hands_over_what_request_merchant_transfer_needs(
    fake, mini, finance, client, django_capture_on_commit_callbacks
):
    w = approved(mini, finance, django_capture_on_commit_callbacks)
    response = confirmation(client, mini, w)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "withdrawal_id": w.pk,
        "number": w.number,
        "mch_id": fake.mchid,
        "app_id": MP_APPID,
        "package_info": fake.bills[w.number].package_info,
        "state": "WAIT_USER_CONFIRM",
        "state_label": "待用户确认收款",
        "amount_fen": 10000,
    }
    # The withdrawal page of the Official Account cannot confirm a mini-program's bill.
    client.force_login(mini.user)
    page = client.post(f"/me/withdrawals/{w.pk}/transfer/confirm/")
    assert page.status_code == 409 and page.json()["code"] == "transfer_other_app"


def test_check_after_the_user_accepted_settles_once(fake, mini, finance, client, django_capture_on_commit_callbacks):
    w = approved(mini, finance, django_capture_on_commit_callbacks)
    fake.user_confirms(w.number)
    first = check(client, mini, w)
    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["status"], body["state"], body["settled"], body["awaiting_user"]) == (W.PAID, "SUCCESS", True, False)
    assert queries(fake, w) == 1
    again = check(client, mini, w)
    assert again.status_code == 200 and again.json() == body
    assert queries(fake, w) == 1  # settled: nothing more to ask
    assert Transaction.objects.filter(idempotency_key=f"withdrawal:{w.pk}:paid").count() == 1
    assert balance(withdrawing_account(mini.pk)) == 0
    # Finished now: nothing left to confirm.
    assert_error(confirmation(client, mini, w), 410, "transfer_finished")


def test_check_after_the_user_closed_the_sheet_leaves_the_bill_waiting(
    fake, mini, finance, client, django_capture_on_commit_callbacks
):
    w = approved(mini, finance, django_capture_on_commit_callbacks)
    body = check(client, mini, w).json()
    assert (body["status"], body["state"], body["settled"], body["awaiting_user"]) == (
        W.APPROVED,
        "WAIT_USER_CONFIRM",
        False,
        True,
    )
    assert queries(fake, w) == 1
    assert balance(withdrawing_account(mini.pk)) == 10000
    assert confirmation(client, mini, w).status_code == 200  # may confirm again


def test_a_failed_transfer_returns_the_money(fake, mini, finance, client, django_capture_on_commit_callbacks):
    w = approved(mini, finance, django_capture_on_commit_callbacks)
    fake.fails(w.number)
    body = check(client, mini, w).json()
    assert (body["status"], body["state"], body["settled"]) == (W.FAILED, "FAIL", True)
    assert "PAYEE_ACCOUNT_ABNORMAL" in body["failure_reason"]
    assert balance(withdrawing_account(mini.pk)) == 0 and balance(available_account(mini.pk)) == 100000


def test_refusals_say_why(fake, mini, finance, client, django_capture_on_commit_callbacks):
    # Someone else's withdrawal: not found, for both calls.
    w = approved(mini, finance, django_capture_on_commit_callbacks)
    other = DistributorFactory()
    assert_error(confirmation(client, other, w), 404, "withdrawal_not_found")
    assert_error(check(client, other, w), 404, "withdrawal_not_found")
    # Not a distributor at all.
    stranger = Api(client, UserFactory())
    assert_error(stranger.post(f"{BASE}/{w.pk}/transfer/confirmation"), 403, "not_distributor")
    # A bank-card withdrawal.
    fund(mini, 50000)
    bank = approved(mini, finance, django_capture_on_commit_callbacks, channel="bank", account="6222021202041234567")
    assert_error(confirmation(client, mini, bank), 409, "not_wechat_transfer")
    assert_error(check(client, mini, bank), 409, "not_wechat_transfer")
    # Not approved yet.
    waiting = services.request_withdrawal(distributor=mini, amount_fen=5000, channel="wechat", account="", actor=mini.user)
    assert_error(confirmation(client, mini, waiting), 409, "transfer_not_confirmable")
    # Rejected: finished.
    services.reject_withdrawal(withdrawal_id=waiting.pk, actor=finance, reason="资料不符")
    assert_error(confirmation(client, mini, waiting), 410, "transfer_finished")
    # Being paid (the user already accepted): nothing to confirm.
    fake.bills[w.number].state = "TRANSFERING"
    check(client, mini, w)
    assert_error(confirmation(client, mini, w), 409, "transfer_not_confirmable")


def test_a_bill_for_the_official_account_is_confirmed_there(fake, funded, finance, client, django_capture_on_commit_callbacks):
    WeChatIdentity.objects.create(user=funded.user, kind="mp", appid=MP_APPID, openid=MP_OPENID)
    w = approved(funded, finance, django_capture_on_commit_callbacks, account=OA_OPENID)
    bill = TransferBill.objects.get(withdrawal=w)
    assert (bill.app_id, fake.bills[w.number].appid) == ("", APPID)
    body = assert_error(confirmation(client, funded, w), 409, "transfer_other_app")
    assert body["detail"] == {"state": "WAIT_USER_CONFIRM"}


def test_a_wechat_withdrawal_paid_by_file_has_nothing_to_confirm(
    db, settings, mini, finance, client, django_capture_on_commit_callbacks
):
    settings.FENXIAO_WECHAT_PROVIDER = "wechat"
    settings.FENXIAO_WECHAT_MP_APPID = MP_APPID
    settings.FENXIAO_WECHAT_MP_SECRET = "mini-secret"
    settings.FENXIAO_DEV_TRANSFERS = False  # no transfer provider: the payout file pays it
    w = approved(mini, finance, django_capture_on_commit_callbacks)
    assert not TransferBill.objects.filter(withdrawal=w).exists()
    assert_error(confirmation(client, mini, w), 409, "not_wechat_transfer")


def test_wechat_pay_out_of_reach_is_a_424(fake, mini, finance, client, django_capture_on_commit_callbacks):
    fake.unavailable_next = 1
    w = approved(mini, finance, django_capture_on_commit_callbacks)
    assert TransferBill.objects.get(withdrawal=w).state == S.NEW
    fake.unavailable_next = 1
    assert_error(confirmation(client, mini, w), 424, "transfer_unavailable")
    # Reachable again: the bill goes out under the same number and can be confirmed.
    response = confirmation(client, mini, w)
    assert response.status_code == 200 and response.json()["package_info"] == fake.bills[w.number].package_info
    assert fake.created_count() == 1


def test_the_contract_declares_every_refusal(client):
    spec = client.get("/api/openapi.json").json()
    confirm = spec["paths"]["/api/v1/withdrawals/{withdrawal_id}/transfer/confirmation"]["post"]["responses"]
    for status, code in (
        (403, "not_distributor"),
        (404, "withdrawal_not_found"),
        (409, "not_wechat_transfer"),
        (409, "transfer_not_confirmable"),
        (409, "transfer_other_app"),
        (410, "transfer_finished"),
        (424, "transfer_unavailable"),
    ):
        assert f"`{code}`" in json.dumps(confirm[str(status)], ensure_ascii=False), (status, code)
    checked = spec["paths"]["/api/v1/withdrawals/{withdrawal_id}/transfer/check"]["post"]["responses"]
    assert "`not_wechat_transfer`" in checked["409"]["description"]
    assert "`withdrawal_not_found`" in checked["404"]["description"]


# --- a distributor with both identities: the bill follows where the withdrawal was asked ------------


@pytest.fixture
def both(fake, settings, funded):
    """The funded distributor with an Official Account identity (the merchant's appid) and a
    mini-program one."""
    settings.FENXIAO_WECHAT_APPID = APPID
    settings.FENXIAO_WECHAT_SECRET = "oa-secret"
    WeChatIdentity.objects.create(user=funded.user, kind="oa", appid=APPID, openid=OA_OPENID)
    WeChatIdentity.objects.create(user=funded.user, kind="mp", appid=MP_APPID, openid=MP_OPENID)
    return funded


MP_REFERER = f"https://servicewechat.com/{MP_APPID}/12/page-frame.html"


def api_request(client, distributor, *, app_id: str = "", **headers) -> Withdrawal:
    """A withdrawal asked through the API with a token issued by the login of `app_id` (a
    mini-program's AppID) or by any other login ("")."""
    response = client.post(
        BASE,
        json.dumps({"amount_fen": 10000, "channel": "wechat"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {issue_token(user=distributor.user, app_id=app_id)}", **headers},
    )
    assert response.status_code == 201, response.content
    return Withdrawal.objects.get(pk=response.json()["id"])


def approve(w, finance, capture) -> TransferBill:
    with capture(execute=True):
        services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    return TransferBill.objects.get(withdrawal=w)


def test_asked_in_the_mini_program_the_bill_goes_to_the_mini_program(
    fake, both, finance, client, django_capture_on_commit_callbacks
):
    w = api_request(client, both, app_id=MP_APPID)
    assert w.requested_in == Withdrawal.App.MINI_PROGRAM
    bill = approve(w, finance, django_capture_on_commit_callbacks)
    sent = fake.bills[w.number]
    assert (bill.app_id, sent.appid, sent.openid) == (MP_APPID, MP_APPID, MP_OPENID)
    response = confirmation(client, both, w)
    assert response.status_code == 200 and response.json()["app_id"] == MP_APPID
    client.force_login(both.user)
    assert client.post(f"/me/withdrawals/{w.pk}/transfer/confirm/").json()["code"] == "transfer_other_app"


def test_asked_on_the_pages_the_bill_goes_to_the_official_account(
    fake, both, finance, client, django_capture_on_commit_callbacks
):
    client.force_login(both.user)
    response = client.post("/me/withdraw/", {"amount": "100", "channel": "wechat", "token": "oa-page"})
    assert response.status_code == 302, response.content
    w = Withdrawal.objects.get(distributor=both)
    assert w.requested_in == Withdrawal.App.OFFICIAL_ACCOUNT
    bill = approve(w, finance, django_capture_on_commit_callbacks)
    sent = fake.bills[w.number]
    assert (bill.app_id, sent.appid, sent.openid) == ("", APPID, OA_OPENID)
    assert_error(confirmation(client, both, w), 409, "transfer_other_app")


def test_the_api_from_a_signed_in_browser_counts_as_the_official_account(fake, both, client):
    client.force_login(both.user)
    response = client.post(BASE, json.dumps({"amount_fen": 10000, "channel": "wechat"}), content_type="application/json")
    assert response.status_code == 201, response.content
    assert Withdrawal.objects.get(pk=response.json()["id"]).requested_in == Withdrawal.App.OFFICIAL_ACCOUNT


@pytest.mark.parametrize(
    ("app_id", "referer"),
    [("", ""), ("wx0000000000000000", ""), ("", MP_REFERER), ("", "https://example.com/")],
    ids=["other-login", "another-mini-program", "a-claimed-mini-program-referer", "a-web-page"],
)
def test_a_token_of_no_known_app_keeps_the_official_account_first(
    fake, both, finance, client, django_capture_on_commit_callbacks, app_id, referer
):
    """Only the token says which app asked: a header the caller writes (a mini-program's referer)
    changes nothing."""
    w = api_request(client, both, app_id=app_id, **({"Referer": referer} if referer else {}))
    assert w.requested_in == ""
    approve(w, finance, django_capture_on_commit_callbacks)
    assert (fake.bills[w.number].appid, fake.bills[w.number].openid) == (APPID, OA_OPENID)


def test_with_one_identity_that_one_is_used_wherever_it_was_asked(
    fake, settings, funded, mini, finance, client, django_capture_on_commit_callbacks
):
    # only the mini-program identity, asked on the pages: the mini-program it is
    w = services.request_withdrawal(
        distributor=mini, amount_fen=10000, channel="wechat", requested_in=Withdrawal.App.OFFICIAL_ACCOUNT, actor=mini.user
    )
    approve(w, finance, django_capture_on_commit_callbacks)
    assert (fake.bills[w.number].appid, fake.bills[w.number].openid) == (MP_APPID, MP_OPENID)


def test_with_only_the_official_account_a_mini_program_request_goes_there(
    fake, settings, funded, finance, client, django_capture_on_commit_callbacks
):
    settings.FENXIAO_WECHAT_APPID = APPID
    settings.FENXIAO_WECHAT_SECRET = "oa-secret"
    WeChatIdentity.objects.create(user=funded.user, kind="oa", appid=APPID, openid=OA_OPENID)
    w = api_request(client, funded, app_id=MP_APPID)
    assert w.requested_in == Withdrawal.App.MINI_PROGRAM
    bill = approve(w, finance, django_capture_on_commit_callbacks)
    assert (bill.app_id, fake.bills[w.number].appid, fake.bills[w.number].openid) == ("", APPID, OA_OPENID)
