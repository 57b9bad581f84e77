"""The phone of a real-name verification is proven by an SMS code sent to it (purpose `kyc`): the
service, the API (`POST /withdrawals/kyc/code`, the code in `PUT /withdrawals/kyc`) and the page.
A wrong, expired, used or voided code is the SMS app's `invalid_code`, and nothing is recorded."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.common.ratelimit import Throttled
from fenxiao.sms import selectors as sms_selectors
from fenxiao.sms.errors import SmsError
from fenxiao.sms.models import VerificationCode
from fenxiao.sms.tests.helpers import sent_code
from fenxiao.withdrawals import services
from fenxiao.withdrawals.errors import WithdrawalError
from fenxiao.withdrawals.models import KycRecord
from tests.api_helpers import assert_error
from tests.factories import UserFactory

from .conftest import OTHER_ID, VALID_ID

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"
BASE = "/api/v1/withdrawals"


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def submit(distributor, code, *, mobile=MOBILE, id_number=VALID_ID):
    return services.submit_kyc(distributor=distributor, real_name="王小明", id_number=id_number, mobile=mobile, code=code)


def kyc_code(distributor, mobile=MOBILE) -> str:
    services.send_kyc_code(distributor=distributor, mobile=mobile)
    code = sms_selectors.dev_code(mobile, "kyc")
    assert code and len(code) == 6
    return code


def invalid_code(call) -> SmsError:
    with pytest.raises(SmsError) as caught:
        call()
    assert caught.value.code == "invalid_code"
    return caught.value


# --- the service ----------------------------------------------------------------------------------


def test_a_right_code_records_the_proven_phone(distributor):
    code = kyc_code(distributor)
    record = submit(distributor, code)
    assert record.mobile == MOBILE != distributor.user.phone  # the payout phone, not necessarily the login
    assert record.mobile_verified_at is not None
    assert VerificationCode.objects.get(phone=MOBILE, purpose="kyc").used_at is not None


def test_a_wrong_code_records_nothing_and_counts_the_try(distributor):
    code = kyc_code(distributor)
    invalid_code(lambda: submit(distributor, wrong(code)))
    assert not KycRecord.objects.exists()
    assert VerificationCode.objects.get(phone=MOBILE, purpose="kyc").attempts == 1
    submit(distributor, code)  # the right one still works after one wrong try


def test_five_wrong_tries_void_the_code(distributor):
    code = kyc_code(distributor)
    for _ in range(5):
        invalid_code(lambda: submit(distributor, wrong(code)))
    invalid_code(lambda: submit(distributor, code))
    assert not KycRecord.objects.exists()


def test_a_code_works_once(distributor):
    code = kyc_code(distributor)
    submit(distributor, code)
    invalid_code(lambda: submit(distributor, code))
    assert KycRecord.objects.get(distributor=distributor).revision == 1


def test_an_expired_code_is_refused(distributor):
    code = kyc_code(distributor)
    VerificationCode.objects.filter(phone=MOBILE).update(expires_at=timezone.now() - timedelta(seconds=1))
    invalid_code(lambda: submit(distributor, code))
    assert not KycRecord.objects.exists()


def test_the_code_must_be_for_this_phone_and_this_purpose(distributor):
    other_phone = kyc_code(distributor, mobile="13700001111")
    invalid_code(lambda: submit(distributor, other_phone))  # sent to another number
    login = sent_code(MOBILE, "login")
    invalid_code(lambda: submit(distributor, login))  # a login code is no identity check
    invalid_code(lambda: submit(distributor, ""))  # an empty code is a wrong one
    assert not KycRecord.objects.exists()


def test_input_errors_come_before_the_code_is_used(distributor):
    code = kyc_code(distributor)
    with pytest.raises(WithdrawalError) as caught:
        submit(distributor, code, id_number=VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"))
    assert caught.value.code == "invalid_id_number"
    assert VerificationCode.objects.get(phone=MOBILE, purpose="kyc").used_at is None
    submit(distributor, code)


def test_sending_checks_the_mobile_and_is_limited(distributor):
    with pytest.raises(WithdrawalError) as caught:
        services.send_kyc_code(distributor=distributor, mobile="12345")
    assert (caught.value.code, caught.value.detail["field"]) == ("invalid_mobile", "mobile")
    assert not VerificationCode.objects.exists()
    services.send_kyc_code(distributor=distributor, mobile=MOBILE)
    with pytest.raises(Throttled):
        services.send_kyc_code(distributor=distributor, mobile=MOBILE)  # one a minute per phone
    assert VerificationCode.objects.filter(phone=MOBILE, purpose="kyc").count() == 1


# --- the API --------------------------------------------------------------------------------------


class Api:
    def __init__(self, client, user):
        self.client, self.headers = client, {"Authorization": f"Bearer {issue_token(user=user)}"}

    def post(self, url, data):
        return self.client.post(url, json.dumps(data), content_type="application/json", headers=self.headers)

    def put(self, url, data):
        return self.client.put(url, json.dumps(data), content_type="application/json", headers=self.headers)


@pytest.fixture
def api(client, distributor):
    return Api(client, distributor.user)


def body(code, mobile=MOBILE):
    return {"real_name": "王小明", "id_number": VALID_ID, "mobile": mobile, "code": code}


def test_api_sends_then_verifies(api, distributor):
    r = api.post(f"{BASE}/kyc/code", {"mobile": MOBILE})
    assert r.status_code == 202 and r.json() == {"status": "sent", "expires_in": 300, "resend_after": 60}
    code = sms_selectors.dev_code(MOBILE, "kyc")
    r = api.put(f"{BASE}/kyc", body(code))
    assert r.status_code == 200, r.content
    assert (r.json()["mobile_masked"], r.json()["mobile_verified"]) == ("139****5678", True)
    assert KycRecord.objects.get(distributor=distributor).mobile == MOBILE


def test_api_wrong_reused_or_missing_code(api, distributor):
    api.post(f"{BASE}/kyc/code", {"mobile": MOBILE})
    code = sms_selectors.dev_code(MOBILE, "kyc")
    assert_error(api.put(f"{BASE}/kyc", body(wrong(code))), 400, "invalid_code")
    assert not KycRecord.objects.exists()
    assert_error(api.put(f"{BASE}/kyc", {k: v for k, v in body(code).items() if k != "code"}), 422, "invalid_input")
    assert api.put(f"{BASE}/kyc", body(code)).status_code == 200
    assert_error(api.put(f"{BASE}/kyc", {**body(code), "real_name": "王大明"}), 400, "invalid_code")
    assert KycRecord.objects.get(distributor=distributor).real_name == "王小明"


def test_api_send_refusals(api, client):
    assert_error(api.post(f"{BASE}/kyc/code", {"mobile": "12345"}), 400, "invalid_mobile")
    assert api.post(f"{BASE}/kyc/code", {"mobile": MOBILE}).status_code == 202
    r = api.post(f"{BASE}/kyc/code", {"mobile": MOBILE})
    assert_error(r, 429, "throttled")
    assert int(r["Retry-After"]) > 0
    consumer = Api(client, UserFactory())
    assert_error(consumer.post(f"{BASE}/kyc/code", {"mobile": "13700002222"}), 403, "not_distributor")
    assert not VerificationCode.objects.filter(phone="13700002222").exists()


def test_api_without_sms_is_unavailable_and_records_nothing(api, settings):
    settings.FENXIAO_SMS_PROVIDER = ""
    assert_error(api.post(f"{BASE}/kyc/code", {"mobile": MOBILE}), 424, "sms_unavailable")
    assert_error(api.put(f"{BASE}/kyc", body("123456")), 400, "invalid_code")
    assert not KycRecord.objects.exists()


def test_the_contract_declares_the_code_answers(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    put = paths[f"{BASE}/kyc"]["put"]["responses"]
    assert "`invalid_code`" in put["400"]["description"]
    send = paths[f"{BASE}/kyc/code"]["post"]["responses"]
    assert {"400", "401", "403", "429"} <= set(send)
    assert "`not_distributor`" in send["403"]["description"] and "`throttled`" in send["429"]["description"]
    assert "`sms_unavailable`" in send["424"]["description"]


# --- the page -------------------------------------------------------------------------------------


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def page(client, distributor):
    client.force_login(distributor.user)
    return client


def test_page_sends_the_code_and_submits_with_it(page, distributor):
    url = reverse("web:kyc")
    html = text_of(page.get(url))
    assert 'name="action" value="send"' in html and "获取验证码" in html and 'name="code"' in html
    form = {"real_name": "王小明", "id_number": VALID_ID, "mobile": MOBILE}
    html = text_of(page.post(url, {**form, "action": "send"}))
    code = sms_selectors.dev_code(MOBILE, "kyc")
    assert "验证码已发送至 139****5678" in html and f"开发环境验证码：{code}" in html
    assert f'value="{MOBILE}"' in html and "重新获取" in html  # what was typed stays
    assert not KycRecord.objects.exists()
    response = page.post(url, {**form, "code": code, "action": "submit"})
    assert response.status_code == 302
    record = KycRecord.objects.get(distributor=distributor)
    assert record.mobile == MOBILE and record.mobile_verified_at is not None
    assert 'id="kyc-mobile-verified"' in text_of(page.get(url))


def test_page_wrong_code_shows_inline_and_records_nothing(page):
    url = reverse("web:kyc")
    form = {"real_name": "王小明", "id_number": VALID_ID, "mobile": MOBILE}
    page.post(url, {**form, "action": "send"})
    code = sms_selectors.dev_code(MOBILE, "kyc")
    response = page.post(url, {**form, "code": wrong(code), "action": "submit"})
    html = text_of(response)
    assert response.status_code == 200 and "验证码错误或已失效" in html
    assert re.search(r'weui-cell_warn" for="id_code"', html)
    assert not KycRecord.objects.exists()


def test_page_send_errors_show_on_the_mobile(page):
    html = text_of(
        page.post(reverse("web:kyc"), {"real_name": "王小明", "id_number": OTHER_ID, "mobile": "123", "action": "send"})
    )
    assert "手机号格式不正确" in html and "weui-cell_vcode weui-cell_warn" in html
    assert not VerificationCode.objects.exists()
