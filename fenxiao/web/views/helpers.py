"""What the page modules share: the not-found page, the viewer's distributor, safe redirects, htmx
detection, form numbers, the referral remembered in the session, share links and the order tabs.

No page module imports another page module; anything two of them need lives here.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenxiao.common.errors import DomainError
from fenxiao.distribution import selectors as distribution_selectors
from fenxiao.distribution import services as distribution_services
from fenxiao.distribution.models import Distributor
from fenxiao.orders import selectors as order_selectors
from fenxiao.orders.models import Order

REF_CODE = "ref_code"
REF_SOURCE = "ref_source"

S = Order.Status

# The tabs of "my orders": key in the query string, label, the statuses it shows.
ORDER_TABS = [
    ("", gettext_lazy("全部"), ()),
    ("pending_payment", gettext_lazy("待付款"), (S.PENDING_PAYMENT,)),
    ("paid", gettext_lazy("待发货"), (S.PAID,)),
    ("shipped", gettext_lazy("已发货"), (S.SHIPPED,)),
    ("completed", gettext_lazy("已完成"), (S.RECEIVED, S.COMPLETED)),
    ("cancelled", gettext_lazy("已取消"), (S.CANCELLED,)),
]


# --- requests and responses ----------------------------------------------------------------------


def not_found(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(
        request,
        "web/not_found.html",
        {"message": message or _("你访问的页面不存在或已下架")},
        status=404,
    )


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def digits(raw) -> str | None:
    """The ASCII digits of a form value ('²' and other Unicode digits are not numbers here)."""
    text = str(raw or "").strip()
    return text if text.isascii() and text.isdigit() and len(text) <= 9 else None


def positive_int(raw) -> int | None:
    text = digits(raw)
    if text is None:
        return None
    value = int(text)
    return value if value > 0 else None


def page_number(raw) -> int:
    """A page number from the query string (up to six digits); anything else is page 1."""
    text = str(raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1


# --- distributors and referrals ------------------------------------------------------------------


def approved_by_code(code: str) -> Distributor | None:
    """A read without side effects, for requests that must not count as a visit (QR, htmx filters)."""
    return distribution_selectors.approved_distributor_by_code(code)


_VIEWER = "_viewer_distributor"


def viewer_distributor(request: HttpRequest) -> Distributor | None:
    """The signed-in, approved distributor making the request; read once per request (the view and
    the share tags of its page ask for it)."""
    if not hasattr(request, _VIEWER):
        distributor = distribution_selectors.distributor_for_user(request.user)
        setattr(request, _VIEWER, distributor if distributor is not None and distributor.is_approved else None)
    return getattr(request, _VIEWER)


def open_link(request: HttpRequest, code: str, product_id: int | None = None) -> Distributor:
    """Count the visit and bind a logged-in visitor; remember the code for an anonymous one so the
    binding happens when they sign in. Raises DomainError for an unknown or inactive code."""
    if not request.user.is_authenticated and request.session.session_key is None:
        request.session.save()  # gives the visit a session key, so anonymous visitors can be told apart
    distributor, _outcome = distribution_services.open_share_link(
        code=code,
        visitor=request.user,
        product_id=product_id,
        session_key=request.session.session_key or "",
        channel=request.GET.get("ch", ""),
    )
    if not request.user.is_authenticated:
        remembered = {REF_CODE: distributor.code, REF_SOURCE: "product_link" if product_id else "shop_link"}
        # Written only when it changes: a visitor opening the same link again costs no session write.
        for key, value in remembered.items():
            if request.session.get(key) != value:
                request.session[key] = value
    return distributor


def bind_remembered_referral(request: HttpRequest, user) -> None:
    """After sign-in, bind the user to the shop they arrived through. A refusal (own shop, loop,
    an existing binding) is the service's decision and needs no message here."""
    code = request.session.pop(REF_CODE, None)
    source = request.session.pop(REF_SOURCE, "shop_link")
    if not code:
        return
    distributor = approved_by_code(code)
    if distributor is None:
        return
    try:
        distribution_services.bind_customer(customer=user, distributor=distributor, source=source)
    except DomainError:
        pass


def share_urls(request: HttpRequest, distributor: Distributor, product_id: int | None = None) -> dict:
    if product_id is None:
        link = request.build_absolute_uri(reverse("web:share_shop", args=[distributor.code]))
        qr = reverse("web:share_qr", args=[distributor.code])
    else:
        link = request.build_absolute_uri(reverse("web:share_product", args=[distributor.code, product_id]))
        qr = reverse("web:share_qr", args=[distributor.code]) + f"?p={product_id}"
    return {"share_link": link, "share_qr": qr}


# --- orders, as the "我的" page and the distributor center count them ------------------------------


def order_shortcuts(user) -> list[dict]:
    """The order tabs of the "我的" page with how many orders each holds (all but 全部)."""
    counts = dict(order_selectors.orders_for_user(user).order_by().values_list("status").annotate(n=Count("id")))
    return [
        {"key": key, "label": label, "count": sum(counts.get(status, 0) for status in statuses)}
        for key, label, statuses in ORDER_TABS[1:]
    ]


def shop_order_count(distributor) -> int:
    return order_selectors.orders_for_distributor(distributor).count()


def poster_response(request: HttpRequest, draw, *, filename: str) -> HttpResponse:
    """A drawn poster as PNG, revalidated by its ETag (304 when the browser has it); `?download=1`
    saves it as `filename`. `draw()` returns the poster (png, etag) or raises the DomainError of a
    server without the CJK font, which is said in words instead of a broken image."""
    try:
        result = draw()
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    etag = f'"{result.etag}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(result.png, content_type="image/png")
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response
