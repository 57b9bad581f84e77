"""Receipt and completion, per shipment: the buyer confirms a parcel (or all that arrived), the
automatic receipt counts from the carrier's "signed for" event when there is one (else from shipping),
and each shipment's after-sales window closes on its own. The order is received when every live
shipment is, and complete — with its referral, membership and commission hooks — when every one is
(see `shipments.follow_shipments`). Both jobs are idempotent and read no row per line."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.logistics.models import TrackingEvent

from ..errors import OrderCode, OrderError
from ..models import AfterSale, Order, Shipment
from .shipments import SH, SHIPMENT_MACHINE, follow_shipments, locked_shipments
from .states import OPEN_AFTERSALE, S, locked_order

__all__ = ["auto_receive_orders", "complete_orders", "confirm_receipt", "confirm_shipment_receipt"]


@transaction.atomic
def confirm_shipment_receipt(*, shipment_id: int, user) -> Shipment:
    """The buyer got one parcel."""
    order_id = Shipment.objects.filter(pk=shipment_id, order__user=user).values_list("order_id", flat=True).first()
    if order_id is None:
        raise OrderError(OrderCode.SHIPMENT_NOT_FOUND, gettext("发货单不存在"), {"shipment_id": shipment_id}, status=404)
    order = locked_order(order_id, user=user)
    shipments = locked_shipments(order)
    shipment = next(s for s in shipments if s.pk == shipment_id)
    SHIPMENT_MACHINE.move(shipment, SH.RECEIVED, actor=user, note=gettext("买家确认收货"))
    follow_shipments(order, shipments, actor=user, note=gettext("买家确认收货"))
    return shipment


@transaction.atomic
def confirm_receipt(*, order_id: int, user) -> Order:
    """The buyer got everything shipped so far: every shipped parcel of the order is received."""
    order = locked_order(order_id, user=user)
    shipments = locked_shipments(order)
    shipped = [s for s in shipments if s.status == SH.SHIPPED]
    if not shipped:
        from .states import ORDER_MACHINE

        ORDER_MACHINE.check(order.status, S.RECEIVED, obj=order)  # not shipped yet: refused as before
        raise OrderError(OrderCode.INVALID_TRANSITION, gettext("没有待确认收货的包裹"), {"status": order.status}, status=409)
    for shipment in shipped:
        SHIPMENT_MACHINE.move(shipment, SH.RECEIVED, actor=user, note=gettext("买家确认收货"))
    follow_shipments(order, shipments, actor=user, note=gettext("买家确认收货"))
    return order


def _delivered_event():
    """When the parcel of a shipment was signed for, by the tracking events stored for it."""
    return Subquery(
        TrackingEvent.objects.filter(
            carrier_id=OuterRef("carrier_id"),
            tracking_number=OuterRef("tracking_number"),
            state=TrackingEvent.State.DELIVERED,
        )
        .order_by("occurred_at")
        .values("occurred_at")[:1],
        output_field=DateTimeField(),
    )


def auto_receive_orders(*, now=None) -> int:
    """Scheduled: a shipment whose parcel was signed for FENXIAO_AUTO_RECEIVE_AFTER_DELIVERY_DAYS ago
    (default 3), or — without such news — that shipped FENXIAO_AUTO_RECEIVE_DAYS ago (default 10),
    counts as received. Returns how many orders became received. Idempotent."""
    now = now or timezone.now()
    after_delivery = now - timedelta(days=settings.FENXIAO_AUTO_RECEIVE_AFTER_DELIVERY_DAYS)
    after_shipping = now - timedelta(days=settings.FENXIAO_AUTO_RECEIVE_DAYS)
    due = (
        Shipment.objects.filter(status=SH.SHIPPED)
        .annotate(signed_at=Coalesce("delivered_at", _delivered_event()))
        .filter(Q(signed_at__lte=after_delivery) | Q(signed_at__isnull=True, shipped_at__lte=after_shipping))
    )
    by_order: dict[int, set[int]] = {}
    for shipment_id, order_id in due.values_list("pk", "order_id").order_by("order_id", "pk"):
        by_order.setdefault(order_id, set()).add(shipment_id)
    done = 0
    for order_id, shipment_ids in by_order.items():
        with transaction.atomic():
            order = locked_order(order_id)
            shipments = locked_shipments(order)
            moved = False
            for shipment in shipments:
                if shipment.pk in shipment_ids and shipment.status == SH.SHIPPED:
                    SHIPMENT_MACHINE.move(shipment, SH.RECEIVED, note=gettext("发货后超时自动确认收货"), at=now)
                    moved = True
            was = order.status
            if moved:
                follow_shipments(order, shipments, note=gettext("发货后超时自动确认收货"), at=now)
            done += was != S.RECEIVED and order.status == S.RECEIVED
    return done


def complete_orders(*, now=None) -> int:
    """Scheduled: a received shipment whose after-sales window (FENXIAO_AFTERSALE_WINDOW_DAYS after
    its receipt, default 7) has closed with no open after-sale on its lines is completed; an order is
    completed when all its live shipments are. Returns how many orders completed. Idempotent."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FENXIAO_AFTERSALE_WINDOW_DAYS)
    open_aftersale = AfterSale.objects.filter(line__shipment_id=OuterRef("pk"), status__in=OPEN_AFTERSALE)
    due = Shipment.objects.filter(status=SH.RECEIVED, received_at__lte=cutoff).exclude(Exists(open_aftersale))
    by_order: dict[int, set[int]] = {}
    for shipment_id, order_id in due.values_list("pk", "order_id").order_by("order_id", "pk"):
        by_order.setdefault(order_id, set()).add(shipment_id)
    done = 0
    for order_id, shipment_ids in by_order.items():
        with transaction.atomic():
            order = locked_order(order_id)
            shipments = locked_shipments(order)
            still_open = set(
                AfterSale.objects.filter(line__shipment_id__in=shipment_ids, status__in=OPEN_AFTERSALE).values_list(
                    "line__shipment_id", flat=True
                )
            )
            for shipment in shipments:
                if shipment.pk in shipment_ids and shipment.status == SH.RECEIVED and shipment.pk not in still_open:
                    SHIPMENT_MACHINE.move(shipment, SH.COMPLETED, note=gettext("售后期结束"), at=now)
            was = order.status
            follow_shipments(order, shipments, at=now)
            done += was != S.COMPLETED and order.status == S.COMPLETED
    return done
