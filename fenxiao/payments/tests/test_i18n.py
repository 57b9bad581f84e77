"""The payments app's English catalog (fenxiao/payments/locale) is complete and is what English
visitors and WeChat Pay's English-speaking operators read."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from fenxiao.payments import services
from fenxiao.payments.errors import PaymentError

from .conftest import TEST_PURPOSE

PO_PATH = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
HAN = re.compile(r"[\u4e00-\u9fff]")


def entries():
    """(flags, msgid, msgstr) of every entry, continuation lines joined."""
    found, flags, fields, key = [], set(), {}, None
    for raw in [*PO_PATH.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if "msgid" in fields:
                found.append((flags, fields["msgid"], fields.get("msgstr", "")))
            flags, fields, key = set(), {}, None
        elif line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[key] += line[1:-1]
        else:
            key, _sep, rest = line.partition(" ")
            fields[key] = rest.strip()[1:-1]
    return found


def test_catalog_is_complete_english_and_keeps_placeholders():
    found = entries()
    header, messages = found[0], found[1:]
    assert header[1] == "" and "Language: en" in header[2] and "fuzzy" not in header[0]
    assert len(messages) > 50
    assert [m for f, m, _s in messages if "fuzzy" in f] == []
    assert [m for _f, m, s in messages if not s] == []
    assert [m for _f, m, s in messages if HAN.search(s)] == []
    assert [m for _f, m, s in messages if set(PLACEHOLDER.findall(m)) != set(PLACEHOLDER.findall(s))] == []


@pytest.fixture
def english(settings, tmp_path):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt is not None, "msgfmt is not installed (Debian package gettext; `make test` installs it)"
    target = tmp_path / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run([msgfmt, "--check", "-o", str(target / "django.mo"), str(PO_PATH)], check=True, capture_output=True)
    settings.LOCALE_PATHS = [tmp_path]
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.mark.django_db
def test_errors_and_callback_answers_in_english(english, handler, wechat, client):
    payment = services.create_payment(purpose=TEST_PURPOSE, reference="en", amount_fen=100, description="x")
    with translation.override("en"), pytest.raises(PaymentError) as exc:
        services.refund_payment(payment_id=payment.pk, amount_fen=100, reason="", idempotency_key="en-1")
    assert exc.value.message == "Only paid payments can be refunded"
    response = client.post(
        "/api/v1/payments/wechatpay/notify", data=b"{}", content_type="application/json", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 401
    assert response.json() == {"code": "FAIL", "message": "Signature verification failed"}
