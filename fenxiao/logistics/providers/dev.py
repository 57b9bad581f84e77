"""The development provider: asks nobody and makes up a plausible journey for the demo.

The journey follows from the carrier and number (the cities and the hours between the steps) and
from the shipped time: picked up within hours, through two sorting centres, out for delivery and
signed for about two days after shipping. Only the steps up to `now` are reported, so the same
parcel asked again later shows more of its journey, and asked twice at one moment the same steps.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.utils import timezone

from .base import Event, State, TrackingProvider

CITIES = ("杭州", "上海", "广州", "深圳", "北京", "成都", "武汉", "南京", "西安", "长沙", "郑州", "厦门")


def _seed(carrier_code: str, number: str) -> int:
    return int(hashlib.sha256(f"{carrier_code}:{number}".encode()).hexdigest()[:12], 16)


def journey(carrier_code: str, number: str, shipped_at) -> list[Event]:
    """The whole journey, oldest first."""
    seed = _seed(carrier_code, number)
    origin = CITIES[seed % len(CITIES)]
    destination = CITIES[(seed // 16 % (len(CITIES) - 1) + 1 + seed % len(CITIES)) % len(CITIES)]
    start = shipped_at.replace(microsecond=0)

    def at(hours: float, spread: int) -> datetime:
        return start + timedelta(hours=hours, minutes=(seed >> spread) % 90)

    steps = [
        (at(1, 3), State.PICKED_UP, f"【{origin}市】快件已揽收", origin),
        (at(6, 7), State.IN_TRANSIT, f"快件已从{origin}转运中心发出，准备发往{destination}转运中心", origin),
        (at(30, 11), State.IN_TRANSIT, f"快件已到达{destination}转运中心", destination),
        (at(42, 15), State.DELIVERING, f"【{destination}市】快递员正在派送，请保持电话畅通", destination),
        (at(46, 19), State.DELIVERED, f"【{destination}市】已签收，签收人：本人。感谢使用，期待再次为您服务", destination),
    ]
    return [Event(occurred_at=when, state=state, description=text, location=place) for when, state, text, place in steps]


class DevProvider(TrackingProvider):
    name = "dev"

    def query(self, carrier_code, number, phone_tail="", *, shipped_at=None, now=None) -> list[Event]:
        now = now or timezone.now()
        return [event for event in journey(carrier_code, number, shipped_at or now) if event.occurred_at <= now]
