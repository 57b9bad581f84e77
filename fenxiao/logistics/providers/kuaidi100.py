"""Kuaidi100 (快递100) real-time query: `POST https://poll.kuaidi100.com/poll/query.do`.

The form carries `customer` (the account's customer id), `param` (JSON: com, num, phone, resultv2)
and `sign`, the upper-case MD5 of param + key + customer. A found parcel answers
`{"message": "ok", "state": "3", "data": [{"time", "ftime", "context", "status", "statusCode", "areaName"}]}`
(newest first, times in China time); a refusal answers `{"result": false, "returnCode": "…", "message": "…"}`.
`returnCode` 500 means the carrier has nothing for the number yet: an empty journey, not a failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from django.core.exceptions import ImproperlyConfigured

from .base import Event, State, TrackingProvider, ensure_no_transaction, unavailable

logger = logging.getLogger("fenxiao.logistics")

KUAIDI100_URL = "https://poll.kuaidi100.com/poll/query.do"
CHINA = ZoneInfo("Asia/Shanghai")
NOTHING_YET = "500"

# The provider's state codes: 0 in transit, 1 picked up, 2 difficult (疑难), 3 signed for, 4 refused and
# sent back (退签), 5 out for delivery, 6 returned, 7 transferred, 8 customs, 14 refused. With resultv2 the
# events carry finer codes (101 ordered, 301 signed by the receiver …) whose first digits are these.
STATE_CODES = {
    0: State.IN_TRANSIT,
    1: State.PICKED_UP,
    2: State.EXCEPTION,
    3: State.DELIVERED,
    4: State.RETURNED,
    5: State.DELIVERING,
    6: State.RETURNED,
    7: State.IN_TRANSIT,
    8: State.IN_TRANSIT,
    10: State.IN_TRANSIT,
    14: State.EXCEPTION,
}
STATE_WORDS = {
    "在途": State.IN_TRANSIT,
    "揽收": State.PICKED_UP,
    "疑难": State.EXCEPTION,
    "签收": State.DELIVERED,
    "退签": State.RETURNED,
    "派件": State.DELIVERING,
    "退回": State.RETURNED,
    "转投": State.IN_TRANSIT,
    "清关": State.IN_TRANSIT,
    "拒签": State.EXCEPTION,
}


def sign(param: str, key: str, customer: str) -> str:
    return hashlib.md5((param + key + customer).encode("utf-8")).hexdigest().upper()


def state_of(code, word: str = "") -> str | None:
    """The state of a provider code ("3", "301", 14) or word ("签收"); None when neither is known."""
    text = str(code if code is not None else "").strip()
    if text.isdigit():
        value = int(text)
        if value not in STATE_CODES and value >= 100:
            value //= 100
        if value in STATE_CODES:
            return STATE_CODES[value]
    return STATE_WORDS.get((word or "").strip())


def parse_time(text: str) -> datetime | None:
    for shape in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(str(text).strip(), shape).replace(tzinfo=CHINA)
        except ValueError:
            continue
    return None


def parse_answer(answer: dict) -> list[Event]:
    """The events of a successful answer; a step without a readable time is left out."""
    rows = answer.get("data") or []
    if not isinstance(rows, list):
        raise unavailable({"provider_code": "bad_data"})
    events: list[Event] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        occurred = parse_time(row.get("ftime") or row.get("time") or "")
        if occurred is None:
            logger.warning("Kuaidi100 event without a readable time: %r", row.get("ftime") or row.get("time"))
            continue
        state = state_of(row.get("statusCode"), row.get("status") or "") or State.IN_TRANSIT
        description = " ".join(str(row.get("context") or "").split())[:300]
        events.append(
            Event(occurred_at=occurred, state=state, description=description, location=str(row.get("areaName") or "")[:80])
        )
    # The parcel's overall state applies to its newest step when the steps carry none of their own.
    overall = state_of(answer.get("state"))
    if events and overall == State.DELIVERED and not any(e.state == State.DELIVERED for e in events):
        newest = max(events, key=lambda e: e.occurred_at)
        events[events.index(newest)] = Event(newest.occurred_at, State.DELIVERED, newest.description, newest.location)
    return events


class Kuaidi100Provider(TrackingProvider):
    name = "kuaidi100"

    def __init__(self, *, customer: str, key: str, url: str = KUAIDI100_URL, timeout: float = 5.0):
        missing = [
            name for name, value in (("FENXIAO_KUAIDI100_CUSTOMER", customer), ("FENXIAO_KUAIDI100_KEY", key)) if not value
        ]
        if missing:
            raise ImproperlyConfigured(f"Kuaidi100 tracking needs {', '.join(missing)}.")
        self.customer, self.key, self.url, self.timeout = customer, key, url or KUAIDI100_URL, timeout

    def form_for(self, carrier_code: str, number: str, phone_tail: str = "") -> dict[str, str]:
        param = json.dumps(
            {"com": carrier_code, "num": number, "phone": phone_tail, "resultv2": "1", "show": "0", "order": "desc"},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return {"customer": self.customer, "param": param, "sign": sign(param, self.key, self.customer)}

    def query(self, carrier_code, number, phone_tail="", *, shipped_at=None, now=None) -> list[Event]:
        ensure_no_transaction()
        form = self.form_for(carrier_code, number, phone_tail)
        try:
            response = httpx.post(self.url, data=form, timeout=self.timeout)
        except httpx.HTTPError as exc:
            logger.warning("Kuaidi100 unreachable: %s: %s", type(exc).__name__, exc)
            raise unavailable({"provider_code": "unreachable"}) from exc
        if response.status_code != 200:
            logger.warning("Kuaidi100 answered HTTP %s", response.status_code)
            raise unavailable({"provider_code": f"http_{response.status_code}"})
        try:
            answer = response.json()
        except ValueError as exc:
            raise unavailable({"provider_code": "not_json"}) from exc
        if not isinstance(answer, dict):
            raise unavailable({"provider_code": "not_json"})
        if answer.get("result") is False or ("returnCode" in answer and "data" not in answer):
            code = str(answer.get("returnCode", ""))
            if code == NOTHING_YET:
                return []
            logger.warning("Kuaidi100 refused %s %s: %s %s", carrier_code, number, code, answer.get("message"))
            raise unavailable({"provider_code": code[:20]})
        return parse_answer(answer)
