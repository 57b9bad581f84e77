"""Sending and checking SMS verification codes.

A code is 6 digits from `secrets`, stored only as an HMAC-SHA256 keyed from SECRET_KEY (over phone,
purpose and code), valid for `CODE_TTL`, good once. Sending a new code voids the earlier live one of
the same phone and purpose; `MAX_ATTEMPTS` wrong tries void a code. The comparison is constant-time.

Sending is limited per phone (1 a minute, 10 a day) and per client address (settings
`FENXIAO_SMS_PHONE_MINUTE_LIMIT`, `FENXIAO_SMS_PHONE_DAY_LIMIT`, `FENXIAO_SMS_ADDRESS_MINUTE_LIMIT`,
`FENXIAO_SMS_ADDRESS_DAY_LIMIT`: attempts, window seconds, lockout seconds). Nothing here knows about
accounts: the answer to a send is the same for every valid phone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from fenxiao.common import ratelimit
from fenxiao.common.phone import is_mainland_mobile, normalize_phone

from .errors import SmsCode, SmsError
from .models import Purpose, VerificationCode
from .providers import get_provider, unavailable

CODE_TTL = timedelta(minutes=5)
CODE_DIGITS = 6
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SentCode:
    phone: str
    purpose: str
    expires_in: int
    resend_after: int
    provider: str


def code_digest(phone: str, purpose: str, code: str) -> str:
    """HMAC-SHA256 of the code, keyed from SECRET_KEY; bound to the phone and the purpose."""
    return salted_hmac("fenxiao.sms.code", f"{phone}:{purpose}:{code}", algorithm="sha256").hexdigest()


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def clean_phone(raw: str) -> str:
    phone = normalize_phone(raw)
    if not is_mainland_mobile(phone):
        raise SmsError(SmsCode.INVALID_PHONE, gettext("手机号格式不正确，应为 11 位中国大陆手机号"), {"phone": raw})
    return phone


def clean_purpose(raw: str) -> str:
    if raw not in Purpose.values:
        raise SmsError(SmsCode.INVALID_PURPOSE, gettext("验证码用途不正确"), {"purpose": raw, "allowed": list(Purpose.values)})
    return raw


def invalid_code(detail: dict | None = None) -> SmsError:
    """The one answer to a wrong, expired, used or voided code (and, for the callers that need it, to a
    phone without an account): nobody learns which it was."""
    return SmsError(SmsCode.INVALID_CODE, gettext("验证码错误或已失效，请重新获取"), detail or {})


def send_rules() -> tuple[ratelimit.Rule, ...]:
    return (
        ratelimit.Rule.from_settings("sms-phone-minute", "FENXIAO_SMS_PHONE_MINUTE_LIMIT", (1, 60, 60)),
        ratelimit.Rule.from_settings("sms-phone-day", "FENXIAO_SMS_PHONE_DAY_LIMIT", (10, 24 * 3600, 24 * 3600)),
        ratelimit.Rule.from_settings("sms-address-minute", "FENXIAO_SMS_ADDRESS_MINUTE_LIMIT", (5, 60, 60)),
        ratelimit.Rule.from_settings("sms-address-day", "FENXIAO_SMS_ADDRESS_DAY_LIMIT", (50, 24 * 3600, 24 * 3600)),
    )


def send_code(*, phone: str, purpose: str, address: str = "") -> SentCode:
    """Send a fresh code; the previous live code of this phone and purpose stops working.

    Raises SmsError (`invalid_phone`, `invalid_purpose`, `sms_unavailable`) or Throttled (429 with
    Retry-After) when the phone or the address has sent too many.
    """
    phone, purpose = clean_phone(phone), clean_purpose(purpose)
    provider = get_provider()
    if provider is None:
        raise unavailable({"reason": "not_configured"})
    phone_minute, phone_day, address_minute, address_day = send_rules()
    ratelimit.check((phone_minute, phone), (phone_day, phone), (address_minute, address), (address_day, address))
    for rule, key in ((phone_minute, phone), (phone_day, phone), (address_minute, address), (address_day, address)):
        ratelimit.hit(rule, key)
    code = new_code()
    now = timezone.now()
    live = VerificationCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True, voided_at__isnull=True)
    live.update(voided_at=now)
    row = VerificationCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=code_digest(phone, purpose, code),
        expires_at=now + CODE_TTL,
        provider=provider.name,
        client_address=(address or "")[:45],
    )
    try:
        delivery = provider.send_code(phone=phone, purpose=purpose, code=code, minutes=int(CODE_TTL.total_seconds() // 60))
    except SmsError:
        VerificationCode.objects.filter(pk=row.pk).update(voided_at=timezone.now())
        raise
    if delivery.reference:
        VerificationCode.objects.filter(pk=row.pk).update(provider_ref=delivery.reference)
    return SentCode(
        phone=phone,
        purpose=purpose,
        expires_in=int(CODE_TTL.total_seconds()),
        resend_after=phone_minute.lockout,
        provider=provider.name,
    )


def verify_code(*, phone: str, purpose: str, code: str) -> None:
    """Use the phone's live code for `purpose`; raises `invalid_code` when it is wrong, expired, used or
    voided. A wrong try is counted; the `MAX_ATTEMPTS`-th voids the code. A right code is used up."""
    phone, purpose = clean_phone(phone), clean_purpose(purpose)
    now = timezone.now()
    row = (
        VerificationCode.objects.filter(
            phone=phone, purpose=purpose, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    given = str(code or "").strip()
    if row is None:
        # the same work as a real comparison, so a missing code answers like a wrong one
        constant_time_compare(code_digest(phone, purpose, given), "0" * 64)
        raise invalid_code()
    if not constant_time_compare(row.code_hash, code_digest(phone, purpose, given)):
        live = VerificationCode.objects.filter(pk=row.pk, used_at__isnull=True, voided_at__isnull=True)
        live.update(attempts=F("attempts") + 1)
        live.filter(attempts__gte=MAX_ATTEMPTS).update(voided_at=now)
        raise invalid_code()
    # a conditional update: of two requests with the same code, only one uses it
    used = VerificationCode.objects.filter(
        pk=row.pk, used_at__isnull=True, voided_at__isnull=True, attempts__lt=MAX_ATTEMPTS, expires_at__gt=now
    ).update(used_at=now)
    if not used:
        raise invalid_code()
