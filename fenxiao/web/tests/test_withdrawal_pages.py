"""The withdrawal pages through the test client: real-name verification first, the request form with
its live fee preview and inline errors, the list, the detail with its timeline and the cancel button."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from stdnum.cn import ric

from fenxiao.commissions.services import EXPENSE_ACCOUNT, available_account, ensure_distributor_accounts
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import AccountKind
from fenxiao.sms.tests.helpers import sent_code
from fenxiao.withdrawals import services
from fenxiao.withdrawals.models import KycRecord, Withdrawal
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db

ID_BODY = "11010119900307123"
ID_NUMBER = ID_BODY + ric.calc_check_digit(ID_BODY + "0")
CARD = "6222021202041234567"


def fund(distributor, amount_fen: int, key: str) -> None:
    ensure_distributor_accounts([distributor.pk])
    ledger.post(
        idempotency_key=key,
        kind="test_fund",
        entries=[(EXPENSE_ACCOUNT, "debit", amount_fen), (available_account(distributor.pk), "credit", amount_fen)],
    )


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def distributor(client):
    d = DistributorFactory(user=UserFactory(phone="13812345678", nickname="阿华"))
    client.force_login(d.user)
    return d


@pytest.fixture
def verified(distributor):
    services.submit_kyc(distributor=distributor, real_name="王小明", id_number=ID_NUMBER, mobile="13812345678")
    fund(distributor, 100000, "page:fund")
    return distributor


@pytest.fixture(autouse=True)
def ledger_sound():
    yield
    assert list(ledger_selectors.violations()) == []


def test_the_distributor_center_links_to_withdrawals(client, distributor):
    response = client.get(reverse("web:distributor_center"))
    assert f'href="{reverse("web:withdraw")}"' in response.content.decode()


def test_non_distributors_are_sent_to_apply(client, db):
    client.force_login(UserFactory())
    for name in ("web:withdraw", "web:kyc", "web:withdrawals"):
        assert client.get(reverse(name)).url == reverse("web:apply")
    client.logout()
    assert reverse("web:login") in client.get(reverse("web:withdraw")).url


def test_verification_comes_first_and_errors_show_inline(client, distributor):
    response = client.get(reverse("web:withdraw"))
    html = text_of(response)
    assert 'id="kyc-first"' in html and 'name="id_number"' in html
    assert 'value="13812345678"' in html  # the mobile starts as the login phone

    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    response = client.post(
        reverse("web:kyc"), {"real_name": "王小明", "id_number": bad, "mobile": "13812345678", "next": reverse("web:withdraw")}
    )
    html = text_of(response)
    assert response.status_code == 200 and "身份证号码校验位不正确" in html
    assert re.search(r'weui-cell_warn" for="id_id_number"', html)
    assert f'value="{bad}"' in html  # what was typed stays in the form

    response = client.post(reverse("web:kyc"), {"real_name": "王小明", "id_number": "110101900307123", "mobile": "13812345678"})
    assert "15 位" in text_of(response)

    code = sent_code("13812345678", "kyc")  # the mobile is proven by an SMS code (test_kyc_phone.py)
    response = client.post(
        reverse("web:kyc"),
        {"real_name": "王小明", "id_number": ID_NUMBER, "mobile": "13812345678", "code": code, "next": reverse("web:withdraw")},
    )
    assert response.status_code == 302 and response.url == reverse("web:withdraw")
    assert KycRecord.objects.get(distributor=distributor).id_number_masked == "1101**********" + ID_NUMBER[-4:]


def test_the_number_appears_only_masked(client, verified):
    for url in (reverse("web:withdraw"), reverse("web:kyc")):
        html = client.get(url).content.decode()
        assert ID_NUMBER not in html and "1101**********" + ID_NUMBER[-4:] in html


def test_the_form_shows_balance_rules_and_channels(client, verified):
    services.update_settings(fee_bp=50, alipay_enabled=False)
    html = text_of(client.get(reverse("web:withdraw")))
    assert 'id="available">¥1,000.00<' in html
    assert "单笔最低 ¥10" in html and "每日最多 ¥5,000" in html and "手续费 0.5%" in html
    assert 'id="channel-wechat"' in html and 'id="channel-bank"' in html and 'id="channel-alipay"' not in html
    assert "138****5678" in html  # where WeChat change goes
    assert 'id="debt-warning"' not in html


def test_the_live_preview_shows_fee_and_net_or_the_reason(client, verified):
    services.update_settings(fee_bp=55)
    url = reverse("web:withdraw_quote")
    html = text_of(client.get(url, {"amount": "19.99"}, headers={"HX-Request": "true"}))
    assert "手续费 ¥0.10" in html and "¥19.89" in html
    assert "单笔提现最低 ¥10.00" in text_of(client.get(url, {"amount": "9.99"}))
    assert "可提现余额不足" in text_of(client.get(url, {"amount": "1000.01"}))
    assert "最多两位小数" in text_of(client.get(url, {"amount": "1.234"}))
    assert "输入金额后" in text_of(client.get(url, {"amount": ""}))


def test_a_request_goes_to_its_detail_and_list(client, verified):
    response = client.post(
        reverse("web:withdraw"),
        {
            "amount": "50",
            "channel": "bank",
            "bank_name": "招商银行杭州分行",
            "card_number": "6222 0212 0204 1234 567",
            "token": "t1",
        },
    )
    withdrawal = Withdrawal.objects.get()
    assert response.status_code == 302 and response.url == reverse("web:withdrawal_detail", args=[withdrawal.pk])
    assert (withdrawal.amount_fen, withdrawal.bank_name, withdrawal.idempotency_key) == (5000, "招商银行杭州分行", "web:t1")

    html = text_of(client.get(response.url))
    assert 'id="withdrawal-status">待审核<' in html and "提交提现申请" in html
    assert "6222 **** **** 4567" in html and CARD not in html
    assert 'id="withdrawal-cancel"' in html

    html = text_of(client.get(reverse("web:withdrawals")))
    assert withdrawal.get_channel_display() in html and "¥50.00" in html and "待审核" in html
    assert "¥50.00" not in text_of(client.get(reverse("web:withdrawals"), {"status": "paid"}))

    html = text_of(client.get(reverse("web:withdraw")))
    assert 'id="available">¥950.00<' in html and "提现中 ¥50.00" in html


def test_the_same_form_sent_twice_makes_one_withdrawal(client, verified):
    data = {"amount": "20", "channel": "wechat", "token": "same-form"}
    first = client.post(reverse("web:withdraw"), data)
    second = client.post(reverse("web:withdraw"), data)
    assert first.url == second.url
    assert Withdrawal.objects.count() == 1
    # the form sent back with another amount is not a second request either
    response = client.post(reverse("web:withdraw"), {**data, "amount": "30"})
    assert "已经提交过" in text_of(response) and Withdrawal.objects.count() == 1


@pytest.mark.parametrize(
    "data,message,field",
    [
        ({"amount": "abc", "channel": "bank"}, "请输入正确的提现金额", "amount"),
        ({"amount": "5", "channel": "wechat"}, "单笔提现最低 ¥10.00", "amount"),
        ({"amount": "2000", "channel": "wechat"}, "可提现余额不足", "amount"),
        (
            {"amount": "50", "channel": "bank", "bank_name": "招商银行", "card_number": "1234"},
            "银行卡号应为 12–19 位数字",
            "card_number",
        ),
        ({"amount": "50", "channel": "bank", "bank_name": "", "card_number": CARD}, "请填写开户银行", "bank_name"),
        ({"amount": "50", "channel": "alipay", "alipay_account": "nobody"}, "支付宝账号应为", "alipay_account"),
        ({"amount": "50", "channel": ""}, "请选择提现方式", ""),
    ],
)
def test_refusals_show_inline_and_keep_the_input(client, verified, data, message, field):
    response = client.post(reverse("web:withdraw"), {**data, "token": "x"})
    html = text_of(response)
    assert response.status_code == 200 and 'id="withdraw-error"' in html and message in html
    if field:
        assert re.search(rf'weui-cell_warn" for="id_{field}"', html), field
    assert not Withdrawal.objects.exists()


def test_a_debt_is_explained(client, verified):
    ledger.get_or_create_account("test:others", kind=AccountKind.LIABILITY)
    ledger.post(
        idempotency_key="page:others",
        kind="test_fund",
        entries=[(EXPENSE_ACCOUNT, "debit", 5000), ("test:others", "credit", 5000)],
    )
    ledger.post(
        idempotency_key="page:claw",
        kind="test_clawback",
        entries=[(available_account(verified.pk), "debit", 102000), (EXPENSE_ACCOUNT, "credit", 102000)],
    )
    html = text_of(client.get(reverse("web:withdraw")))
    assert 'id="debt-warning"' in html and "¥20.00 欠款" in html
    response = client.post(reverse("web:withdraw"), {"amount": "10", "channel": "wechat", "token": "d"})
    assert "欠款" in text_of(response) and not Withdrawal.objects.exists()


def test_cancel_while_requested_gives_the_money_back(client, verified):
    w = services.request_withdrawal(distributor=verified, amount_fen=5000, channel="wechat")
    response = client.post(reverse("web:withdrawal_cancel", args=[w.pk]))
    assert response.url == reverse("web:withdrawal_detail", args=[w.pk])
    html = text_of(client.get(response.url))
    assert 'id="withdrawal-status">已取消<' in html and 'id="withdrawal-cancel"' not in html
    assert ledger_selectors.balance(available_account(verified.pk)) == 100000
    # a second tap on a stale page says why, on the page
    html = text_of(client.post(reverse("web:withdrawal_cancel", args=[w.pk])))
    assert 'id="action-error"' in html and "不能变为" in html


def test_others_withdrawals_are_not_found(client, verified):
    stranger = DistributorFactory()
    services.submit_kyc(distributor=stranger, real_name="李四", id_number=_other_id(), mobile=stranger.user.phone)
    fund(stranger, 5000, "page:stranger")
    w = services.request_withdrawal(distributor=stranger, amount_fen=5000, channel="wechat")
    assert client.get(reverse("web:withdrawal_detail", args=[w.pk])).status_code == 404
    assert client.post(reverse("web:withdrawal_cancel", args=[w.pk])).status_code == 404
    assert Withdrawal.objects.get(pk=w.pk).status == "requested"


def _other_id() -> str:
    body = "33010619851123002"
    return body + ric.calc_check_digit(body + "0")


def test_the_timeline_tells_the_story(client, verified):
    finance = UserFactory(is_staff=True)
    w = services.request_withdrawal(distributor=verified, amount_fen=5000, channel="wechat")
    services.reject_withdrawal(withdrawal_id=w.pk, actor=finance, reason="收款人与实名不一致")
    html = text_of(client.get(reverse("web:withdrawal_detail", args=[w.pk])))
    assert "申请被驳回，金额已退回" in html and "收款人与实名不一致" in html
    assert html.index("申请被驳回") < html.index("提交提现申请")  # newest first
