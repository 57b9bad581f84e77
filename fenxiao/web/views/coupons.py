"""Coupons on the phone: the coupon centre (领券中心) with a 领取 button per coupon, and my coupons
(我的优惠券) in three tabs — usable, used, expired — each with its count.

Reads go through the promotions selectors and the claim through its service; a refusal (sold out,
limit reached, not yet open…) comes back to the centre as the service's message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fenxiao.common.errors import DomainError
from fenxiao.promotions import selectors
from fenxiao.promotions.services import coupons


@login_required
@require_GET
def coupon_centre(request: HttpRequest) -> HttpResponse:
    context = {"tab": "me", "entries": selectors.coupon_centre(request.user)}
    return render(request, "web/coupon_centre.html", context)


@login_required
@require_POST
def coupon_claim(request: HttpRequest, coupon_id: int) -> HttpResponse:
    try:
        coupons.claim(user=request.user, coupon_id=coupon_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("领取成功，可在“我的优惠券”中查看"))
    return redirect("web:coupon_centre")


@login_required
@require_GET
def coupon_list(request: HttpRequest) -> HttpResponse:
    page = selectors.wallet(request.user, request.GET.get("tab", selectors.USABLE))
    tabs = [{"key": key, "label": label, "count": page.counts[key]} for key, label in selectors.WALLET_TABS]
    context = {"tab": "me", "tabs": tabs, "current": page.tab, "entries": page.entries, "usable": page.tab == selectors.USABLE}
    return render(request, "web/coupons.html", context)
