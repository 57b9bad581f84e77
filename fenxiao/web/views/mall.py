"""The points mall on the phone (积分商城): coupons and products for points, each with a 兑换 button.

A coupon is exchanged at once and the mall says so; a product goes to a confirm page with the
delivery address (the default one of the address book, or the one picked there) and becomes an
order: to its pay page, or, with nothing to pay, to the order itself. Refusals (too few points, sold
out, limit reached…) come back as the service's message.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fenxiao.addresses import selectors as address_selectors
from fenxiao.catalog.shipping import ShippingItem, quote_shipping
from fenxiao.common.errors import DomainError
from fenxiao.members import selectors as member_selectors
from fenxiao.orders import services as order_services
from fenxiao.promotions import selectors_mall
from fenxiao.promotions.models import PointsMallItem
from fenxiao.promotions.services import mall

from .helpers import not_found, positive_int


@login_required
@require_http_methods(["GET"])
def mall_list(request: HttpRequest) -> HttpResponse:
    user_id = cast(int, request.user.pk)  # signed in (login_required)
    context = {
        "tab": "me",
        "entries": selectors_mall.mall_entries(request.user),
        "available": member_selectors.points_summary(user_id).available,
    }
    return render(request, "web/mall.html", context)


@login_required
@require_POST
def mall_exchange(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        mall.exchange_coupon(user=request.user, item_id=item_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("兑换成功，优惠券已放入“我的优惠券”"))
    return redirect("web:mall")


def _chosen_address(request: HttpRequest, wanted):
    """The address picked in the book (?address=<id> or the form's address_id), else the default."""
    address_id = positive_int(wanted)
    if address_id is not None:
        return address_selectors.address_of(request.user, address_id)
    return address_selectors.default_address(request.user)


@login_required
@require_http_methods(["GET", "POST"])
def mall_confirm(request: HttpRequest, item_id: int) -> HttpResponse:
    item = PointsMallItem.objects.select_related("sku__product").filter(pk=item_id, kind=PointsMallItem.Kind.PRODUCT).first()
    if item is None:
        return not_found(request, _("积分商城没有这件商品"))
    is_post = request.method == "POST"
    chosen = _chosen_address(request, request.POST.get("address_id") if is_post else request.GET.get("address"))
    error = ""
    if is_post:
        if chosen is None:
            error = _("请选择收货地址")
        else:
            try:
                order = order_services.place_mall_order(
                    user=request.user, item_id=item.pk, address=chosen.for_order(), note=request.POST.get("note", "")
                )
            except DomainError as exc:
                error = exc.message
            else:
                if order.total_fen == 0:
                    messages.success(request, _("兑换成功，无需付款，我们会尽快发货"))
                    return redirect("web:order_detail", order_id=order.pk)
                return redirect("web:order_pay", order_id=order.pk)
    shipping_fen = None
    sku = item.sku
    if chosen is not None and sku is not None:
        quote = quote_shipping(
            [ShippingItem(product_id=sku.product_id, quantity=1, weight_g=sku.weight_g or 0, amount_fen=item.cash_fen)],
            province=chosen.for_order()["province"],
        )
        shipping_fen = quote.fee_fen
    here = reverse("web:mall_confirm", args=[item.pk])
    user_id = cast(int, request.user.pk)
    context = {
        "tab": "me",
        "item": item,
        "available": member_selectors.points_summary(user_id).available,
        "chosen_address": chosen,
        "shipping_fen": shipping_fen,
        "total_fen": item.cash_fen + shipping_fen if shipping_fen is not None else None,
        "change_address_url": f"{reverse('web:addresses')}?{urlencode({'pick': 1, 'next': here})}",
        "new_address_url": f"{reverse('web:address_new')}?{urlencode({'next': here})}",
        "error": error,
    }
    return render(request, "web/mall_confirm.html", context, status=400 if error else 200)
