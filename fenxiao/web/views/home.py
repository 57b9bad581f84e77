"""The storefront: the platform shop, a distributor's shared shop and products, and the QR code of a
share link. The cart, checkout and orders are in `cart.py` and `orders.py`.

Views only read through selectors and write through services; every DomainError a service raises is
shown to the visitor as its message, never as a server error.
"""

from __future__ import annotations

import io

import qrcode
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from qrcode.image.pil import PilImage

from fenxiao.common.errors import DomainError
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import shop as selectors_shop
from fenxiao.orders.services import MAX_QUANTITY
from fenxiao.shop.selectors import shop_categories, shop_product, shop_products

from .helpers import approved_by_code, is_htmx, not_found, open_link, share_urls, viewer_distributor

QR_MAX_AGE = 60 * 60


def _shop_context(request: HttpRequest) -> dict:
    category_slug = request.GET.get("c", "").strip() or None
    return {
        "categories": list(shop_categories()),
        "current_category": category_slug or "",
        "products": shop_products(category_slug=category_slug),
    }


def home(request: HttpRequest) -> HttpResponse:
    context = {"tab": "home", **_shop_context(request)}
    return render(request, "web/home.html", context)


def share_shop(request: HttpRequest, code: str) -> HttpResponse:
    try:
        if is_htmx(request):
            # A category chip refreshing the grid is the same visit, not a new one.
            distributor = approved_by_code(code)
            if distributor is None:
                return not_found(request, _("分享链接无效或分销商已停用"))
        else:
            distributor = open_link(request, code)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
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
    """`product` comes from the shop's reads: its SKUs are the sellable ones, each with `purchase`."""
    purchase = product.purchase
    viewer = viewer_distributor(request)
    context = {
        "tab": "home",
        "product": product,
        "images": list(product.images.all()),
        "skus": list(product.skus.all()),
        "price_min": purchase.price_min_fen,
        "price_max": purchase.price_max_fen,
        "in_stock": purchase.in_stock,
        "default_sku_id": purchase.default_sku_id,
        "max_quantity": MAX_QUANTITY,
        "shop": shop,
        "viewer_distributor": viewer,
    }
    if viewer is not None:
        context.update(share_urls(request, viewer, product.pk))
    return render(request, "web/product.html", context)


def product(request: HttpRequest, product_id: int) -> HttpResponse:
    item = shop_product(product_id)
    if item is None:
        return not_found(request, _("商品不存在或已下架"))
    return _product_page(request, item, shop=None)


def share_product(request: HttpRequest, code: str, product_id: int) -> HttpResponse:
    item = shop_product(product_id)
    if item is None:
        return not_found(request, _("商品不存在或已下架"))
    try:
        distributor = open_link(request, code, product_id=item.pk)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
        messages.error(request, exc.message)
        return redirect("web:product", product_id=item.pk)
    return _product_page(request, item, shop=distributor)


def share_qr(request: HttpRequest, code: str) -> HttpResponse:
    distributor = approved_by_code(code)
    if distributor is None:
        return HttpResponse(status=404)
    raw_product = request.GET.get("p")
    if raw_product:
        if not (raw_product.isascii() and raw_product.isdigit()) or shop_product(int(raw_product)) is None:
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
