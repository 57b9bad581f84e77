"""Who reports a parcel's journey: Kuaidi100's real-time query, or the development provider that
makes a journey up for the demo.

`FENXIAO_TRACKING_PROVIDER` chooses: "kuaidi100", "dev" (the demo; production settings refuse it, since
its made-up "signed for" would start the automatic receipt of real orders) or "" (no tracking: the
polling does nothing and a refresh answers `tracking_unavailable`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Event, ProviderCallInTransaction, TrackingProvider, ensure_no_transaction, in_transaction, unavailable
from .dev import DevProvider
from .kuaidi100 import KUAIDI100_URL, Kuaidi100Provider

__all__ = [
    "DevProvider",
    "Event",
    "Kuaidi100Provider",
    "ProviderCallInTransaction",
    "TrackingProvider",
    "configured_name",
    "ensure_no_transaction",
    "get_provider",
    "in_transaction",
    "unavailable",
]


def configured_name() -> str:
    return str(getattr(settings, "FENXIAO_TRACKING_PROVIDER", "") or "").strip().lower()


def get_provider() -> TrackingProvider | None:
    """The configured provider, or None when tracking is switched off."""
    name = configured_name()
    if not name:
        return None
    if name == "dev":
        return DevProvider()
    if name == "kuaidi100":
        return Kuaidi100Provider(
            customer=settings.FENXIAO_KUAIDI100_CUSTOMER,
            key=settings.FENXIAO_KUAIDI100_KEY,
            url=settings.FENXIAO_KUAIDI100_URL or KUAIDI100_URL,
            timeout=float(getattr(settings, "FENXIAO_TRACKING_TIMEOUT", 5.0)),
        )
    raise ImproperlyConfigured(f"FENXIAO_TRACKING_PROVIDER={name!r} is not a known tracking provider (kuaidi100, dev or empty).")
