import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.common import ratelimit

from .fake_tencentsms import FakeTencentSms


class Clock:
    """Moves the rate limits' clock and Django's `timezone.now` together."""

    def __init__(self, monkeypatch):
        self.offset = 0.0
        real_time, real_now = ratelimit._now, timezone.now
        monkeypatch.setattr(ratelimit, "_now", lambda: real_time() + self.offset)
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=self.offset))

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def fake_tencent(settings):
    """Tencent Cloud SMS as the provider, served by a local fake with keys made up for the test."""
    fake = FakeTencentSms(
        secret_id="AKID" + secrets.token_hex(16), secret_key=secrets.token_urlsafe(24), app_id="1400" + "123456"
    )
    fake.start()
    settings.FENXIAO_SMS_PROVIDER = "tencent"
    settings.FENXIAO_SMS_SECRET_ID = fake.secret_id
    settings.FENXIAO_SMS_SECRET_KEY = fake.secret_key
    settings.FENXIAO_SMS_APP_ID = fake.app_id
    settings.FENXIAO_SMS_SIGN_NAME = "分销商城"
    settings.FENXIAO_SMS_API_BASE = fake.base_url
    settings.FENXIAO_SMS_TEMPLATES = {
        "login": "100001",
        "register": "100002",
        "reset_password": "100003",
        "verify_phone": "100004",
    }
    yield fake
    fake.stop()
