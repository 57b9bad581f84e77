"""The merchant transfer client against the local fake of WeChat Pay's transfer API."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from fenxiao.payments import transfers, wechatpay

from .fake_transfer import start_configured

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture
def fake(db, settings, tmp_path, wechat_keys):
    fake = start_configured(settings, tmp_path, wechat_keys)
    yield fake
    fake.stop()


def create(fake, number="W2026120612000012345", amount=5000, real_name="王小明"):
    conf = wechatpay.load_config()
    return transfers.create_bill(
        conf,
        transfers.transfer_settings(),
        out_bill_no=number,
        openid=OPENID,
        amount_fen=amount,
        remark="佣金提现",
        real_name=real_name,
    )


def test_create_sends_the_scene_and_the_wording_and_returns_the_package(fake):
    bill = create(fake)
    assert bill.state == "WAIT_USER_CONFIRM" and bill.package_info and bill.transfer_bill_no
    sent = [r for r in fake.requests if r.path == transfers.CREATE_PATH]
    assert len(sent) == 1 and sent[0].authorized
    body = sent[0].body
    assert body["appid"] == fake.appid and body["out_bill_no"] == "W2026120612000012345"
    assert (body["transfer_scene_id"], body["transfer_amount"], body["openid"]) == ("1005", 5000, OPENID)
    assert body["user_recv_perception"] == "劳务报酬"
    assert body["transfer_scene_report_infos"] == [
        {"info_type": "岗位类型", "info_content": "分销推广员"},
        {"info_type": "报酬说明", "info_content": "分销佣金提现"},
    ]
    assert body["notify_url"].endswith("/api/v1/withdrawals/wechatpay/transfer-notify")
    assert "user_name" not in body


@pytest.mark.parametrize(("amount", "named"), [(199_999, False), (200_000, True), (500_000, True)])
def test_the_real_name_goes_encrypted_only_from_2000_yuan(fake, amount, named):
    create(fake, number=f"W{amount}", amount=amount)
    body = next(r.body for r in fake.requests if r.path == transfers.CREATE_PATH)
    assert ("user_name" in body) is named
    assert "王小明" not in json.dumps(body, ensure_ascii=False)
    bill = fake.bills[f"W{amount}"]
    assert bill.real_name == ("王小明" if named else "")  # decrypted by the fake with the platform's private key


def test_a_large_amount_without_a_name_is_not_sent(fake):
    with pytest.raises(ValueError):
        create(fake, amount=200_000, real_name="")
    assert fake.requests == []


def test_creating_again_under_the_same_number_returns_the_same_bill(fake):
    fake.lose_answer_next = 1
    with pytest.raises(wechatpay.ProviderUnavailable):
        create(fake)
    again = create(fake)
    assert fake.created_count() == 1
    assert again.transfer_bill_no == fake.bills["W2026120612000012345"].transfer_bill_no


def test_query_reads_the_state_and_knows_an_unknown_bill(fake):
    create(fake)
    conf = wechatpay.load_config()
    assert transfers.query_bill(conf, "W2026120612000012345").state == "WAIT_USER_CONFIRM"
    fake.user_confirms("W2026120612000012345")
    answer = transfers.query_bill(conf, "W2026120612000012345")
    assert (answer.state, answer.final, answer.amount_fen) == ("SUCCESS", True, 5000)
    assert transfers.query_bill(conf, "W0000000000") is None
    assert all(r.authorized for r in fake.requests)


def test_cancel_closes_a_bill_waiting_for_the_user(fake):
    create(fake)
    answer = transfers.cancel_bill(wechatpay.load_config(), "W2026120612000012345")
    assert answer.state == "CANCELLED" and answer.final


def test_an_answer_not_signed_by_the_platform_is_not_trusted(fake, wechat_keys):
    fake.response_key = wechat_keys.stranger
    with pytest.raises(wechatpay.ProviderUnavailable):
        create(fake)


def test_a_refusal_carries_the_code(fake):
    fake.reject_next = (403, "NO_AUTH", "no transfer permission for this scene")
    with pytest.raises(wechatpay.ProviderRejected) as caught:
        create(fake)
    assert (caught.value.status, caught.value.code) == (403, "NO_AUTH")


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_inside_a_transaction(fake):
    with transaction.atomic(), pytest.raises(wechatpay.ProviderCallInTransaction):
        create(fake)
    with transaction.atomic(), pytest.raises(wechatpay.ProviderCallInTransaction):
        create(fake, amount=300_000)  # the request with the encrypted name too
    assert fake.requests == []


def test_the_notification_is_verified_and_decrypted(fake, wechat_keys):
    create(fake)
    fake.user_confirms("W2026120612000012345")
    conf = wechatpay.load_config()
    body = fake.notification("W2026120612000012345", apiv3=wechat_keys.apiv3.encode())
    note = transfers.parse_notification(conf, fake.signed(body), body)
    assert note.event_type == transfers.NOTIFICATION_EVENT
    assert (note.bill.out_bill_no, note.bill.state, note.bill.amount_fen) == ("W2026120612000012345", "SUCCESS", 5000)

    with pytest.raises(transfers.NotificationRefused) as forged:
        transfers.parse_notification(conf, fake.signed(body, key=wechat_keys.stranger), body)
    assert forged.value.outcome == "forged"
    with pytest.raises(transfers.NotificationRefused) as changed:
        transfers.parse_notification(conf, fake.signed(body), body.replace(b"MCHTRANSFER", b"MCHTRANSFEX"))
    assert changed.value.outcome == "forged"
    wrong_key = fake.notification("W2026120612000012345", apiv3=b"0" * 32)
    with pytest.raises(transfers.NotificationRefused) as tampered:
        transfers.parse_notification(conf, fake.signed(wrong_key), wrong_key)
    assert tampered.value.outcome == "tampered"
    with pytest.raises(transfers.NotificationRefused) as stale:
        transfers.parse_notification(conf, fake.signed(body, timestamp=1_700_000_000), body)
    assert stale.value.outcome == "stale"


def test_configuration(settings, fake):
    assert transfers.is_configured()
    settings.WECHATPAY_TRANSFER_SCENE_ID = ""
    assert not transfers.is_configured()
    assert transfers.parse_report_infos(" 岗位类型 = 推广员 ; ") == (("岗位类型", "推广员"),)
    with pytest.raises(transfers.TransferNotConfigured):
        transfers.parse_report_infos("岗位类型")
    with pytest.raises(transfers.TransferNotConfigured):
        transfers.parse_report_infos("岗位类型=" + "长" * 33)
