"""Who delivers the codes: Tencent Cloud SMS (API 3.0 `SendSms`), or the development provider that
only writes the code to the log and keeps it in the cache for the demo pages.

`FENXIAO_SMS_PROVIDER` chooses: "tencent", "dev" (the demo and the tests; production settings refuse
it) or "" (no SMS: sending answers `sms_unavailable`).
"""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from fenxiao.common.phone import mask_phone

from . import signing
from .errors import SmsCode, SmsError

logger = logging.getLogger("fenxiao.sms")

DEV_CACHE_PREFIX = "sms-dev"
TENCENT_API_BASE = "https://sms.tencentcloudapi.com"
TENCENT_VERSION = "2021-01-11"


@dataclass(frozen=True)
class Delivery:
    provider: str
    reference: str = ""


class SmsProvider(ABC):
    """What every SMS provider does: send one verification code."""

    name = ""

    @abstractmethod
    def send_code(self, *, phone: str, purpose: str, code: str, minutes: int) -> Delivery: ...


def unavailable(detail: dict | None = None) -> SmsError:
    """No code can be sent: the provider refused or could not be reached, or none is configured. Like
    every outside provider that fails (WeChat Pay, WeChat), the answer is 424 Failed Dependency; 503 is
    kept for this service itself being down (the database, `fenxiao.common.unavailable`)."""
    return SmsError(SmsCode.SMS_UNAVAILABLE, gettext("短信暂时无法发送，请稍后重试"), detail or {}, status=424)


def dev_cache_key(phone: str, purpose: str) -> str:
    return f"{DEV_CACHE_PREFIX}:{phone}:{purpose}"


class DevProvider(SmsProvider):
    """Sends nothing: logs the code (logger "fenxiao.sms") and keeps the latest code of each phone and
    purpose in the cache, where the demo pages and the tests read it."""

    name = "dev"

    def send_code(self, *, phone: str, purpose: str, code: str, minutes: int) -> Delivery:
        logger.info("development SMS to %s (%s): code %s, valid %s minutes", mask_phone(phone), purpose, code, minutes)
        cache.set(dev_cache_key(phone, purpose), code, minutes * 60)
        return Delivery(provider=self.name)


class TencentProvider(SmsProvider):
    """Tencent Cloud SMS, API 3.0 `SendSms` (version 2021-01-11), signed with TC3-HMAC-SHA256.

    The template of each purpose takes two parameters: {1} the code, {2} the minutes it stays valid.
    """

    name = "tencent"
    service = "sms"

    def __init__(self, *, secret_id: str, secret_key: str, app_id: str, sign_name: str, templates: dict[str, str],
                 region: str = "ap-guangzhou", api_base: str = TENCENT_API_BASE, timeout: float = 5.0):  # fmt: skip
        missing = [
            name
            for name, value in (
                ("FENXIAO_SMS_SECRET_ID", secret_id),
                ("FENXIAO_SMS_SECRET_KEY", secret_key),
                ("FENXIAO_SMS_APP_ID", app_id),
                ("FENXIAO_SMS_SIGN_NAME", sign_name),
            )
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(f"Tencent Cloud SMS needs {', '.join(missing)}.")
        self.secret_id, self.secret_key, self.app_id, self.sign_name = secret_id, secret_key, app_id, sign_name
        self.templates, self.region, self.timeout = templates, region, timeout
        self.api_base = api_base.rstrip("/")
        self.host = urlsplit(self.api_base).netloc

    def request_for(self, *, phone: str, purpose: str, code: str, minutes: int, timestamp: int) -> tuple[dict[str, str], bytes]:
        """The headers and body of the SendSms call."""
        template = self.templates.get(purpose, "")
        if not template:
            raise ImproperlyConfigured(f"No Tencent Cloud SMS template for {purpose!r} (FENXIAO_SMS_TEMPLATE_{purpose.upper()}).")
        body = json.dumps(
            {
                "PhoneNumberSet": [f"+86{phone}"],
                "SmsSdkAppId": self.app_id,
                "SignName": self.sign_name,
                "TemplateId": template,
                "TemplateParamSet": [code, str(minutes)],
                "SessionContext": purpose,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        content_type = "application/json; charset=utf-8"
        signed = signing.sign(
            secret_id=self.secret_id,
            secret_key=self.secret_key,
            service=self.service,
            timestamp=timestamp,
            payload=body,
            host=self.host,
            content_type=content_type,
        )
        headers = {
            "Authorization": signed.authorization,
            "Content-Type": content_type,
            "Host": self.host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": self.region,
        }
        return headers, body

    def send_code(self, *, phone: str, purpose: str, code: str, minutes: int) -> Delivery:
        headers, body = self.request_for(phone=phone, purpose=purpose, code=code, minutes=minutes, timestamp=int(time.time()))
        try:
            response = httpx.post(self.api_base + "/", content=body, headers=headers, timeout=self.timeout)
            answer = response.json().get("Response", {})
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            logger.warning("Tencent Cloud SMS unreachable: %s", exc)
            raise unavailable() from exc
        error = answer.get("Error")
        if error:
            logger.warning(
                "Tencent Cloud SMS refused: %s %s (%s)", error.get("Code"), error.get("Message"), answer.get("RequestId")
            )
            raise unavailable({"provider_code": str(error.get("Code", ""))})
        statuses = answer.get("SendStatusSet") or [{}]
        status = statuses[0]
        if status.get("Code") != "Ok":
            logger.warning(
                "Tencent Cloud SMS not sent to %s: %s %s", mask_phone(phone), status.get("Code"), status.get("Message")
            )
            raise unavailable({"provider_code": str(status.get("Code", ""))})
        return Delivery(provider=self.name, reference=str(status.get("SerialNo", ""))[:64])


def configured_name() -> str:
    return str(getattr(settings, "FENXIAO_SMS_PROVIDER", "") or "").strip().lower()


def get_provider() -> SmsProvider | None:
    """The configured provider, or None when SMS is switched off."""
    name = configured_name()
    if not name:
        return None
    if name == "dev":
        return DevProvider()
    if name == "tencent":
        return TencentProvider(
            secret_id=settings.FENXIAO_SMS_SECRET_ID,
            secret_key=settings.FENXIAO_SMS_SECRET_KEY,
            app_id=settings.FENXIAO_SMS_APP_ID,
            sign_name=settings.FENXIAO_SMS_SIGN_NAME,
            templates=dict(settings.FENXIAO_SMS_TEMPLATES),
            region=settings.FENXIAO_SMS_REGION,
            api_base=settings.FENXIAO_SMS_API_BASE or TENCENT_API_BASE,
        )
    raise ImproperlyConfigured(f"FENXIAO_SMS_PROVIDER={name!r} is not a known SMS provider (tencent, dev or empty).")
