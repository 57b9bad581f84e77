"""For tests anywhere in the project: get a code the way a user does (sent through the development
provider, read back from where it keeps the latest code)."""

from __future__ import annotations

from fenxiao.common.phone import normalize_phone
from fenxiao.sms import selectors, services


def sent_code(phone: str, purpose: str, *, address: str = "") -> str:
    """Send a code for `purpose` to `phone` and return it (an empty address is not counted)."""
    services.send_code(phone=phone, purpose=purpose, address=address)
    return dev_code(phone, purpose)


def dev_code(phone: str, purpose: str) -> str:
    code = selectors.dev_code(normalize_phone(phone), purpose)
    assert code and len(code) == 6 and code.isdigit(), code
    return code
