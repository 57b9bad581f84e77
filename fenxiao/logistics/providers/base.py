"""What every tracking provider does: report the journey of one parcel."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext

from ..errors import LogisticsCode, LogisticsError
from ..models import TrackingEvent

State = TrackingEvent.State


@dataclass(frozen=True)
class Event:
    """One step of a parcel's journey as a provider reports it (an aware datetime)."""

    occurred_at: datetime
    state: str
    description: str
    location: str = ""


class ProviderCallInTransaction(RuntimeError):
    """A tracking query was about to be sent inside an open database transaction: a programming
    error. A slow provider would hold the transaction's locks for as long."""


def in_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the connection has a transaction open. The one a test case wraps around each test is
    not counted (Django's own `durable` check leaves it out the same way)."""
    conn = connections[using]
    if conn.in_atomic_block:
        return any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)
    return conn.connection is not None and not conn.autocommit  # autocommit switched off by hand


def ensure_no_transaction() -> None:
    if in_transaction():
        raise ProviderCallInTransaction("a tracking query must not be sent inside a database transaction")


def unavailable(detail: dict | None = None) -> LogisticsError:
    """The provider could not be asked, or refused: 424 like every outside provider that fails."""
    return LogisticsError(
        LogisticsCode.TRACKING_UNAVAILABLE, gettext("物流信息暂时无法查询，请稍后重试"), detail or {}, status=424
    )


class TrackingProvider(ABC):
    name = ""

    @abstractmethod
    def query(
        self,
        carrier_code: str,
        number: str,
        phone_tail: str = "",
        *,
        shipped_at: datetime | None = None,
        now: datetime | None = None,
    ) -> list[Event]:
        """The parcel's events as the provider knows them (any order). `phone_tail`: the last four
        digits of the receiver's phone, which some carriers (顺丰) require. `shipped_at` and `now` are
        for providers that make a journey up (the development one); a real provider ignores them.
        Raises LogisticsError `tracking_unavailable` when the provider cannot answer."""
