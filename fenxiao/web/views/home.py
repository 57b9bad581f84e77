"""The storefront: the platform shop with its banners, search, category pages, a distributor's shared
shop and products, and the QR code of a share link. The cart, checkout and orders are in `cart.py` and `orders.py`.

Views only read through selectors and write through services; every DomainError a service raises is
shown to the visitor as its message, never as a server error.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from urllib.parse import urlencode

import qrcode
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from qrcode.image.pil import PilImage

from fenxiao.catalog.services import is_site_path
from fenxiao.common.errors import DomainError
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import shop as selectors_shop
from fenxiao.orders.models import AfterSale, Order, OrderLine
from fenxiao.orders.services import MAX_QUANTITY
from fenxiao.shop.selectors import (
    listed_products,
    product_label,
    products_by_ids,
    shelf_product,
    shop_banners,
    shop_categories,
    shop_category,
    shop_product,
    shop_products,
    with_purchase,
)

from .. import page_cache
from ..bundles import with_bundles
from .helpers import approved_by_code, is_htmx, not_found, open_link, page_number, share_urls, viewer_distributor

QR_MAX_AGE = 60 * 60


SEARCH_MAX_CHARS = 40
SLUG_MAX_CHARS = 40  # Category.slug
PAGE_SIZE = 20
# Sort keys of a category page: the shop's orders plus sales, which the pages add (see _sold_units).
SORTS = [
    ("", gettext_lazy("综合")),
    ("new", gettext_lazy("新品")),
    ("sales", gettext_lazy("销量")),
    ("price", gettext_lazy("价格↑")),
    ("price_desc", gettext_lazy("价格↓")),
]


def _sold_units(product_ids: Iterable[int]) -> dict[int, int]:
    """Units sold of each product (products without sales are absent), from the shared cache: the
    figure may lag the orders by up to a minute (page_cache.FRAGMENT_SECONDS), which spares nearly
    every page the aggregate over the order lines."""
    return page_cache.cached_figures("sold-units", product_ids, _count_sold_units)


def _count_sold_units(ids: list[int]) -> dict[int, int]:
    """Units sold of each product, in one aggregated query: the quantities of its lines in paid
    orders, less the units of refunds. An order refunded in full (cancelled after payment) and a
    line refunded in full count nothing; a partial refund takes off the units returned by its
    refunded after-sales. Products without sales are absent."""
    returned = (
        AfterSale.objects.filter(line=OuterRef("pk"), status=AfterSale.Status.REFUNDED)
        .values("line")
        .annotate(units=Sum("quantity"))
        .values("units")
    )
    rows = (
        OrderLine.objects.filter(product_id__in=ids, order__paid_at__isnull=False)
        .exclude(order__status=Order.Status.CANCELLED)
        .exclude(paid_fen__gt=0, refunded_fen__gte=F("paid_fen"))
        .values("product_id")
        .annotate(units=Sum(F("quantity") - Coalesce(Subquery(returned), 0)))
    )
    return {row["product_id"]: max(0, row["units"] or 0) for row in rows if (row["units"] or 0) > 0}


def _with_sold_units(*product_lists: list, sold: dict[int, int] | None = None) -> None:
    """Sets `product.sold_units` on every product of the lists, from one query (none when the
    units sold are already in hand)."""
    products = [product for products in product_lists for product in products]
    if sold is None:
        sold = _sold_units({product.pk for product in products})
    for product in products:
        product.sold_units = sold.get(product.pk, 0)


def _banner_link(banner) -> str | None:
    """Where a banner leads; None for a link that would leave the site (the console refuses them,
    this keeps one written some other way off the page)."""
    if banner.target == banner.Target.PRODUCT:
        return reverse("web:product", args=[banner.product_id])
    if banner.target == banner.Target.CATEGORY:
        return reverse("web:category", args=[banner.category_id])
    return banner.url if is_site_path(banner.url) else None


def _shop_context(request: HttpRequest) -> dict:
    category_slug = request.GET.get("c", "").strip() or None
    return {
        "categories": list(shop_categories()),
        "current_category": category_slug or "",
        "products": shop_products(category_slug=category_slug),
    }


def home(request: HttpRequest) -> HttpResponse:
    context = {"tab": "home", **_shop_context(request)}
    _with_sold_units(context["products"])
    if not is_htmx(request):
        links = [(banner, _banner_link(banner)) for banner in shop_banners(timezone.now())]
        context["banners"] = [(banner, link) for banner, link in links if link]
    return render(request, "web/home.html", context)


def _query_string(**params) -> str:
    return urlencode({key: value for key, value in params.items() if value})


def search(request: HttpRequest) -> HttpResponse:
    """Products a buyer can buy whose name or category name contains the words typed, paginated."""
    q = " ".join(request.GET.get("q", "").split())[:SEARCH_MAX_CHARS]
    context = {"tab": "home", "q": q, "categories": list(shop_categories())}
    if q:
        page = Paginator(listed_products(q=q), PAGE_SIZE).get_page(page_number(request.GET.get("page")))
        products = with_purchase(list(page.object_list))
        _with_sold_units(products)
        context.update(page=page, products=products, page_query=_query_string(q=q))
    return render(request, "web/search.html", context)


def category(request: HttpRequest, category_id: int) -> HttpResponse:
    """One category's products on sale, by shelf order, newest, sales or price."""
    item = shop_category(category_id)
    if item is None:
        return not_found(request, _("类目不存在或已停用"))
    sort = request.GET.get("sort", "")
    if sort not in dict(SORTS):
        sort = ""
    number = page_number(request.GET.get("page"))
    if sort == "sales":
        # Sales live in the orders: rank every product of the category by units sold (one id query,
        # one aggregate), then load only the page shown.
        ids = list(listed_products(category_id=item.pk).values_list("pk", flat=True))
        sold = _sold_units(ids)
        ids.sort(key=lambda pk: -sold.get(pk, 0))
        id_page = Paginator(ids, PAGE_SIZE).get_page(number)
        products = products_by_ids(list(id_page.object_list))
        _with_sold_units(products, sold=sold)
        page: Page = id_page
    else:
        page = Paginator(listed_products(category_id=item.pk, order=sort), PAGE_SIZE).get_page(number)
        products = with_purchase(list(page.object_list))
        _with_sold_units(products)
    context = {
        "tab": "home",
        "category": item,
        "categories": list(shop_categories()),
        "sorts": [(key, label, _query_string(sort=key)) for key, label in SORTS],
        "sort": sort,
        "page": page,
        "products": products,
        "page_query": _query_string(sort=sort),
    }
    return render(request, "web/category.html", context)


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
        "is_own_shop": request.user.is_authenticated and distributor.user_id == request.user.pk,
    }
    category_slug = request.GET.get("c", "").strip()
    if request.user.is_authenticated or len(category_slug) > SLUG_MAX_CHARS:
        # A distributor's grids show its own 分享赚: rendered for it alone (as is a made-up category,
        # which is not worth a cache entry).
        context.update(_share_grids_context(request, distributor, profile))
    else:
        context["grids_html"] = page_cache.cached_fragment(
            "share-grids",
            (distributor.code, category_slug, ",".join(map(str, profile.feature_ids))),
            lambda: render_to_string(
                "web/_share_shop_grids.html", {"shop": distributor, **_share_grids_context(request, distributor, profile)}
            ),
        )
    return render(request, "web/share_shop.html", context)


def _share_grids_context(request: HttpRequest, distributor: Distributor, profile) -> dict:
    """The featured products and the category's products of a shared shop, with units sold."""
    context = {"featured": selectors_shop.featured_products(profile), **_shop_context(request)}
    _with_sold_units(context["products"], context["featured"])
    return context


def _product_page(request: HttpRequest, product, shop: Distributor | None) -> HttpResponse:
    """`product` comes from the shop's reads: its SKUs are the sellable ones, each with `purchase`."""
    purchase = product.purchase
    viewer = viewer_distributor(request)
    _with_sold_units([product])
    skus = list(product.skus.all())
    bundles = with_bundles(skus)  # a bundle SKU shows its parts and the saving against them
    context = {
        "tab": "home",
        "product": product,
        "images": list(product.images.all()),
        "skus": skus,
        "bundle_skus": [sku for sku in skus if sku.pk in bundles],
        "price_min": purchase.price_min_fen,
        "price_max": purchase.price_max_fen,
        "in_stock": purchase.in_stock,
        "default_sku_id": purchase.default_sku_id,
        "max_quantity": MAX_QUANTITY,
        "shop": shop,
        "viewer_distributor": viewer,
        "label": product_label(product),
    }
    if viewer is not None:
        context.update(share_urls(request, viewer, product.pk))
    return render(request, "web/product.html", context)


def _shelf_product_with_parts(product_id: int):
    """The catalog's part of a product page, with the parts of its 场景套装 SKUs (cached together)."""
    item = shelf_product(product_id)
    if item is not None:
        with_bundles(item.skus.all())
    return item


def _shop_product(product_id: int):
    """The product on sale with its purchase info, as `shop_product` reads it; the catalog's part
    (the product, its SKUs and pictures) from the shared cache under the catalog version, so a price
    or a picture an operator changes shows at once; stock is always read fresh."""
    item = page_cache.cached_read("shelf-product", (product_id,), lambda: _shelf_product_with_parts(product_id))
    return None if item is None else with_purchase([item])[0]  # type: ignore[list-item]  # the cached Product


def product(request: HttpRequest, product_id: int) -> HttpResponse:
    item = _shop_product(product_id)
    if item is None:
        return not_found(request, _("商品不存在或已下架"))
    return _product_page(request, item, shop=None)


def share_product(request: HttpRequest, code: str, product_id: int) -> HttpResponse:
    item = _shop_product(product_id)
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
