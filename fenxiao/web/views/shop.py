"""The distributor's shop editor (我的小店): name, welcome line, avatar, featured products (picked
from the shelf and ordered with htmx, plain forms without it), the share link and the poster."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fenxiao.common.errors import DomainError
from fenxiao.distribution import poster
from fenxiao.distribution.models import SHOP_MAX_FEATURES, Distributor
from fenxiao.distribution.selectors import shop as selectors_shop
from fenxiao.distribution.services import shop as services_shop
from fenxiao.wechat import wxacode

from .helpers import is_htmx, poster_response, viewer_distributor


def _share_link(request: HttpRequest, distributor: Distributor) -> str:
    return request.build_absolute_uri(reverse("web:share_shop", args=[distributor.code]))


def _featured_context(distributor: Distributor, error: str = "") -> dict:
    profile = selectors_shop.shop_profile(distributor)
    return {
        "profile": profile,
        "featured": selectors_shop.featured_products(profile),
        "max_features": SHOP_MAX_FEATURES,
        "feature_error": error,
    }


def _picker_context(query: str, profile) -> dict:
    return {
        "q": query,
        "candidates": list(selectors_shop.pickable_products(query)),
        "chosen_ids": set(profile.feature_ids),
    }


@login_required
@require_http_methods(["GET", "POST"])
def shop_edit(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    profile = selectors_shop.shop_profile(distributor)
    form = {"name": profile.name, "welcome": profile.welcome}
    error, error_field = "", ""
    if request.method == "POST":
        form = {"name": request.POST.get("name", ""), "welcome": request.POST.get("welcome", "")}
        try:
            services_shop.update_shop(distributor=distributor, name=form["name"], welcome=form["welcome"])
        except DomainError as exc:
            error = exc.message
            error_field = exc.detail.get("field", "") if isinstance(exc.detail, dict) else ""
        else:
            messages.success(request, _("小店资料已保存"))
            return redirect("web:shop_edit")
    context = _featured_context(distributor)
    version = int(context["profile"].updated_at.timestamp()) if context["profile"].updated_at else 0
    context.update(
        {
            "tab": "dc",
            "distributor": distributor,
            "form": form,
            "error": error,
            "error_field": error_field,
            "share_link": _share_link(request, distributor),
            "poster_url": f"{reverse('web:shop_poster')}?v={version}",
            **_picker_context(request.GET.get("q", ""), context["profile"]),
        }
    )
    return render(request, "web/shop_edit.html", context, status=400 if error else 200)


@login_required
@require_POST
def shop_avatar(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    upload = request.FILES.get("avatar")
    if upload is None:
        messages.error(request, _("请选择一张图片"))
        return redirect("web:shop_edit")
    try:
        services_shop.set_avatar(distributor=distributor, upload=upload)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("头像已更新"))
    return redirect("web:shop_edit")


@login_required
@require_POST
def shop_featured(request: HttpRequest) -> HttpResponse:
    """One picker step (add / remove / up / down); htmx gets the refreshed list, a plain form the page."""
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    raw_id = request.POST.get("product_id", "")
    error = ""
    if not (raw_id.isascii() and raw_id.isdigit()):
        error = _("请选择商品")
    else:
        try:
            services_shop.change_feature(distributor=distributor, product_id=int(raw_id), action=request.POST.get("action", ""))
        except DomainError as exc:
            error = exc.message
    if is_htmx(request):
        return render(request, "web/shop_featured.html", _featured_context(distributor, error))
    if error:
        messages.error(request, error)
    return redirect("web:shop_edit")


@login_required
@require_GET
def shop_products(request: HttpRequest) -> HttpResponse:
    """The picker's search results (htmx); without htmx the editor page shows them itself."""
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    query = request.GET.get("q", "")
    if not is_htmx(request):
        return redirect(f"{reverse('web:shop_edit')}?{urlencode({'q': query})}" if query else reverse("web:shop_edit"))
    profile = selectors_shop.shop_profile(distributor)
    return render(request, "web/shop_pick.html", _picker_context(query, profile))


@login_required
@require_GET
def shop_poster(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return HttpResponse(status=404)
    return poster_response(
        request,
        lambda: poster.shop_poster(distributor, _share_link(request, distributor), wxacode.shop_code(distributor.code)),
        filename=f"shop-{distributor.code}.png",
    )
