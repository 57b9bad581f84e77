"""Server-rendered mobile pages: the platform shop, a distributor's shared shop and products, sign-in,
the distributor application and the distributor center. The shopping pages (cart, checkout, orders)
are in views_orders.py.

Views only read through selectors and write through services; every DomainError a service raises is
shown to the visitor as its message, never as a server error.
"""

from __future__ import annotations

import io

import qrcode
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from qrcode.image.pil import PilImage

from fenxiao.accounts.services import login_member, sign_up
from fenxiao.catalog.selectors import active_categories, shelf_product, shelf_products
from fenxiao.common.errors import DomainError
from fenxiao.distribution import selectors, selectors_shop, services
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.growth import selectors_conversion, selectors_notifications
from fenxiao.inventory.selectors import available_by_sku
from fenxiao.orders.services import MAX_QUANTITY

REF_CODE = "ref_code"
REF_SOURCE = "ref_source"
DOWNLINE_SHOWN = 20
QR_MAX_AGE = 60 * 60


# --- helpers -------------------------------------------------------------------------------------


def _not_found(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(
        request,
        "web/not_found.html",
        {"message": message or _("你访问的页面不存在或已下架")},
        status=404,
    )


def _approved_by_code(code: str) -> Distributor | None:
    """A read without side effects, for requests that must not count as a visit (QR, htmx filters)."""
    return selectors.approved_distributor_by_code(code)


def _viewer_distributor(request: HttpRequest) -> Distributor | None:
    distributor = selectors.distributor_for_user(request.user)
    return distributor if distributor is not None and distributor.is_approved else None


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _open_link(request: HttpRequest, code: str, product_id: int | None = None) -> Distributor:
    """Count the visit and bind a logged-in visitor; remember the code for an anonymous one so the
    binding happens when they sign in. Raises DomainError for an unknown or inactive code."""
    if not request.user.is_authenticated and request.session.session_key is None:
        request.session.save()  # gives the visit a session key, so anonymous visitors can be told apart
    distributor, _outcome = services.open_share_link(
        code=code,
        visitor=request.user,
        product_id=product_id,
        session_key=request.session.session_key or "",
        channel=request.GET.get("ch", ""),
    )
    if not request.user.is_authenticated:
        request.session[REF_CODE] = distributor.code
        request.session[REF_SOURCE] = "product_link" if product_id else "shop_link"
    return distributor


def _bind_remembered_referral(request: HttpRequest, user) -> None:
    """After sign-in, bind the user to the shop they arrived through. A refusal (own shop, loop,
    an existing binding) is the service's decision and needs no message here."""
    code = request.session.pop(REF_CODE, None)
    source = request.session.pop(REF_SOURCE, "shop_link")
    if not code:
        return
    distributor = _approved_by_code(code)
    if distributor is None:
        return
    try:
        services.bind_customer(customer=user, distributor=distributor, source=source)
    except DomainError:
        pass


def _shop_context(request: HttpRequest) -> dict:
    category_slug = request.GET.get("c", "").strip() or None
    return {
        "categories": list(active_categories()),
        "current_category": category_slug or "",
        "products": list(shelf_products(category_slug=category_slug)),
    }


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _share_urls(request: HttpRequest, distributor: Distributor, product_id: int | None = None) -> dict:
    if product_id is None:
        link = request.build_absolute_uri(reverse("web:share_shop", args=[distributor.code]))
        qr = reverse("web:share_qr", args=[distributor.code])
    else:
        link = request.build_absolute_uri(reverse("web:share_product", args=[distributor.code, product_id]))
        qr = reverse("web:share_qr", args=[distributor.code]) + f"?p={product_id}"
    return {"share_link": link, "share_qr": qr}


# --- shop pages ----------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    context = {"tab": "home", **_shop_context(request)}
    return render(request, "web/home.html", context)


def share_shop(request: HttpRequest, code: str) -> HttpResponse:
    try:
        if _is_htmx(request):
            # A category chip refreshing the grid is the same visit, not a new one.
            distributor = _approved_by_code(code)
            if distributor is None:
                return _not_found(request, _("分享链接无效或分销商已停用"))
        else:
            distributor = _open_link(request, code)
    except DomainError as exc:
        if exc.status == 404:
            return _not_found(request, exc.message)
        messages.error(request, exc.message)
        return redirect("web:home")
    profile = selectors_shop.shop_profile(distributor)
    context = {
        "tab": "home",
        "shop": distributor,
        "profile": profile,
        "featured": selectors_shop.featured_products(profile),
        "is_own_shop": request.user.is_authenticated and distributor.user_id == request.user.pk,
        **_shop_context(request),
    }
    return render(request, "web/share_shop.html", context)


def _product_page(request: HttpRequest, product, shop: Distributor | None) -> HttpResponse:
    skus = list(product.skus.all())
    prices = [sku.retail_fen for sku in skus]
    available = available_by_sku(sku.pk for sku in skus)
    for sku in skus:
        sku.available = available[sku.pk]
    viewer = _viewer_distributor(request)
    context = {
        "tab": "home",
        "product": product,
        "images": list(product.images.all()),
        "skus": skus,
        "price_min": min(prices) if prices else None,
        "price_max": max(prices) if prices else None,
        "in_stock": any(sku.available > 0 for sku in skus),
        "default_sku_id": next((sku.pk for sku in skus if sku.available > 0), None),
        "max_quantity": MAX_QUANTITY,
        "shop": shop,
        "viewer_distributor": viewer,
    }
    if viewer is not None:
        context.update(_share_urls(request, viewer, product.pk))
    return render(request, "web/product.html", context)


def product(request: HttpRequest, product_id: int) -> HttpResponse:
    item = shelf_product(product_id)
    if item is None:
        return _not_found(request, _("商品不存在或已下架"))
    return _product_page(request, item, shop=None)


def share_product(request: HttpRequest, code: str, product_id: int) -> HttpResponse:
    item = shelf_product(product_id)
    if item is None:
        return _not_found(request, _("商品不存在或已下架"))
    try:
        distributor = _open_link(request, code, product_id=item.pk)
    except DomainError as exc:
        if exc.status == 404:
            return _not_found(request, exc.message)
        messages.error(request, exc.message)
        return redirect("web:product", product_id=item.pk)
    return _product_page(request, item, shop=distributor)


def share_qr(request: HttpRequest, code: str) -> HttpResponse:
    distributor = _approved_by_code(code)
    if distributor is None:
        return HttpResponse(status=404)
    raw_product = request.GET.get("p")
    if raw_product:
        if not raw_product.isdigit() or shelf_product(int(raw_product)) is None:
            return HttpResponse(status=404)
        target = reverse("web:share_product", args=[distributor.code, int(raw_product)])
    else:
        target = reverse("web:share_shop", args=[distributor.code])
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    qr.add_data(request.build_absolute_uri(target))
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(image_factory=PilImage, fill_color="black", back_color="white").save(buffer, format="PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    return response


# --- accounts ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("web:me"))
    form = {"phone": ""}
    error = ""
    if request.method == "POST":
        form["phone"] = request.POST.get("phone", "").strip()
        try:
            user = login_member(request=request, phone=form["phone"], password=request.POST.get("password", ""))
        except DomainError as exc:
            error = exc.message
        else:
            auth_login(request, user)
            _bind_remembered_referral(request, user)
            return redirect(next_url)
    return render(request, "web/login.html", {"tab": "me", "form": form, "error": error, "next": next_url})


@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("web:me"))
    form = {"phone": "", "nickname": ""}
    error = ""
    if request.method == "POST":
        form = {"phone": request.POST.get("phone", "").strip(), "nickname": request.POST.get("nickname", "").strip()}
        password = request.POST.get("password", "")
        try:
            # The same steps whether or not the phone had an account: sign up, then log in with the
            # password just given. Only the account's owner gets in; anyone else learns nothing.
            created = sign_up(request=request, phone=form["phone"], nickname=form["nickname"], password=password)
            user = login_member(request=request, phone=form["phone"], password=password)
        except DomainError as exc:
            error = exc.message if exc.code != "invalid_credentials" else _("如果该手机号已注册，请直接登录或找回密码")
        else:
            auth_login(request, user)
            _bind_remembered_referral(request, user)
            messages.success(request, _("注册成功，欢迎你！") if created else _("欢迎回来！"))
            return redirect(next_url)
    return render(request, "web/register.html", {"tab": "me", "form": form, "error": error, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("web:home")


@login_required
def me(request: HttpRequest) -> HttpResponse:
    from .views_orders import order_shortcuts  # views_orders builds on this module's helpers

    own = selectors.distributor_for_user(request.user)
    context = {
        "tab": "me",
        "binding": selectors.active_binding(request.user),
        "own": own,
        "order_shortcuts": order_shortcuts(request.user),
        "unread_notices": selectors_notifications.unread_count(request.user),
        "apply_invite": selectors_conversion.open_invitation(request.user) if own is None else None,
    }
    return render(request, "web/me.html", context)


# --- distributors --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    own = selectors.distributor_for_user(request.user)
    form = {"real_name": own.real_name if own else "", "note": ""}
    error = ""
    if request.method == "POST":
        form = {"real_name": request.POST.get("real_name", "").strip(), "note": request.POST.get("note", "").strip()}
        try:
            own = services.apply_for_distributor(user=request.user, real_name=form["real_name"], note=form["note"])
        except DomainError as exc:
            error = exc.message
        else:
            if own.is_approved:
                messages.success(request, _("恭喜，你已成为分销商！"))
                return redirect("web:distributor_center")
            messages.success(request, _("申请已提交"))
            return redirect("web:apply")
    if own is not None:
        inviter = own.inviter
    else:
        binding = selectors.active_binding(request.user)
        inviter = binding.distributor if binding is not None else None
    context = {
        "tab": "dc",
        "conf": services.get_settings(),
        "Admission": DistributionSettings.Admission,
        "Status": Distributor.Status,
        "own": own,
        "inviter": inviter,
        "can_apply": own is None or own.status == Distributor.Status.REJECTED,
        "form": form,
        "error": error,
    }
    return render(request, "web/apply.html", context)


@login_required
def distributor_center(request: HttpRequest) -> HttpResponse:
    from .views_orders import shop_order_count  # views_orders builds on this module's helpers

    distributor = _viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    context = {
        "tab": "dc",
        "distributor": distributor,
        "counts": selectors.downline_counts(distributor),
        "customers": selectors.bound_customer_count(distributor),
        "downline": list(selectors.direct_downline(distributor)[:DOWNLINE_SHOWN]),
        "downline_shown": DOWNLINE_SHOWN,
        "shop_order_count": shop_order_count(distributor),
        "unread_notices": selectors_notifications.unread_count(request.user),
        **_share_urls(request, distributor),
    }
    return render(request, "web/distributor_center.html", context)
