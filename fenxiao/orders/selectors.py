from django.db.models import Prefetch, QuerySet

from .models import AfterSale, AfterSalePhoto, CartLine, Order, OrderEvent, OrderLine


def cart_lines(user) -> QuerySet[CartLine]:
    return CartLine.objects.filter(user=user).select_related("sku__product__category")


def orders_for_user(user, *, status: str | None = None) -> QuerySet[Order]:
    qs = Order.objects.filter(user=user).prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def order_detail(order_id: int, *, user=None) -> Order | None:
    qs = Order.objects.select_related("distributor__user", "user").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")),
        Prefetch("aftersales", queryset=AfterSale.objects.order_by("-created_at").prefetch_related("photos")),
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
    qs = AfterSale.objects.select_related("line", "order__user").prefetch_related("photos")
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
