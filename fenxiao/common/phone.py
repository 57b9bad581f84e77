"""Mainland China mobile numbers: validation, normalisation and masking."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def normalize_phone(raw: str) -> str:
    """Strip spaces, dashes and a +86 / 0086 prefix; does not validate."""
    digits = re.sub(r"[\s\-()]", "", str(raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def is_mainland_mobile(raw: str) -> bool:
    return bool(_MOBILE.match(normalize_phone(raw)))


def mask_phone(raw: str | None) -> str:
    """138****1234: what other people see of a number."""
    phone = normalize_phone(raw or "")
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; for lists that other users see."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)
