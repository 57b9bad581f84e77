"""Reads of carriers and of the tracking events stored for a parcel."""

from __future__ import annotations

from .models import Carrier, TrackingEvent


def active_carriers() -> list[Carrier]:
    return list(Carrier.objects.filter(is_active=True).order_by("sort_order", "id"))


def carrier_by_code(code: str) -> Carrier | None:
    return Carrier.objects.filter(code=(code or "").strip()).first()


def events_for(carrier_id: int, tracking_number: str) -> list[TrackingEvent]:
    """The parcel's journey, newest first."""
    return list(
        TrackingEvent.objects.filter(carrier_id=carrier_id, tracking_number=tracking_number).order_by("-occurred_at", "-id")
    )


def delivered_at(carrier_id: int, tracking_number: str):
    """When the provider reported the parcel signed for, or None."""
    return (
        TrackingEvent.objects.filter(carrier_id=carrier_id, tracking_number=tracking_number, state=TrackingEvent.State.DELIVERED)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def all_carriers() -> list[Carrier]:
    """Every carrier, the inactive ones too (the operator's list)."""
    return list(Carrier.objects.order_by("sort_order", "id"))
