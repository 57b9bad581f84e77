"""The withdrawal endpoints for distributors (/api/v1/withdrawals) and for finance
(/api/v1/operator/withdrawals): shapes, permissions, masking and the {code, message, detail} errors."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from fenxiao.accounts.services import issue_token
from fenxiao.sms import selectors as sms_selectors
from fenxiao.withdrawals import services
from fenxiao.withdrawals.models import IdentityConflict, PayoutBatch, Withdrawal
from fenxiao.withdrawals.services import payouts
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, UserFactory

from .conftest import OTHER_ID, VALID_ID, approve_batch, claw_back, fund, staff_in

pytestmark = pytest.mark.usefixtures("ledger_sound")
CARD = "6222021202041234567"
BASE = "/api/v1/withdrawals"
OP = "/api/v1/operator/withdrawals"


class Api:
    def __init__(self, client, user):
        self.client, self.headers = client, {"Authorization": f"Bearer {issue_token(user=user)}"}

    def get(self, url, **params):
        return self.client.get(url, params, headers=self.headers)

    def post(self, url, data=None, **headers):
        return self.client.post(url, json.dumps(data or {}), content_type="application/json", headers={**self.headers, **headers})

    def put(self, url, data):
        return self.client.put(url, json.dumps(data), content_type="application/json", headers=self.headers)

    def patch(self, url, data):
        return self.client.patch(url, json.dumps(data), content_type="application/json", headers=self.headers)

    def upload(self, url, name, content):
        return self.client.post(url, {"file": SimpleUploadedFile(name, content)}, headers=self.headers)


@pytest.fixture
def api(client, distributor):
    return Api(client, distributor.user)


@pytest.fixture
def op(client, finance):
    return Api(client, finance)


def kyc_body(api, mobile="13812345678", **fields) -> dict:
    """A real-name submission with the code the development SMS provider "sent" to `mobile`."""
    r = api.post(f"{BASE}/kyc/code", {"mobile": mobile})
    assert r.status_code == 202, r.content
    return {
        "real_name": "王小明",
        "id_number": VALID_ID,
        "mobile": mobile,
        "code": sms_selectors.dev_code(mobile, "kyc"),
        **fields,
    }


def bank_request(amount_fen=5000, **extra):
    return {"amount_fen": amount_fen, "channel": "bank", "account": CARD, "bank_name": "工商银行", **extra}


# --- KYC ------------------------------------------------------------------------------------------


def test_kyc_is_submitted_and_shown_masked_only(api, distributor):
    assert api.get(f"{BASE}/kyc").json() == {
        "verified": False,
        "real_name": None,
        "id_number_masked": None,
        "gender": None,
        "mobile_masked": None,
        "mobile_verified": False,
        "updated_at": None,
    }
    r = api.put(f"{BASE}/kyc", kyc_body(api))
    assert r.status_code == 200, r.content
    body = r.json()
    assert (
        body["verified"],
        body["real_name"],
        body["id_number_masked"],
        body["gender"],
        body["mobile_masked"],
        body["mobile_verified"],
    ) == (True, "王小明", "1101**********1233", "M", "138****5678", True)
    for response in (r, api.get(f"{BASE}/kyc")):
        assert VALID_ID not in response.content.decode() and "13812345678" not in response.content.decode()


@pytest.mark.parametrize(
    "payload,code",
    [
        ({"real_name": "王小明", "id_number": VALID_ID[:-1] + "0", "mobile": "13812345678"}, "invalid_id_number"),
        ({"real_name": "王小明", "id_number": "110101900307123", "mobile": "13812345678"}, "invalid_id_number"),
        ({"real_name": "Wang", "id_number": VALID_ID, "mobile": "13812345678"}, "invalid_name"),
        ({"real_name": "王小明", "id_number": VALID_ID, "mobile": "12345"}, "invalid_mobile"),
    ],
)
def test_bad_kyc_input_is_a_400_with_the_field(api, payload, code):
    body = assert_error(api.put(f"{BASE}/kyc", {**payload, "code": "000000"}), 400, code)
    assert body["detail"]["field"] in {"real_name", "id_number", "mobile"}


def test_an_id_number_of_another_distributor_gets_the_neutral_answer(api, client):
    other = DistributorFactory()
    services.submit_kyc(distributor=other, real_name="李四", id_number=VALID_ID, mobile=other.user.phone)
    body = assert_error(
        api.put(f"{BASE}/kyc", kyc_body(api)),
        400,
        "identity_unverifiable",
    )
    assert body["detail"] == {} and "其他" not in body["message"]
    assert IdentityConflict.objects.filter(holder=other).count() == 1


def test_missing_fields_are_a_422(api):
    assert_error(api.put(f"{BASE}/kyc", {"real_name": "王小明"}), 422, "invalid_input")


def test_only_approved_distributors_and_signed_in_users(client, db):
    consumer = Api(client, UserFactory())
    assert_error(consumer.get(f"{BASE}/kyc"), 403, "not_distributor")
    assert_error(consumer.post(BASE, bank_request()), 403, "not_distributor")
    client.logout()
    assert_error(client.get(f"{BASE}/settings"), 401, "not_authenticated")


# --- settings and quote --------------------------------------------------------------------------


def test_settings_show_rules_balance_and_a_quote(api, distributor):
    services.update_settings(fee_bp=55, alipay_enabled=False)
    fund(distributor, 20000)
    body = api.get(f"{BASE}/settings", amount_fen=1999).json()
    assert (body["min_amount_fen"], body["daily_cap_fen"], body["fee_bp"]) == (1000, 500000, 55)
    assert [c["code"] for c in body["channels"]] == ["wechat", "bank"]
    assert body["channels"][0]["label"] == "微信零钱"
    assert (body["available_fen"], body["debt_fen"], body["kyc_verified"]) == (20000, 0, False)
    assert body["quote"] == {"amount_fen": 1999, "fee_bp": 55, "fee_fen": 10, "net_fen": 1989}
    assert api.get(f"{BASE}/settings").json()["quote"] is None
    assert_error(api.get(f"{BASE}/settings", amount_fen=0), 422, "invalid_input")
    assert_error(api.get(f"{BASE}/settings", amount_fen="abc"), 422, "invalid_input")


def test_settings_show_a_debt(api, distributor):
    fund(distributor, 1000)
    claw_back(distributor, 3000)
    body = api.get(f"{BASE}/settings").json()
    assert (body["available_fen"], body["debt_fen"]) == (-2000, 2000)


# --- requests -------------------------------------------------------------------------------------


def test_request_list_detail_and_cancel(api, funded):
    r = api.post(BASE, bank_request(5000))
    assert r.status_code == 201, r.content
    created = r.json()
    assert (created["status"], created["status_label"], created["account_masked"]) == (
        "requested",
        "待审核",
        "6222 **** **** 4567",
    )
    assert CARD not in r.content.decode()
    assert created["events"][0]["to_status"] == "requested"
    assert "actor" not in created["events"][0]
    listed = api.get(BASE).json()
    assert [w["id"] for w in listed] == [created["id"]] and listed[0]["events"] == []
    assert api.get(BASE, status="paid").json() == []
    detail = api.get(f"{BASE}/{created['id']}").json()
    assert detail["number"] == created["number"]
    r = api.post(f"{BASE}/{created['id']}/cancel")
    assert r.json()["status"] == "cancelled" and [e["to_status"] for e in r.json()["events"]] == ["requested", "cancelled"]
    assert_error(api.post(f"{BASE}/{created['id']}/cancel"), 409, "invalid_transition")


def test_lists_are_paged(api, funded):
    for _ in range(3):
        api.post(BASE, bank_request(1000))
    assert len(api.get(BASE, page_size=2).json()) == 2
    assert len(api.get(BASE, page_size=2, page=2).json()) == 1


def test_an_idempotency_key_replays_the_same_withdrawal(api, funded):
    first = api.post(BASE, bank_request(5000), **{"Idempotency-Key": "abc-1"})
    again = api.post(BASE, bank_request(5000), **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert Withdrawal.objects.count() == 1
    assert_error(api.post(BASE, bank_request(6000), **{"Idempotency-Key": "abc-1"}), 422, "idempotency_conflict")


@pytest.mark.parametrize(
    "payload,status,code",
    [
        (bank_request(999), 400, "below_minimum"),
        (bank_request(200000), 409, "insufficient_balance"),
        (bank_request(5000, account="1234"), 400, "invalid_bank_card"),
        (bank_request(5000, channel="paypal"), 400, "invalid_channel"),
        (bank_request(0), 400, "invalid_amount"),
        ({"amount_fen": "lots", "channel": "bank"}, 422, "invalid_input"),
        ({"channel": "bank"}, 422, "invalid_input"),
    ],
)
def test_refused_requests(api, funded, payload, status, code):
    assert_error(api.post(BASE, payload), status, code)
    assert not Withdrawal.objects.exists()


def test_kyc_first_and_debts_block(api, distributor):
    fund(distributor, 10000)
    assert_error(api.post(BASE, bank_request()), 403, "kyc_required")
    services.submit_kyc(distributor=distributor, real_name="王小明", id_number=VALID_ID, mobile=distributor.user.phone)
    claw_back(distributor, 12000)
    body = assert_error(api.post(BASE, bank_request()), 409, "debt_outstanding")
    assert body["detail"] == {"debt_fen": 2000} and "¥20.00" in body["message"]


def test_one_cannot_see_or_cancel_anothers_withdrawal(client, funded):
    w = services.request_withdrawal(distributor=funded, amount_fen=1000, channel="wechat")
    other = DistributorFactory()
    stranger = Api(client, other.user)
    assert_error(stranger.get(f"{BASE}/{w.pk}"), 404, "withdrawal_not_found")
    assert_error(stranger.post(f"{BASE}/{w.pk}/cancel"), 404, "withdrawal_not_found")


# --- operator -------------------------------------------------------------------------------------


@pytest.fixture
def requested(funded):
    return [
        services.request_withdrawal(distributor=funded, amount_fen=10000, channel="bank", account=CARD, bank_name="工商银行"),
        services.request_withdrawal(distributor=funded, amount_fen=5000, channel="alipay", account="wang@example.com"),
    ]


def test_finance_reviews_batches_exports_and_imports(op, requested, funded):
    listed = op.get(OP, status="requested").json()
    assert [w["number"] for w in listed] == [w.number for w in requested]  # oldest first
    assert listed[0]["distributor_code"] == funded.code and listed[0]["account_masked"] == "6222 **** **** 4567"
    r = op.post(f"{OP}/{requested[0].pk}/approve", {"note": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert r.json()["events"][-1]["actor"]
    assert_error(op.post(f"{OP}/{requested[1].pk}/reject", {"reason": ""}), 400, "reason_required")
    assert op.post(f"{OP}/{requested[1].pk}/reject", {"reason": "账号有误"}).json()["reject_reason"] == "账号有误"

    r = op.post(f"{OP}/batches", {"channel": ""})
    assert r.status_code == 201, r.content
    batch = r.json()
    assert (batch["status"], batch["line_count"], batch["net_fen"], batch["results_count"]) == ("open", 1, 10000, 0)
    assert_error(op.post(f"{OP}/batches", {}), 409, "nothing_to_pay")
    assert [b["id"] for b in op.get(f"{OP}/batches").json()] == [batch["id"]]

    # Export waits for a second finance member's approval.
    assert_error(op.get(f"{OP}/batches/{batch['id']}/export.csv"), 409, "batch_not_approved")
    approve_batch(PayoutBatch.objects.get(pk=batch["id"]))
    csv_file = op.get(f"{OP}/batches/{batch['id']}/export.csv")
    assert csv_file.status_code == 200 and csv_file["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_file["Content-Disposition"] and csv_file["Cache-Control"] == "no-store"
    assert csv_file.content.startswith(b"\xef\xbb\xbf") and CARD in csv_file.content.decode("utf-8-sig")
    xlsx_file = op.get(f"{OP}/batches/{batch['id']}/export.xlsx")
    assert load_workbook(io.BytesIO(xlsx_file.content)).worksheets[0].cell(row=2, column=5).value == CARD

    content = f"提现单号,结果,打款流水号\n{requested[0].number},成功,B-1\n".encode()
    r = op.upload(f"{OP}/batches/{batch['id']}/results", "results.csv", content)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["applied"], body["already_applied"], body["conflicts"], body["errors"]) == (1, 0, 0, 0)
    assert body["batch"]["status"] == "closed" and body["batch"]["results_count"] == 1
    assert body["lines"] == [
        {"row": 2, "number": requested[0].number, "outcome": "applied", "message": body["lines"][0]["message"]}
    ]
    again = op.upload(f"{OP}/batches/{batch['id']}/results", "results.csv", content).json()
    assert (again["applied"], again["already_applied"]) == (0, 1)
    detail = op.get(f"{OP}/{requested[0].pk}").json()
    assert (detail["status"], detail["external_reference"], detail["batch_line"]) == ("paid", "B-1", 1)
    assert_error(op.upload(f"{OP}/batches/{batch['id']}/results", "r.csv", b""), 400, "invalid_file")


def test_operator_list_filters(op, requested, funded):
    assert len(op.get(OP, channel="bank").json()) == 1
    assert len(op.get(OP, distributor_id=funded.pk).json()) == 2
    assert op.get(OP, distributor_id=funded.pk + 999).json() == []
    assert len(op.get(OP, page_size=1).json()) == 1


def test_staff_without_the_permission_are_refused(client, requested):
    service = Api(client, staff_in("客服"))
    assert_error(service.get(OP), 403, "forbidden")
    assert_error(service.post(f"{OP}/{requested[0].pk}/approve"), 403, "forbidden")
    assert_error(service.post(f"{OP}/batches", {}), 403, "forbidden")
    assert_error(service.get(f"{OP}/settings"), 403, "forbidden")
    distributor_user = Api(client, requested[0].distributor.user)
    assert_error(distributor_user.get(OP), 403, "forbidden")


def test_exports_need_their_own_permission(client, requested, finance):
    services.approve_withdrawal(withdrawal_id=requested[0].pk, actor=finance)
    batch = approve_batch(payouts.create_batch(actor=finance))
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_payoutbatch"))
    viewer = Api(client, type(user).objects.get(pk=user.pk))
    assert viewer.get(f"{OP}/batches/{batch.pk}").status_code == 200
    assert_error(viewer.get(f"{OP}/batches/{batch.pk}/export.csv"), 403, "forbidden")
    assert PayoutBatch.objects.get(pk=batch.pk).status == "open"


def test_settings_are_edited_with_validation(op):
    assert op.get(f"{OP}/settings").json()["min_amount_fen"] == 1000
    r = op.patch(f"{OP}/settings", {"fee_bp": 60, "daily_cap_fen": 300000})
    assert r.status_code == 200 and (r.json()["fee_bp"], r.json()["daily_cap_fen"]) == (60, 300000)
    assert_error(op.patch(f"{OP}/settings", {"daily_cap_fen": 500}), 400, "invalid_setting")
    assert_error(op.patch(f"{OP}/settings", {"fee_bp": 10000}), 400, "invalid_setting")
    assert_error(op.patch(f"{OP}/settings", {"min_amount_fen": 0}), 400, "invalid_setting")
    body = assert_error(
        op.patch(f"{OP}/settings", {"wechat_enabled": False, "bank_enabled": False, "alipay_enabled": False}),
        400,
        "invalid_setting",
    )
    assert "至少" in body["message"]
    assert op.get(f"{OP}/settings").json()["fee_bp"] == 60


def test_kyc_number_never_leaves_in_operator_answers(op, requested):
    text = op.get(f"{OP}/{requested[0].pk}").content.decode() + op.get(OP).content.decode()
    assert VALID_ID not in text and CARD not in text and OTHER_ID not in text
