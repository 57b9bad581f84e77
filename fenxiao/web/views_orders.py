"""Shopping pages: the cart, checkout, the payment page, my orders with their timeline and after-sales,
and the orders of a distributor's shop (with the buyer masked).

Like the other pages, these read through the orders selectors and write through the orders services;
a DomainError from a service is shown on the page as its message, never as a server error.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fenxiao.catalog.models import is_purchasable
from fenxiao.common.errors import DomainError
from fenxiao.common.money import parse_yuan, yuan
from fenxiao.common.phone import mask_name, mask_phone
from fenxiao.growth import selectors_conversion
from fenxiao.inventory.selectors import available_by_sku
from fenxiao.orders import selectors, services
from fenxiao.orders.models import AfterSale, Order, OrderLine

from .views import _not_found, _safe_next, _viewer_distributor

S = Order.Status
CHECKOUT_TOKENS = "checkout_tokens"
CHECKOUT_TOKENS_KEPT = 20
ORDERS_PER_PAGE = 10
SHOP_ORDERS_PER_PAGE = 20
ADDRESS_FIELDS = services.ADDRESS_FIELDS

# The tabs of "my orders": key in the query string, label, the statuses it shows.
ORDER_TABS = [
    ("", gettext_lazy("全部"), ()),
    ("pending_payment", gettext_lazy("待付款"), (S.PENDING_PAYMENT,)),
    ("paid", gettext_lazy("待发货"), (S.PAID,)),
    ("shipped", gettext_lazy("已发货"), (S.SHIPPED,)),
    ("completed", gettext_lazy("已完成"), (S.RECEIVED, S.COMPLETED)),
    ("cancelled", gettext_lazy("已取消"), (S.CANCELLED,)),
]

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


# --- helpers -------------------------------------------------------------------------------------


def _digits(raw) -> str | None:
    """The ASCII digits of a form value ('²' and other Unicode digits are not numbers here)."""
    text = str(raw or "").strip()
    return text if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _positive_int(raw) -> int | None:
    text = _digits(raw)
    if text is None:
        return None
    value = int(text)
    return value if value > 0 else None


def _yuan_input(amount_fen: int) -> str:
    """15000 → '150.00', for an amount field (no thousands separator)."""
    whole, fen = divmod(int(amount_fen), 100)
    return f"{whole}.{fen:02d}"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _shipping_hint(breakdown: dict) -> dict:
    """How far the goods are from free shipping, for the "满 ¥99 包邮" line."""
    threshold = settings.FENXIAO_FREE_SHIPPING_FROM_FEN
    payable_goods = breakdown["goods_fen"] - sum(d["amount_fen"] for d in breakdown.get("discounts", []))
    return {"threshold_fen": threshold, "missing_fen": max(0, threshold - payable_goods) if breakdown["shipping_fen"] else 0}


def _sellable(sku) -> bool:
    return is_purchasable(sku)


def _own_order(request: HttpRequest, order_id: int) -> Order | None:
    return selectors.order_detail(order_id, user=request.user)


def _order_not_found(request: HttpRequest) -> HttpResponse:
    return _not_found(request, _("订单不存在"))


# --- product page: add to cart / buy now ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def cart_add(request: HttpRequest) -> HttpResponse:
    """The two buttons of the product page. 立即购买 goes to checkout with this one item; 加入购物车
    adds it and returns to the product. A visitor who is not signed in is sent to log in first."""
    if request.method != "POST":
        return redirect("web:cart")
    back = _safe_next(request, reverse("web:cart"))
    sku_id = _positive_int(request.POST.get("sku"))
    quantity = _positive_int(request.POST.get("qty"))
    if sku_id is None:
        messages.error(request, _("请选择规格"))
        return redirect(back)
    if quantity is None or quantity > services.MAX_QUANTITY:
        messages.error(request, _("数量须为 1 到 %(max)s 之间的整数") % {"max": services.MAX_QUANTITY})
        return redirect(back)
    if request.POST.get("action") == "buy":
        target = f"{reverse('web:checkout')}?{urlencode({'sku': sku_id, 'qty': quantity})}"
        if not request.user.is_authenticated:
            return redirect_to_login(target)
        return redirect(target)
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        services.add_to_cart(user=request.user, sku_id=sku_id, quantity=quantity)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已加入购物车"))
    return redirect(back)


# --- cart ----------------------------------------------------------------------------------------


def _cart_context(request: HttpRequest, error: str = "") -> dict:
    lines = list(selectors.cart_lines(request.user).prefetch_related("sku__product__images"))
    available = available_by_sku(line.sku_id for line in lines)
    ready = [line for line in lines if _sellable(line.sku)]
    breakdown = None
    if ready:
        try:
            _skus, quote = services.quote_items(user=request.user, items=[(line.sku_id, line.quantity) for line in ready])
        except DomainError as exc:
            error = error or exc.message
        else:
            breakdown = quote.breakdown()
    rows = [
        {
            "line": line,
            "sellable": _sellable(line.sku),
            "available": available.get(line.sku_id, 0),
            "short": line.quantity > available.get(line.sku_id, 0),
        }
        for line in lines
    ]
    return {
        "tab": "cart",
        "lines": rows,
        "ready_count": sum(line.quantity for line in ready),
        "breakdown": breakdown,
        "shipping": _shipping_hint(breakdown) if breakdown else None,
        "free_shipping_fen": settings.FENXIAO_FREE_SHIPPING_FROM_FEN,
        "max_quantity": services.MAX_QUANTITY,
        "error": error,
    }


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    return render(request, "web/cart.html", _cart_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def cart_line(request: HttpRequest, sku_id: int) -> HttpResponse:
    """+ / − / 删除 of one cart line: each button posts the new quantity (0 removes the line). With
    htmx the cart is re-rendered in place; without it the browser comes back to the cart."""
    if request.method != "POST":
        return redirect("web:cart")
    error = ""
    raw = _digits(request.POST.get("qty"))
    if raw is None:
        error = _("数量须为 1 到 %(max)s 之间的整数") % {"max": services.MAX_QUANTITY}
    else:
        try:
            services.set_cart_quantity(user=request.user, sku_id=sku_id, quantity=int(raw))
        except DomainError as exc:
            error = exc.message
    if _is_htmx(request):
        return render(request, "web/cart.html", _cart_context(request, error=error))
    if error:
        messages.error(request, error)
    return redirect("web:cart")


# --- checkout ------------------------------------------------------------------------------------


def _checkout_items(request: HttpRequest, source) -> tuple[list[tuple[int, int]], bool, dict]:
    """What is being bought: one SKU (立即购买, ?sku=&qty=) or the sellable lines of the cart."""
    if source.get("sku") is not None:
        sku_id, quantity = _positive_int(source.get("sku")), _positive_int(source.get("qty") or "1")
        if sku_id is None or quantity is None:
            return [], False, {}
        return [(sku_id, quantity)], False, {"sku": sku_id, "qty": quantity}
    lines = [line for line in selectors.cart_lines(request.user) if _sellable(line.sku)]
    return [(line.sku_id, line.quantity) for line in lines], True, {}


def _saved_address(user) -> dict:
    address = selectors.default_address(user)
    if address is None:
        return {}
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _remember_order(request: HttpRequest, token: str, order_id: int) -> None:
    done = dict(request.session.get(CHECKOUT_TOKENS, {}))
    done[token] = order_id
    request.session[CHECKOUT_TOKENS] = dict(list(done.items())[-CHECKOUT_TOKENS_KEPT:])


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    is_post = request.method == "POST"
    source = request.POST if is_post else request.GET
    token = str(source.get("token", "")).strip()[:64]
    if is_post and token:
        # A repeated submission of the same form (double tap, refresh, back and submit again).
        previous = request.session.get(CHECKOUT_TOKENS, {}).get(token)
        if previous is not None:
            return redirect("web:order_pay", order_id=previous)

    items, from_cart, single = _checkout_items(request, source)
    if not items:
        if source.get("sku") is not None:
            return _not_found(request, _("商品不存在或已下架"))
        messages.info(request, _("购物车里还没有可结算的商品"))
        return redirect("web:cart")

    error, error_field = "", ""
    breakdown, lines = None, []
    try:
        skus, quote = services.quote_items(user=request.user, items=items)
    except DomainError as exc:
        error = exc.message
    else:
        breakdown = quote.breakdown()
        prefetch_related_objects(list(skus.values()), "product__images")
        available = available_by_sku(skus)
        lines = [
            {"sku": skus[priced.sku_id], "priced": priced, "available": available[priced.sku_id]}
            for priced in quote.lines
        ]

    saved = _saved_address(request.user)
    if is_post:
        address = {name: str(request.POST.get(name, "")).strip() for name in ADDRESS_FIELDS}
        note = str(request.POST.get("note", "")).strip()
        save_address = request.POST.get("save_address") == "1"
    else:
        address = saved or {name: "" for name in ADDRESS_FIELDS}
        note = ""
        save_address = not saved

    if is_post and not error:
        try:
            order = services.place_order(user=request.user, items=items, address=address, note=note, from_cart=from_cart)
        except DomainError as exc:
            error = exc.message
            error_field = exc.detail.get("field", "") if isinstance(exc.detail, dict) else ""
        else:
            clean = services.clean_address(address)
            if save_address and clean != saved:
                services.save_address(user=request.user, data=clean)
            if token:
                _remember_order(request, token, order.pk)
            return redirect("web:order_pay", order_id=order.pk)

    context = {
        "tab": "cart",
        "lines": lines,
        "breakdown": breakdown,
        "shipping": _shipping_hint(breakdown) if breakdown else None,
        "single": single,
        "from_cart": from_cart,
        "address": address,
        "has_saved_address": bool(saved),
        "save_address": save_address,
        "note": note,
        "token": token or secrets.token_urlsafe(16),
        "error": error,
        "error_field": error_field,
    }
    return render(request, "web/checkout.html", context)


# --- payment -------------------------------------------------------------------------------------


def _seconds_left(order: Order) -> int:
    if order.expires_at is None:
        return 0
    return max(0, int((order.expires_at - timezone.now()).total_seconds()))


@login_required
@require_http_methods(["GET", "POST"])
def order_pay(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    if order is None:
        return _order_not_found(request)
    if order.status != S.PENDING_PAYMENT:
        if request.method == "POST":
            messages.info(request, _("该订单当前状态为%(status)s，无需付款") % {"status": order.get_status_display()})
        return redirect("web:order_detail", order_id=order.pk)
    error = ""
    if request.method == "POST":
        try:
            services.pay_with_dev_provider(user=request.user, order_id=order.pk)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("支付成功"))
            return redirect("web:order_detail", order_id=order.pk)
    seconds = _seconds_left(order)
    context = {
        "tab": "me",
        "order": order,
        "seconds_left": seconds,
        "minutes_left": seconds // 60,
        "remainder_seconds": seconds % 60,
        "expired": order.expires_at is not None and seconds == 0,
        "dev_payments": settings.FENXIAO_DEV_PAYMENTS,
        "error": error,
    }
    return render(request, "web/order_pay.html", context)


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


def order_shortcuts(user) -> list[dict]:
    """The order tabs of the "我的" page with how many orders each holds (all but 全部)."""
    counts = dict(selectors.orders_for_user(user).order_by().values_list("status").annotate(n=Count("id")))
    return [
        {"key": key, "label": label, "count": sum(counts.get(status, 0) for status in statuses)}
        for key, label, statuses in ORDER_TABS[1:]
    ]


def shop_order_count(distributor) -> int:
    return selectors.orders_for_distributor(distributor).count()


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
    can_aftersale = order.status in (S.SHIPPED, S.RECEIVED)
    lines = list(order.lines.all())
    prefetch_related_objects(lines, "sku__product__images")
    by_id = {line.pk: line for line in lines}
    return {
        "tab": "me",
        "order": order,
        "Status": S,
        "lines": [
            {
                "line": line,
                "open_aftersale": line.pk in open_lines,
                "can_aftersale": can_aftersale and line.pk not in open_lines and line.refundable_fen > 0,
            }
            for line in lines
        ],
        "breakdown": order.price_breakdown or None,
        "timeline": _timeline(order),
        "aftersales": [
            {
                "aftersale": a,
                "line": by_id.get(a.line_id),
                "awaiting_return": a.status == AfterSale.Status.AWAITING_RETURN,
                "can_withdraw": a.status in AFTERSALE_WITHDRAWABLE,
                "error": aftersale_errors.get(a.pk, ""),
            }
            for a in aftersales
        ],
        "can_cancel": order.status in (S.PENDING_PAYMENT, S.PAID),
        "can_receive": order.status == S.SHIPPED,
        "action_error": action_error,
    }


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _own_order(request, order_id)
    if order is None:
        return _order_not_found(request)
    context = _detail_context(order)
    if order.status == S.COMPLETED:
        context["apply_invite"] = selectors_conversion.open_invitation(request.user)
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
    return _after_action(
        request, order_id, lambda: services.confirm_receipt(order_id=order_id, user=request.user), _("已确认收货")
    )


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
    if line.refundable_fen <= 0:
        messages.error(request, _("该商品已全额退款"))
        return redirect("web:order_detail", order_id=order.pk)

    Kind = AfterSale.Kind
    form = {"kind": Kind.REFUND_ONLY, "amount": _yuan_input(line.refundable_fen), "quantity": str(line.quantity), "reason": ""}
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
            quantity = _positive_int(form["quantity"]) or 0
            if not 1 <= quantity <= line.quantity:
                error, error_field = _("退货数量须为 1 到 %(max)s 件") % {"max": line.quantity}, "quantity"
        if not error:
            try:
                services.request_aftersale(
                    user=request.user, line_id=line.pk, kind=form["kind"], amount_fen=amount_fen, reason=form["reason"], quantity=quantity
                )
            except DomainError as exc:
                error = exc.message
                error_field = {"reason_required": "reason", "refund_exceeds_paid": "amount", "invalid_quantity": "quantity"}.get(exc.code, "")
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
    }
    return render(request, "web/aftersale_form.html", context)


# --- distributor: my shop's orders ---------------------------------------------------------------


@login_required
def shop_orders(request: HttpRequest) -> HttpResponse:
    distributor = _viewer_distributor(request)
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
