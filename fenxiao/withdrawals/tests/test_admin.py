"""Finance's admin: review actions with a reason, payout batches with their files and the result
import page, masked real-name records and the settings form, all through the services."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fenxiao.withdrawals import services
from fenxiao.withdrawals.models import KycRecord, PayoutBatch, Withdrawal, WithdrawalSettings
from fenxiao.withdrawals.services import payouts
from tests.factories import StaffFactory

from .conftest import VALID_ID, approve_batch, staff_in

pytestmark = pytest.mark.usefixtures("ledger_sound")
CARD = "6222021202041234567"
W = Withdrawal.Status


@pytest.fixture
def admin_client(client, finance):
    client.force_login(finance)
    return client


@pytest.fixture
def requested(funded):
    return [
        services.request_withdrawal(distributor=funded, amount_fen=10000, channel="bank", account=CARD, bank_name="工商银行"),
        services.request_withdrawal(distributor=funded, amount_fen=5000, channel="wechat"),
    ]


def changelist(model: str) -> str:
    return reverse(f"admin:withdrawals_{model}_changelist")


def test_every_page_renders_for_finance_without_full_numbers(admin_client, requested, finance):
    services.approve_withdrawal(withdrawal_id=requested[0].pk, actor=finance)
    batch = approve_batch(payouts.create_batch(actor=finance))
    payouts.export_batch(batch_id=batch.pk, actor=finance, fmt="csv")
    payouts.import_results(
        batch_id=batch.pk, actor=finance, filename="r.csv", content=f"提现单号,结果\n{requested[0].number},成功\n".encode()
    )
    kyc = KycRecord.objects.get()
    pages = [
        changelist("withdrawal"),
        reverse("admin:withdrawals_withdrawal_change", args=[requested[0].pk]),
        changelist("payoutbatch"),
        reverse("admin:withdrawals_payoutbatch_change", args=[batch.pk]),
        changelist("kycrecord"),
        reverse("admin:withdrawals_kycrecord_change", args=[kyc.pk]),
        changelist("withdrawalsettings"),
        reverse("admin:withdrawals_payoutbatch_create"),
        reverse("admin:withdrawals_payoutbatch_import", args=[batch.pk]),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert VALID_ID not in text and CARD not in text, url
    text = admin_client.get(changelist("kycrecord")).content.decode()
    assert "1101**********1233" in text
    text = admin_client.get(reverse("admin:withdrawals_payoutbatch_change", args=[batch.pk])).content.decode()
    assert "6222 **** **** 4567" in text and "导出 CSV" in text


def _action(client, action: str, ids, **extra):
    return client.post(
        changelist("withdrawal"), {"action": action, "_selected_action": [str(i) for i in ids], **extra}, follow=True
    )


def test_approve_and_reject_actions(admin_client, requested, finance):
    response = _action(admin_client, "reject", [requested[1].pk], reason="")
    assert "驳回须填写原因" in response.content.decode()
    assert Withdrawal.objects.get(pk=requested[1].pk).status == W.REQUESTED

    _action(admin_client, "approve", [requested[0].pk])
    _action(admin_client, "reject", [requested[1].pk], reason="户名不符")
    first, second = (Withdrawal.objects.get(pk=w.pk) for w in requested)
    assert first.status == W.APPROVED and first.events.last().actor == finance
    assert (second.status, second.reject_reason) == (W.REJECTED, "户名不符")

    # approving again is refused by the service and reported, not an error page
    response = _action(admin_client, "approve", [requested[0].pk])
    assert response.status_code == 200 and "不能变为" in response.content.decode()


def test_a_batch_from_selected_withdrawals_and_from_the_create_page(admin_client, requested, finance):
    for w in requested:
        services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    response = _action(admin_client, "make_batch", [requested[0].pk])
    batch = PayoutBatch.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:withdrawals_payoutbatch_change", args=[batch.pk])
    assert list(batch.lines.values_list("pk", flat=True)) == [requested[0].pk]

    response = admin_client.post(reverse("admin:withdrawals_payoutbatch_create"), {"channel": "wechat"})
    assert response.status_code == 302
    assert PayoutBatch.objects.count() == 2
    response = admin_client.post(reverse("admin:withdrawals_payoutbatch_create"), {"channel": ""})
    assert response.status_code == 200 and "没有待打款" in response.content.decode()


def test_export_links_and_the_import_page(admin_client, requested, finance):
    services.approve_withdrawal(withdrawal_id=requested[0].pk, actor=finance)
    batch = approve_batch(payouts.create_batch(actor=finance))
    assert (
        reverse("admin:withdrawals_payoutbatch_export", args=[batch.pk, "csv"])
        in admin_client.get(changelist("payoutbatch")).content.decode()
    )

    response = admin_client.get(reverse("admin:withdrawals_payoutbatch_export", args=[batch.pk, "csv"]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][4] == CARD
    response = admin_client.get(reverse("admin:withdrawals_payoutbatch_export", args=[batch.pk, "xlsx"]))
    assert response.content[:2] == b"PK"
    response = admin_client.get(reverse("admin:withdrawals_payoutbatch_export", args=[batch.pk, "pdf"]), follow=True)
    assert "导出格式" in response.content.decode()

    url = reverse("admin:withdrawals_payoutbatch_import", args=[batch.pk])
    content = f"提现单号,结果,打款流水号\n{requested[0].number},成功,B-1\nW404,成功,\n".encode()
    response = admin_client.post(url, {"file": SimpleUploadedFile("results.csv", content)})
    text = response.content.decode()
    assert response.status_code == 200 and 'id="import-summary"' in text
    assert "新处理 1 笔" in text and "错误 1 行" in text and "提现单号不存在" in text
    response = admin_client.post(url, {"file": SimpleUploadedFile("results.csv", content)})
    assert "已处理 1 笔" in response.content.decode()
    assert Withdrawal.objects.get(pk=requested[0].pk).status == W.PAID
    response = admin_client.post(url, {"file": SimpleUploadedFile("results.csv", b"nothing,here\n")})
    assert 'id="import-error"' in response.content.decode()


def test_staff_without_finance_permissions_cannot_export_or_create(client, requested, finance):
    services.approve_withdrawal(withdrawal_id=requested[0].pk, actor=finance)
    batch = approve_batch(payouts.create_batch(actor=finance))
    client.force_login(staff_in("客服"))
    assert client.get(reverse("admin:withdrawals_payoutbatch_export", args=[batch.pk, "csv"])).status_code == 403
    assert client.get(reverse("admin:withdrawals_payoutbatch_create")).status_code == 403
    assert client.get(reverse("admin:withdrawals_payoutbatch_import", args=[batch.pk])).status_code == 403
    assert client.get(changelist("withdrawal")).status_code == 403
    assert PayoutBatch.objects.get().status == "open"


def test_the_settings_form_refuses_what_the_service_refuses(client, db):
    client.force_login(StaffFactory())
    services.get_settings()
    url = reverse("admin:withdrawals_withdrawalsettings_change", args=[1])
    data = {
        "min_amount_fen": "10",  # the console takes yuan and percent
        "daily_cap_fen": "5",
        "fee_bp": "0",
        "wechat_enabled": "on",
        "bank_enabled": "on",
        "alipay_enabled": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "不能低于最低提现金额" in response.content.decode()
    data["daily_cap_fen"] = "8,000"
    data["fee_bp"] = "0.3"
    assert client.post(url, data).status_code == 302
    conf = WithdrawalSettings.objects.get(pk=1)
    assert (conf.daily_cap_fen, conf.fee_bp, conf.updated_by_id is not None) == (800000, 30, True)


def test_the_finance_group_has_the_withdrawal_permissions(finance):
    for perm in (
        "view_withdrawal",
        "change_withdrawal",
        "add_payoutbatch",
        "change_payoutbatch",
        "export_payoutbatch",
        "view_kycrecord",
        "change_withdrawalsettings",
    ):
        assert finance.has_perm(f"withdrawals.{perm}"), perm
    assert not staff_in("客服").has_perm("withdrawals.view_withdrawal")
