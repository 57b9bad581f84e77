"""My orders: the order list, one order with its timeline and the buyer's
actions and after-sales; and the orders of a distributor's shop (with the buyer masked).

Like the other pages, these read through the orders selectors and write through the orders services;
a DomainError from a service is shown on the page as its message, never as a server error.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fenxiao.common.errors import DomainError
from fenxiao.common.money import parse_yuan, yuan
from fenxiao.common.phone import mask_name, mask_phone
from fenxiao.growth import selectors as growth_selectors
from fenxiao.orders import selectors, services
from fenxiao.orders.errors import OrderCode
from fenxiao.orders.models import AfterSale, Order, OrderLine, Shipment
from fenxiao.orders.photos import MAX_PHOTO_BYTES, MAX_PHOTOS

from ..bundles import group_bundle_lines
from .helpers import ORDER_TABS, not_found, positive_int, viewer_distributor

S = Order.Status
ORDERS_PER_PAGE = 10
SHOP_ORDERS_PER_PAGE = 20

# What a status change reads like in the order's timeline.
EVENT_TITLES = {
    S.PENDING_PAYMENT: gettext_lazy("订单已提交"),
    S.PAID: gettext_lazy("付款成功"),
    S.SHIPPED: gettext_lazy("商家已发货"),
    S.RECEIVED: gettext_lazy("已确认收货"),
    S.COMPLETED: gettext_lazy("订单已完成"),
    S.CANCELLED: gettext_lazy("订单已取消"),
}

AFTERSALE_OPEN = set(services.OPEN_AFTERSALE)
AFTERSALE_WITHDRAWABLE = {AfterSale.Status.REQUESTED, AfterSale.Status.AWAITING_RETURN}
# The form field an after-sale refusal concerns.
AFTERSALE_FIELDS = {
    OrderCode.REASON_REQUIRED: "reason",
    OrderCode.REFUND_EXCEEDS_PAID: "amount",
    OrderCode.INVALID_QUANTITY: "quantity",
    OrderCode.TOO_MANY_PHOTOS: "photos",
    OrderCode.INVALID_PHOTO: "photos",
    OrderCode.PHOTO_TOO_LARGE: "photos",
}


def _own_order(request: HttpRequest, order_id: int) -> Order | None:
    return selectors.order_detail(order_id, user=request.user)


def _order_not_found(request: HttpRequest) -> HttpResponse:
    return not_found(request, _("订单不存在"))


# --- my orders -----------------------------------------------------------------------------------


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    current = request.GET.get("status", "")
    tabs = {key: statuses for key, _label, statuses in ORDER_TABS}
    if current not in tabs:
        current = ""
    orders = selectors.orders_for_user(request.user)
    if tabs[current]:
        orders = orders.filter(status__in=tabs[current])
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    _with_item_counts(page.object_list)
    context = {
        "tab": "me",
        "tabs": [{"key": key, "label": label} for key, label, _statuses in ORDER_TABS],
        "current": current,
        "page": page,
        "Status": S,
    }
    return render(request, "web/orders.html", context)


def _with_item_counts(orders) -> None:
    """Units per order from the prefetched lines, and the pictures for the lines' thumbnails."""
    orders = list(orders)
    prefetch_related_objects(orders, "lines__sku__product__images")
    for order in orders:
        order.item_count = sum(line.quantity for line in order.lines.all())
        order.partly_shipped = selectors.order_progress(order) == "partly_shipped"


# Notes the order services write on a plain status change; the timeline's title already says as much.
# A note is stored in the language it was written in, so both the source text and its translation count.
PLAIN_NOTES = ("下单", "付款成功")


def _default_notes() -> set[str]:
    return {*PLAIN_NOTES, *(_(note) for note in PLAIN_NOTES)}


def _timeline(order: Order) -> list[dict]:
    """The order's events, newest first, as the buyer reads them."""
    entries = []
    for event in order.events.all():
        if event.from_status == event.to_status:
            title, note = event.note, ""
        else:
            title = EVENT_TITLES.get(event.to_status, event.to_status)
            note = "" if event.note == str(title) or event.note in _default_notes() else event.note
        entries.append({"at": event.created_at, "title": title, "note": note, "status": event.to_status})
    entries.reverse()
    return entries


def _detail_context(order: Order, *, action_error: str = "", aftersale_errors: dict[int, str] | None = None) -> dict:
    aftersale_errors = aftersale_errors or {}
    aftersales = list(order.aftersales.all())
    open_lines = {a.line_id for a in aftersales if a.status in AFTERSALE_OPEN}
    shipments = selectors.order_shipments(order)
    # a line's after-sales window is its own parcel's: from shipping until that parcel completes
    in_window = {s.pk for s in shipments if s.status in (Shipment.Status.SHIPPED, Shipment.Status.RECEIVED)}
    lines = list(order.lines.all())
    prefetch_related_objects(lines, "sku__product__images")
    by_id = {line.pk: line for line in lines}
    return {
        "tab": "me",
        "order": order,
        "Status": S,
        # the component lines of a bundle together, the first under the bundle's heading
        "lines": [
            {**item["row"], "bundle": item["bundle"], "in_bundle": item["in_bundle"]}
            for item in group_bundle_lines(
                [
                    {
                        "line": line,
                        "open_aftersale": line.pk in open_lines,
                        "can_aftersale": line.shipment_id in in_window
                        and not line.is_gift
                        and line.pk not in open_lines
                        and line.refundable_fen > 0,
                    }
                    for line in lines
                ],
                line_of=lambda row: row["line"],
            )
        ],
        "breakdown": order.price_breakdown or None,
        "timeline": _timeline(order),
        "aftersales": [
            {
                "aftersale": a,
                "line": by_id.get(a.line_id),
                "awaiting_return": a.status == AfterSale.Status.AWAITING_RETURN,
                "return_address": services.return_address(a.line)
                if a.kind == AfterSale.Kind.RETURN_REFUND and a.status == AfterSale.Status.AWAITING_RETURN
                else None,
                "can_withdraw": a.status in AFTERSALE_WITHDRAWABLE,
                "error": aftersale_errors.get(a.pk, ""),
            }
            for a in aftersales
        ],
        # a paid 拼团 order waits for its group: its buyer cannot cancel it meanwhile
        "can_cancel": order.status == S.PENDING_PAYMENT or (order.status == S.PAID and not order.hold),
        "can_receive": order.status == S.SHIPPED,
        # one parcel per shipper: listed each with its own tracking and receipt when there are several
        "shipments": [
            {
                "shipment": shipment,
                "shipper": _("平台发货") if shipment.supplier_id is None else _("供应商发货"),
                "tracking_url": shipment.carrier.tracking_url(shipment.tracking_number)
                if shipment.tracking_number and shipment.carrier is not None
                else "",
                "lines": [by_id[pk] for pk in shipment.line_ids if pk in by_id],
                "can_receive": len(shipments) > 1 and shipment.status == Shipment.Status.SHIPPED,
            }
            for shipment in shipments
            if shipment.status != Shipment.Status.CANCELLED or len(shipments) > 1
        ]
        if len(shipments) > 1 or any(s.carrier_id for s in shipments)
        else [],
        "partly_shipped": selectors.order_progress(order) == "partly_shipped",
        "action_error": action_error,
    }


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    if order is None:
        return _order_not_found(request)
    context = _detail_context(order)
    if order.status == S.COMPLETED:
        context["apply_invite"] = growth_selectors.open_invitation(request.user)
    return render(request, "web/order_detail.html", context)


def _after_action(request: HttpRequest, order_id: int, action, success: str, *, aftersale_id: int | None = None) -> HttpResponse:
    """Run one buyer action on an order; on success back to the order with a notice, on refusal the
    order page again with the reason next to the action."""
    if request.method != "POST":
        return redirect("web:order_detail", order_id=order_id)
    try:
        action()
    except DomainError as exc:
        order = _own_order(request, order_id)
        if order is None:
            return _order_not_found(request)
        if aftersale_id is not None and any(a.pk == aftersale_id for a in order.aftersales.all()):
            context = _detail_context(order, aftersale_errors={aftersale_id: exc.message})
        else:
            context = _detail_context(order, action_error=exc.message)
        return render(request, "web/order_detail.html", context)
    messages.success(request, success)
    return redirect("web:order_detail", order_id=order_id)


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    reason = str(request.POST.get("reason", "")).strip()
    order = _own_order(request, order_id) if request.method == "POST" else None
    was_paid = order is not None and order.status == S.PAID
    success = _("订单已取消，货款将原路退回") if was_paid else _("订单已取消")
    return _after_action(
        request, order_id, lambda: services.cancel_order(order_id=order_id, actor=request.user, reason=reason), success
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_receive(request: HttpRequest, order_id: int) -> HttpResponse:
    """Receive the whole order, or (`shipment_id`) one parcel of it."""
    raw = request.POST.get("shipment_id") if request.method == "POST" else None
    shipment_id = None if raw is None else (positive_int(raw) or 0)  # a parcel named but not a number: not found

    def receive() -> None:
        if shipment_id is None:
            services.confirm_receipt(order_id=order_id, user=request.user)
        elif shipment_id and selectors.shipment_in_order(order_id, shipment_id):
            services.confirm_shipment_receipt(shipment_id=shipment_id, user=request.user)
        else:
            services.confirm_shipment_receipt(shipment_id=0, user=request.user)  # not this order's: not found

    return _after_action(request, order_id, receive, _("已确认收货"))


@login_required
@require_http_methods(["GET", "POST"])
def aftersale_return(request: HttpRequest, order_id: int, aftersale_id: int) -> HttpResponse:
    tracking = str(request.POST.get("tracking_number", "")).strip()
    return _after_action(
        request,
        order_id,
        lambda: services.submit_return(aftersale_id=aftersale_id, user=request.user, tracking_number=tracking),
        _("退货单号已提交"),
        aftersale_id=aftersale_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def aftersale_withdraw(request: HttpRequest, order_id: int, aftersale_id: int) -> HttpResponse:
    return _after_action(
        request,
        order_id,
        lambda: services.withdraw_aftersale(aftersale_id=aftersale_id, user=request.user),
        _("售后申请已撤销"),
        aftersale_id=aftersale_id,
    )


def _own_line(user, line_id: int) -> OrderLine | None:
    return selectors.line_for_user(user, line_id)


@login_required
@require_http_methods(["GET", "POST"])
def aftersale_new(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _own_line(request.user, line_id)
    if line is None:
        return _order_not_found(request)
    order = line.order
    if order.status not in (S.SHIPPED, S.RECEIVED):
        messages.error(request, _("只有已发货或已收货的订单可以申请售后"))
        return redirect("web:order_detail", order_id=order.pk)
    if line.is_gift:
        messages.error(request, _("赠品不能申请售后（赠品 0 元，没有可退的金额）"))
        return redirect("web:order_detail", order_id=order.pk)
    if line.refundable_fen <= 0:
        messages.error(request, _("该商品已全额退款"))
        return redirect("web:order_detail", order_id=order.pk)

    Kind = AfterSale.Kind
    returnable = selectors.returnable_quantity(line)
    form = {
        "kind": Kind.REFUND_ONLY,
        "amount": yuan(line.refundable_fen, grouping=False),
        "quantity": str(returnable),
        "reason": "",
    }
    error, error_field = "", ""
    if request.method == "POST":
        form = {
            "kind": request.POST.get("kind", ""),
            "amount": str(request.POST.get("amount", "")).strip(),
            "quantity": str(request.POST.get("quantity", "")).strip(),
            "reason": str(request.POST.get("reason", "")).strip(),
        }
        quantity = 0
        try:
            amount_fen = parse_yuan(form["amount"])
        except ValueError:
            amount_fen = None
        if form["kind"] not in Kind.values:
            error, error_field = _("请选择售后类型"), "kind"
        elif amount_fen is None or amount_fen <= 0:
            error, error_field = _("请输入正确的退款金额，最多两位小数"), "amount"
        elif amount_fen > line.refundable_fen:
            error, error_field = _("退款金额不能超过 ¥%(max)s") % {"max": yuan(line.refundable_fen)}, "amount"
        elif form["kind"] == Kind.RETURN_REFUND:
            quantity = positive_int(form["quantity"]) or 0
            if not 1 <= quantity <= returnable:
                error, error_field = _("退货数量须为 1 到 %(max)s 件") % {"max": returnable}, "quantity"
        if not error:
            try:
                services.request_aftersale(
                    user=request.user,
                    line_id=line.pk,
                    kind=form["kind"],
                    amount_fen=amount_fen,
                    reason=form["reason"],
                    quantity=quantity,
                    photos=request.FILES.getlist("photos"),
                )
            except DomainError as exc:
                error = exc.message
                error_field = AFTERSALE_FIELDS.get(exc.code, "")
            else:
                messages.success(request, _("售后申请已提交，请等待平台审核"))
                return redirect(reverse("web:order_detail", args=[order.pk]) + "#aftersales")
    context = {
        "tab": "me",
        "order": order,
        "line": line,
        "Kind": Kind,
        "form": form,
        "error": error,
        "error_field": error_field,
        "returnable": returnable,
        "max_photos": MAX_PHOTOS,
        "max_photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
    }
    return render(request, "web/aftersale_form.html", context)


# --- distributor: my shop's orders ---------------------------------------------------------------


@login_required
def shop_orders(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    page = Paginator(selectors.orders_for_distributor(distributor), SHOP_ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    _with_item_counts(page.object_list)
    rows = [
        {
            "order": order,
            "buyer": mask_name(order.user.nickname),
            "buyer_phone": mask_phone(order.user.phone),
        }
        for order in page.object_list
    ]
    context = {"tab": "dc", "distributor": distributor, "page": page, "rows": rows, "Status": S}
    return render(request, "web/shop_orders.html", context)
