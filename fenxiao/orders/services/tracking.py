"""Polling the journey of shipped parcels (the scheduled job `orders.poll_tracking`).

A shipment that is shipped and not yet received, with a carrier and a tracking number, is asked
about through `logistics.services.refresh_tracking` at most once per `FENXIAO_TRACKING_POLL_MINUTES`
(default 60; the last asking is kept on the logistics app's parcel), the longest-unasked first. When
the journey shows the parcel signed for, the shipment's `delivered_at` is set once: from then on its
automatic receipt counts from that time. The provider is asked outside any transaction; a parcel it
cannot answer for is counted and left for the next run, the others go on.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from fenxiao.logistics import selectors as logistics_selectors
from fenxiao.logistics import services as logistics
from fenxiao.logistics.errors import LogisticsError
from fenxiao.logistics.models import Parcel
from fenxiao.logistics.providers import configured_name

from ..models import Shipment

logger = logging.getLogger("fenxiao.orders")

POLL_LIMIT = 200


def shipments_to_poll(now, *, limit: int = POLL_LIMIT) -> list[Shipment]:
    """Shipped, not yet received nor signed for, with a carrier and a number, not asked about within
    the poll interval; the never-asked first, then the longest-unasked, then the oldest shipped."""
    cutoff = now - timedelta(minutes=logistics.poll_interval_minutes())
    last_polled = Parcel.objects.filter(carrier_id=OuterRef("carrier_id"), number=OuterRef("tracking_number")).values(
        "last_polled_at"
    )[:1]
    return list(
        Shipment.objects.filter(status=Shipment.Status.SHIPPED, delivered_at__isnull=True, carrier__isnull=False)
        .exclude(tracking_number="")
        .annotate(last_polled=Subquery(last_polled))
        .filter(Q(last_polled__isnull=True) | Q(last_polled__lt=cutoff))
        .select_related("carrier", "order")
        .order_by(F("last_polled").asc(nulls_first=True), "shipped_at", "id")[: max(int(limit), 0)]
    )


def mark_delivered(shipment_id: int, delivered_at) -> bool:
    """The shipment's signed-for time, set once (a later report never moves it)."""
    return bool(
        Shipment.objects.filter(pk=shipment_id, delivered_at__isnull=True, status=Shipment.Status.SHIPPED).update(
            delivered_at=delivered_at
        )
    )


def poll_tracking(now=None, limit: int = POLL_LIMIT) -> dict[str, int]:
    """Ask about the due shipments' parcels; set `delivered_at` where a signed-for step appeared.
    Idempotent: a second run within the interval asks nobody and changes nothing."""
    counts = {"tracking_polled": 0, "tracking_failed": 0, "tracking_delivered": 0}
    if not configured_name():
        return counts
    now = now or timezone.now()
    due = shipments_to_poll(now, limit=limit)
    claimed = logistics.claim_parcels([(s.carrier_id, s.tracking_number) for s in due if s.carrier_id], now=now)
    asked: set[tuple[int, str]] = set()
    for shipment in due:
        carrier = shipment.carrier
        if carrier is None:
            continue
        key = (carrier.pk, shipment.tracking_number)
        if key not in claimed:
            continue  # another run took it
        if key not in asked:
            asked.add(key)
            try:
                logistics.refresh_tracking(
                    carrier,
                    shipment.tracking_number,
                    phone_tail=shipment.order.receiver_phone[-4:],
                    shipped_at=shipment.shipped_at,
                    now=now,
                )
            except LogisticsError as exc:
                counts["tracking_failed"] += 1
                logger.warning("tracking of shipment %s (%s) failed: %s", shipment.pk, shipment.tracking_number, exc)
                continue
            counts["tracking_polled"] += 1
        delivered = logistics_selectors.delivered_at(carrier.pk, shipment.tracking_number)
        if delivered is not None and mark_delivered(shipment.pk, delivered):
            counts["tracking_delivered"] += 1
    return counts


def journey(shipment: Shipment) -> list:
    """The shipment's parcel journey as stored (newest first), for the buyer's and the operator's
    order pages; empty before it ships or without a carrier."""
    if not shipment.carrier_id or not shipment.tracking_number:
        return []
    return logistics_selectors.events_for(shipment.carrier_id, shipment.tracking_number)
