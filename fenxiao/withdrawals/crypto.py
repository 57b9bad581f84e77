"""Encryption at rest for the numbers a payout needs: resident ID numbers, bank cards, Alipay accounts.

Fernet (AES-128-CBC with an HMAC-SHA256 tag) under the key in `settings.FENXIAO_FIELD_KEY`. A keyed
digest (HMAC-SHA256 under a sub-key derived from the same secret with HKDF, so the cipher key is never
used for a second purpose) lets the database hold a unique index on an ID number without holding the
number: a plain hash of an 18-digit number with a date inside would be cheap to reverse by guessing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from .errors import WithdrawalCode, WithdrawalError

_DIGEST_INFO = b"fenxiao:field-digest:v1"


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[Fernet, bytes]:
    try:
        raw = base64.urlsafe_b64decode(secret.encode("ascii"))
        if len(raw) != 32:
            raise ValueError("wrong length")
        fernet = Fernet(secret)
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error) as exc:
        raise ImproperlyConfigured(
            "FENXIAO_FIELD_KEY must be a Fernet key: urlsafe base64 of 32 random bytes "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from exc
    digest_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DIGEST_INFO).derive(raw)
    return fernet, digest_key


def _current() -> tuple[Fernet, bytes]:
    # Keyed by the setting's value, so tests that override the setting get their own key.
    return _keys(settings.FENXIAO_FIELD_KEY or "")


def encrypt(text: str) -> str:
    fernet, _digest_key = _current()
    return fernet.encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text; a token written under another key is refused with `undecryptable`."""
    fernet, _digest_key = _current()
    try:
        return fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, UnicodeError) as exc:
        raise WithdrawalError(
            WithdrawalCode.UNDECRYPTABLE,
            gettext("加密数据无法解密：FENXIAO_FIELD_KEY 与写入时不同"),
            status=500,
        ) from exc


def digest(text: str, *, purpose: str) -> str:
    """Hex HMAC-SHA256 of `text`, separated by `purpose` so one value never digests alike in two uses."""
    _fernet, digest_key = _current()
    message = purpose.encode("utf-8") + b"\x00" + text.encode("utf-8")
    return hmac.new(digest_key, message, hashlib.sha256).hexdigest()


def check_field_key(app_configs=None, **kwargs):
    """System check: the key is set and well formed (caught at startup, not at the first payout)."""
    from django.core import checks

    try:
        _current()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="withdrawals.E001")]
    return []
