"""Idempotency keys: one rule for every request a client or provider may retry.

A key is 1–80 visible ASCII characters (letters, digits and `-_.:`), sent in the `Idempotency-Key`
header. The body a key was first used with is remembered by its fingerprint; the same key with
another body is a conflict (422), never a silent replay of something else.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext

from .errors import DomainError

MAX_KEY_LENGTH = 80
KEY_RE = re.compile(rf"^[A-Za-z0-9_.:\-]{{1,{MAX_KEY_LENGTH}}}$")
HEADER = "Idempotency-Key"


class IdempotencyCode(StrEnum):
    """The codes of this module; each app error that takes keys lists the same values in its enum."""

    INVALID = "invalid_idempotency_key"
    CONFLICT = "idempotency_conflict"
    IN_PROGRESS = "idempotency_in_progress"


def clean_key(key: str | None, *, error: type[DomainError], required: bool = False) -> str:
    """The key stripped, or "" when none was given and none is required; refuses a malformed one with
    `error("invalid_idempotency_key")`."""
    key = (key or "").strip()
    if not key and not required:
        return ""
    if not KEY_RE.match(key):
        raise error(
            IdempotencyCode.INVALID,
            gettext("Idempotency-Key 须为 1–%(max)s 个字母、数字或 -_.: 字符") % {"max": MAX_KEY_LENGTH},
            {"length": len(key)},
        )
    return key


def fingerprint(payload: Any) -> str:
    """A stable digest of a request body (key order does not matter)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def refuse_conflict(*, error: type[DomainError], key: str, what: str = "") -> None:
    raise error(
        IdempotencyCode.CONFLICT,
        gettext("同一个 Idempotency-Key 已用于内容不同的请求"),
        {"key": key, **({"object": what} if what else {})},
        status=422,
    )
