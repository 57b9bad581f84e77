"""Business numbers (order, payment, refund, withdrawal): one rule for all of them.

A number is a short letter prefix, the local time to the second, and random digits, so numbers sort
by time, say when they were made, and do not reveal how many were made. Letters and digits only;
at most 32 characters (WeChat Pay's limit for a merchant order number).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from django.utils import timezone

PREFIX_RE = re.compile(r"^[A-Z]{0,4}$")
MAX_LENGTH = 32


def business_number(prefix: str = "", *, random_digits: int = 10, now: datetime | None = None) -> str:
    if not PREFIX_RE.match(prefix):
        raise ValueError(f"prefix {prefix!r}: up to four capital letters")
    if not 6 <= random_digits <= 14:
        raise ValueError("random_digits: 6 to 14")
    stamp = timezone.localtime(now or timezone.now(), timezone.get_default_timezone()).strftime("%Y%m%d%H%M%S")
    number = f"{prefix}{stamp}{secrets.randbelow(10**random_digits):0{random_digits}d}"
    assert len(number) <= MAX_LENGTH
    return number
