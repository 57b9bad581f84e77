from datetime import date, datetime

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from fenxiao.common.figures import Window, daily, windowed
from fenxiao.logistics.selectors import events_for

from .models import AfterSale, AfterSalePhoto, CartLine, Order, OrderEvent, OrderLine, OrderLineAdjustment, Shipment


def cart_lines(user) -> QuerySet[CartLine]:
    return CartLine.objects.filter(user=user).select_related("sku__product__category")


def orders_for_user(user, *, status: str | None = None) -> QuerySet[Order]:
    qs = Order.objects.filter(user=user).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("shipments", queryset=Shipment.objects.order_by("id")),
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def order_detail(order_id: int, *, user=None) -> Order | None:
    qs = Order.objects.select_related("distributor__user", "user").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")),
        Prefetch(
            "aftersales",
            queryset=AfterSale.objects.select_related("line__shipment__supplier")
            .order_by("-created_at")
            .prefetch_related("photos"),
        ),
        Prefetch("shipments", queryset=Shipment.objects.select_related("carrier", "supplier").order_by("id")),
    )
    if user is not None:
        qs = qs.filter(user=user)
    return qs.filter(pk=order_id).first()


def orders_for_distributor(distributor, *, status: str | None = None) -> QuerySet[Order]:
    """The orders of a distributor's shop; callers show the buyer masked."""
    qs = (
        Order.objects.filter(distributor=distributor)
        .select_related("user")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def aftersales_for_review(*, status: str | None = None) -> QuerySet[AfterSale]:
    qs = AfterSale.objects.select_related("line__shipment__supplier", "order__user").prefetch_related("photos")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "id")


def line_for_user(user, line_id: int) -> OrderLine | None:
    return OrderLine.objects.select_related("order").filter(pk=line_id, order__user=user).first()


def aftersale_for_user(user, aftersale_id: int) -> AfterSale | None:
    return AfterSale.objects.prefetch_related("photos").filter(pk=aftersale_id, order__user=user).first()


def photo_for_viewer(user, photo_id: int) -> AfterSalePhoto | None:
    """An after-sale photo if `user` may see it: the buyer who took it, or staff allowed to view
    after-sales; None otherwise (the caller answers 404 either way, so nobody learns it exists)."""
    if not getattr(user, "is_authenticated", False):
        return None
    photo = AfterSalePhoto.objects.select_related("aftersale__order").filter(pk=photo_id).first()
    if photo is None:
        return None
    if photo.aftersale.order.user_id == user.pk:
        return photo
    if user.is_staff and user.has_perm("orders.view_aftersale"):
        return photo
    return None


def orders_by_numbers(numbers) -> dict[str, Order]:
    """The orders with these numbers, by number, each with `has_open_aftersale` (shipping is refused
    while an after-sale is open); numbers that match no order are missing from the answer."""
    from django.db.models import Exists, OuterRef

    from .services.states import OPEN_AFTERSALE

    open_aftersale = AfterSale.objects.filter(order=OuterRef("pk"), status__in=OPEN_AFTERSALE)
    qs = Order.objects.filter(number__in=set(numbers)).annotate(has_open_aftersale=Exists(open_aftersale))
    return {order.number: order for order in qs}


def orders_for_packing(order_ids) -> list[Order]:
    """The orders of a packing list with their lines and SKUs, in order number order."""
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("id"))
    return list(Order.objects.filter(pk__in=list(order_ids)).prefetch_related(lines).order_by("number"))


def overdue_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Still to ship, and its ship-by time (paid + FENXIAO_SHIP_WITHIN_HOURS) has passed, strictly:
    the one definition of an overdue shipment. `prefix` applies it through a relation
    (e.g. "shipments__")."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status": Shipment.Status.TO_SHIP, f"{prefix}ship_by__lt": now})


def is_overdue(shipment: Shipment, now: datetime | None = None) -> bool:
    """`overdue_q` for a shipment in hand."""
    now = now or timezone.now()
    return bool(shipment.status == Shipment.Status.TO_SHIP and shipment.ship_by is not None and shipment.ship_by < now)


def _warehouse_overdue(now: datetime | None = None) -> Exists:
    """The order's platform-warehouse parcel is overdue (`overdue_q`)."""
    return Exists(Shipment.objects.filter(overdue_q(now), order=OuterRef("pk"), supplier__isnull=True))


def warehouse_backlog() -> QuerySet[Order]:
    """Paid orders the platform warehouse still has to ship: its parcel is still to ship, or the order
    has no shipment at all (an order whose warehouse parcel left and that waits only for suppliers is
    not the warehouse's). The console's "待发货" to-do counts these and the order list's filter shows
    them."""
    any_shipment = Exists(Shipment.objects.filter(order=OuterRef("pk")))
    warehouse_to_ship = Exists(
        Shipment.objects.filter(order=OuterRef("pk"), supplier__isnull=True, status=Shipment.Status.TO_SHIP)
    )
    return Order.objects.filter(status=Order.Status.PAID).filter(~any_shipment | warehouse_to_ship)


def warehouse_overdue(now: datetime | None = None) -> QuerySet[Order]:
    """The orders of `warehouse_backlog` whose warehouse parcel is overdue by `overdue_q`."""
    return warehouse_backlog().filter(_warehouse_overdue(now))


def shipping_backlog(*, now: datetime | None = None) -> dict[str, int]:
    """How many orders `warehouse_backlog` and `warehouse_overdue` hold, in one statement."""
    return warehouse_backlog().aggregate(to_ship=Count("id"), overdue=Count("id", filter=Q(_warehouse_overdue(now))))


def aftersale_backlog() -> dict[str, int]:
    """After-sales waiting for a review, and returns that have come back waiting to be received."""
    A = AfterSale.Status
    return AfterSale.objects.filter(status__in=[A.REQUESTED, A.RETURNED]).aggregate(
        to_review=Count("id", filter=Q(status=A.REQUESTED)), returns_to_receive=Count("id", filter=Q(status=A.RETURNED))
    )


def paid_sales(windows: dict[str, Window]) -> dict[str, dict[str, int]]:
    """GMV (what buyers paid, before refunds) and paid orders per window, by payment time (samples are
    not sales)."""
    return windowed(
        Order.objects.filter(is_sample=False),
        "paid_at",
        windows,
        gmv_fen=lambda inside: Sum("paid_fen", filter=inside),
        orders=lambda inside: Count("paid_at", filter=inside),
    )


def daily_paid_sales(first: date, last: date) -> dict[date, dict[str, int]]:
    """GMV and paid orders per local day from `first` to `last`."""
    return daily(
        Order.objects.filter(is_sample=False),
        "paid_at",
        first,
        last,
        gmv_fen=lambda inside: Sum("paid_fen", filter=inside),
        orders=lambda inside: Count("paid_at", filter=inside),
    )


def promotion_figures(stage: str, source_ids) -> dict[int, dict[str, int]]:
    """What the promotions of one price stage (coupon, full_reduction, timed: `source_id` is the
    Coupon, FullReduction or TimedDiscount id) did, by id: `orders` paid and not refunded in full that
    used it, `gmv_fen` what those orders paid net of refunds, `cost_fen` what it took off their lines.
    One query, whatever the number of ids; an id no order used answers zeros."""
    ids = sorted({int(i) for i in source_ids})
    figures = {i: {"orders": 0, "gmv_fen": 0, "cost_fen": 0} for i in ids}
    if not ids:
        return figures
    rows = (
        OrderLineAdjustment.objects.filter(
            stage=stage,
            source_id__in=ids,
            line__order__paid_at__isnull=False,
            line__order__refunded_fen__lt=F("line__order__paid_fen"),
        )
        .values("source_id", "line__order_id", "line__order__paid_fen", "line__order__refunded_fen")
        .annotate(cost=Sum("amount_fen"))
        .order_by()
    )
    for row in rows:
        entry = figures[row["source_id"]]
        entry["orders"] += 1
        entry["gmv_fen"] += row["line__order__paid_fen"] - row["line__order__refunded_fen"]
        entry["cost_fen"] += row["cost"]
    return figures


def order_shipments(order: Order, *, with_tracking: bool = True, now=None) -> list[Shipment]:
    """The order's shipments (prefetched by `order_detail`), the platform's first, each with
    `line_ids` (from the order's lines in hand), `tracking_events` (newest first, one query per
    shipped parcel) and `overdue` (still to ship past `ship_by`)."""
    now = now or timezone.now()
    shipments = sorted(order.shipments.all(), key=lambda s: (s.supplier_id is not None, s.pk))
    lines = list(order.lines.all())
    for shipment in shipments:
        shipment.line_ids = [line.pk for line in lines if line.shipment_id == shipment.pk]
        shipment.overdue = is_overdue(shipment, now)
        shipment.tracking_events = (
            events_for(shipment.carrier_id, shipment.tracking_number)
            if with_tracking and shipment.carrier_id and shipment.tracking_number
            else []
        )
    return shipments


def order_progress(order: Order) -> str:
    """ "partly_shipped" when some but not all of a paid order's live shipments left, else ""."""
    statuses = [s.status for s in order.shipments.all() if s.status != Shipment.Status.CANCELLED]
    shipped = [s for s in statuses if s != Shipment.Status.TO_SHIP]
    return "partly_shipped" if order.status == Order.Status.PAID and shipped and len(shipped) < len(statuses) else ""


def shipment_in_order(order_id: int, shipment_id: int) -> bool:
    return Shipment.objects.filter(pk=shipment_id, order_id=order_id).exists()


def returnable_quantity(line: OrderLine) -> int:
    """Units of the line the buyer may still send back: its quantity less the units of its refunded
    returns (the one rule for the after-sale service and the request page)."""
    returned = AfterSale.objects.filter(
        line_id=line.pk, kind=AfterSale.Kind.RETURN_REFUND, status=AfterSale.Status.REFUNDED
    ).aggregate(n=Sum("quantity", default=0))["n"]
    return max(line.quantity - returned, 0)
