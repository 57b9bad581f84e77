"""Tencent Cloud SMS: the documented TC3-HMAC-SHA256 example, and real calls to a local fake of the
service that checks every signature."""

import json

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from fenxiao.sms import providers, services, signing
from fenxiao.sms.errors import SmsError
from fenxiao.sms.models import VerificationCode
from tests.api_helpers import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The worked example of Tencent Cloud's "签名方法 v3" page (CVM DescribeInstances), with the document's
# own placeholder credentials.
DOC_PAYLOAD = rb'{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}'


def test_signing_matches_the_documented_example():
    signed = signing.sign(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3*******",
        service="cvm",
        timestamp=1551113065,
        payload=DOC_PAYLOAD,
        host="cvm.tencentcloudapi.com",
    )
    assert signed.canonical_request == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
        "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert signed.string_to_sign == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert signed.signature == "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    assert signed.authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )


def test_a_code_goes_out_signed_and_works(client, fake_tencent):
    user = UserFactory(phone="13800138000")
    response = client.post("/api/v1/auth/sms/send", {"phone": "13800138000", "purpose": "login"}, content_type="application/json")
    assert response.status_code == 202, response.content
    (request,) = fake_tencent.requests
    assert request["accepted"]
    body = request["body"]
    assert body["PhoneNumberSet"] == ["+8613800138000"]
    assert (body["SmsSdkAppId"], body["SignName"], body["TemplateId"]) == (fake_tencent.app_id, "分销商城", "100001")
    code, minutes = body["TemplateParamSet"]
    assert len(code) == 6 and code.isdigit() and minutes == "5"
    assert request["headers"]["X-TC-Region"] == "ap-guangzhou"
    row = VerificationCode.objects.get()
    assert row.provider == "tencent" and row.provider_ref.startswith("2645:")
    assert code not in json.dumps([str(getattr(row, f.attname)) for f in VerificationCode._meta.fields])
    login = client.post("/api/v1/auth/login/sms", {"phone": "13800138000", "code": code}, content_type="application/json")
    assert login.status_code == 200 and login.json()["user_id"] == user.pk


def test_a_refusal_of_the_service_voids_the_code(client, fake_tencent):
    fake_tencent.refuse_with = "LimitExceeded.PhoneNumberDailyLimit"
    response = client.post(
        "/api/v1/auth/sms/send", {"phone": "13800138000", "purpose": "register"}, content_type="application/json"
    )
    assert_error(response, 424, "sms_unavailable")
    assert VerificationCode.objects.get().voided_at is not None


def test_a_failed_number_is_a_failure(fake_tencent):
    fake_tencent.status_code = "FailedOperation.PhoneNumberInBlacklist"
    with pytest.raises(SmsError) as exc:
        services.send_code(phone="13800138000", purpose="login")
    assert exc.value.status == 424 and exc.value.detail == {"provider_code": "FailedOperation.PhoneNumberInBlacklist"}


def test_a_wrong_secret_is_refused_by_the_service(fake_tencent, settings):
    settings.FENXIAO_SMS_SECRET_KEY = fake_tencent.secret_key + "x"
    with pytest.raises(SmsError) as exc:
        services.send_code(phone="13800138000", purpose="login")
    assert exc.value.detail == {"provider_code": "AuthFailure.SignatureFailure"}
    assert not fake_tencent.sent_codes()


def test_a_tampered_body_fails_the_signature(fake_tencent):
    provider = providers.get_provider()
    import time

    headers, body = provider.request_for(
        phone="13800138000", purpose="login", code="123456", minutes=5, timestamp=int(time.time())
    )
    tampered = body.replace(b"+8613800138000", b"+8613900139000")
    answer = httpx.post(fake_tencent.base_url + "/", content=tampered, headers=headers).json()
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    answer = httpx.post(fake_tencent.base_url + "/", content=body, headers=headers).json()
    assert answer["Response"]["SendStatusSet"][0]["Code"] == "Ok"


def test_an_unreachable_service(settings, fake_tencent):
    settings.FENXIAO_SMS_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(SmsError) as exc:
        services.send_code(phone="13800138000", purpose="login")
    assert exc.value.code == "sms_unavailable"


def test_missing_configuration_is_named(settings, fake_tencent):
    settings.FENXIAO_SMS_SECRET_ID = ""
    with pytest.raises(ImproperlyConfigured, match="FENXIAO_SMS_SECRET_ID"):
        providers.get_provider()
