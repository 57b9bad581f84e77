"""Paying an order on the pages: the way to pay follows the client.

- In WeChat's browser: JSAPI. The buyer's Official Account openid (from WeChat's web authorization)
  is the payer; the page hands the signed parameters to WeixinJSBridge (static/web/wxpay.js) and
  polls the order. A cancelled or failed bridge call leaves the order payable until its deadline.
- In a phone browser outside WeChat: H5. The buyer is sent to WeChat Pay's page and comes back to the
  order's result page, which polls the order.
- On a computer: Native. A QR code of the payment's code_url, drawn here, scanned with WeChat; the
  page polls the order.
- With FENXIAO_DEV_PAYMENTS the development provider's button stays, for demos and tests.

Only WeChat Pay's signed notification marks an order paid: the result page and the polling read.
"""

from __future__ import annotations

import base64
import io
from urllib.parse import quote

import qrcode
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from qrcode.image.pil import PilImage

from fenxiao.common.errors import DomainError
from fenxiao.common.ratelimit import client_address
from fenxiao.orders import selectors, services
from fenxiao.orders.models import Order
from fenxiao.payments import selectors as payment_selectors
from fenxiao.payments import services as payment_services
from fenxiao.payments.models import Payment, Provider, TradeType
from fenxiao.wechat import selectors as wechat_selectors

from .helpers import is_htmx, not_found

S = Order.Status
POLL_SECONDS = 3
PHONE_MARKERS = ("mobile", "android", "iphone", "ipad", "ipod", "harmonyos", "windows phone")
WECOM_MARKER = "wxwork"  # WeCom's browser also says MicroMessenger, but cannot pay with the Official Account


def client_kind(request: HttpRequest) -> str:
    """ "wechat" (WeChat's own browser), "phone" (any other phone browser) or "computer"."""
    agent = request.headers.get("User-Agent", "").lower()
    if "micromessenger" in agent and WECOM_MARKER not in agent:
        return "wechat"
    if any(marker in agent for marker in PHONE_MARKERS):
        return "phone"
    return "computer"


METHOD_BY_CLIENT = {"wechat": TradeType.JSAPI, "phone": TradeType.H5, "computer": TradeType.NATIVE}


def _own_order(request: HttpRequest, order_id: int) -> Order | None:
    return selectors.order_detail(order_id, user=request.user)


def _seconds_left(order: Order) -> int:
    if order.expires_at is None:
        return 0
    return max(0, int((order.expires_at - timezone.now()).total_seconds()))


def _qr_data_uri(text: str) -> str:
    """A PNG of the QR code of `text`, drawn here (never by a third party), as a data: URI."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    qr.add_data(text)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(image_factory=PilImage, fill_color="black", back_color="white").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _open_wechat_payment(order: Order) -> Payment | None:
    payment = payment_selectors.current_payment(services.PAYMENT_PURPOSE, str(order.pk))
    if payment is None or payment.provider != Provider.WECHATPAY or payment.status != Payment.Status.PENDING:
        return None
    return payment


def _pay_context(request: HttpRequest, order: Order, *, error: str = "", **extra) -> dict:
    seconds = _seconds_left(order)
    wechat_ready = payment_selectors.wechatpay_available()
    kind = client_kind(request)
    method = METHOD_BY_CLIENT[kind] if wechat_ready else ""
    context = {
        "tab": "me",
        "order": order,
        "seconds_left": seconds,
        "minutes_left": seconds // 60,
        "remainder_seconds": seconds % 60,
        "expired": order.expires_at is not None and seconds == 0,
        "dev_payments": settings.FENXIAO_DEV_PAYMENTS,
        "client": kind,
        "method": method,
        "error": error,
        "poll_seconds": POLL_SECONDS,
        "paid": False,
        "closed": False,
    }
    if method == TradeType.JSAPI:
        context["has_openid"] = bool(wechat_selectors.oa_openid(request.user))
        next_url = reverse("web:order_pay", args=[order.pk])
        context["authorize_url"] = reverse("web:wechat_oauth_start") + "?next=" + quote(next_url)
    if method == TradeType.NATIVE and "qr_code" not in extra:
        payment = _open_wechat_payment(order)
        if payment is not None and payment.trade_type == TradeType.NATIVE and payment.code_url:
            context["qr_code"] = _qr_data_uri(payment.code_url)
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def order_pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """The pay page; its POST is the development provider's "pay now"."""
    order = _own_order(request, order_id)
    if order is None:
        return not_found(request, _("订单不存在"))
    if order.status != S.PENDING_PAYMENT:
        if request.method == "POST":
            messages.info(request, _("该订单当前状态为%(status)s，无需付款") % {"status": order.get_status_display()})
        return redirect("web:order_detail", order_id=order.pk)
    error = ""
    if request.method == "POST":
        try:
            if settings.FENXIAO_DEV_PAYMENTS:
                # A WeChat Pay order opened on this page before (the QR code) is closed first.
                payment_services.release_other_payment(
                    purpose=services.PAYMENT_PURPOSE, reference=str(order.pk), provider=Provider.DEV, actor=request.user
                )
            services.pay_with_dev_provider(user=request.user, order_id=order.pk)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("支付成功"))
            return redirect("web:order_detail", order_id=order.pk)
    return render(request, "web/order_pay.html", _pay_context(request, order, error=error))


def _render_qr(request: HttpRequest, order: Order, *, qr_code: str = "", error: str = "") -> HttpResponse:
    if is_htmx(request):
        context = {
            "order": order,
            "qr_code": qr_code,
            "error": error,
            "poll_seconds": POLL_SECONDS,
            "paid": False,
            "closed": False,
        }
        return render(request, "web/_pay_native.html", context)
    return render(request, "web/order_pay.html", _pay_context(request, order, error=error, qr_code=qr_code))


@login_required
@require_POST
def order_pay_wechat(request: HttpRequest, order_id: int) -> HttpResponse:
    """Start (or take up again) the WeChat Pay payment of the order in the way asked for:
    jsapi → the page with the bridge parameters, h5 → WeChat Pay's page, native → the QR code."""
    order = _own_order(request, order_id)
    if order is None:
        return not_found(request, _("订单不存在"))
    if order.status != S.PENDING_PAYMENT:
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("web:order_detail", args=[order.pk])
            return response
        return redirect("web:order_detail", order_id=order.pk)
    method = request.POST.get("method", "")
    if method not in TradeType.values:
        method = METHOD_BY_CLIENT[client_kind(request)]
    openid = ""
    if method == TradeType.JSAPI:
        openid = wechat_selectors.oa_openid(request.user)
        if not openid:
            return redirect(reverse("web:wechat_oauth_start") + "?next=" + quote(reverse("web:order_pay", args=[order.pk])))
    try:
        payment = services.start_payment(
            user=request.user,
            order_id=order.pk,
            provider=Provider.WECHATPAY,
            trade_type=method,
            payer_openid=openid,
            client_ip=client_address(request),
        )
        jsapi = payment_services.jsapi_params(payment) if method == TradeType.JSAPI else None
    except DomainError as exc:
        if method == TradeType.NATIVE:
            return _render_qr(request, order, error=exc.message)
        return render(request, "web/order_pay.html", _pay_context(request, order, error=exc.message))
    if method == TradeType.H5:
        back = request.build_absolute_uri(reverse("web:order_pay_result", args=[order.pk]))
        return redirect(payment.h5_url + "&redirect_url=" + quote(back, safe=""))
    if method == TradeType.NATIVE:
        return _render_qr(request, order, qr_code=_qr_data_uri(payment.code_url))
    return render(request, "web/order_pay.html", _pay_context(request, order, jsapi=jsapi))


def _status_context(order: Order) -> dict:
    return {
        "order": order,
        "paid": order.status not in (S.PENDING_PAYMENT, S.CANCELLED),
        "closed": order.status == S.CANCELLED,
        "poll_seconds": POLL_SECONDS,
    }


@login_required
@require_GET
def order_pay_status(request: HttpRequest, order_id: int) -> HttpResponse:
    """The small fragment the pay and result pages poll: paid, still waiting, or closed. Reads only."""
    order = _own_order(request, order_id)
    if order is None:
        return not_found(request, _("订单不存在"))
    return render(request, "web/_pay_status.html", _status_context(order))


@login_required
@require_GET
def order_pay_result(request: HttpRequest, order_id: int) -> HttpResponse:
    """Where WeChat Pay's H5 page sends the buyer back, paid or not. Coming back proves nothing: the
    page shows what the order says (polling until the notification arrives) and marks nothing."""
    order = _own_order(request, order_id)
    if order is None:
        return not_found(request, _("订单不存在"))
    context = {"tab": "me", **_status_context(order), "dev_payments": settings.FENXIAO_DEV_PAYMENTS}
    return render(request, "web/order_pay_result.html", context)
