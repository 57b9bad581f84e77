"""Bargains (砍价) on the phone: the activity page (发起砍价), a bargain's page — the progress toward the
floor, the helpers, the countdown, 帮TA砍一刀 for friends and 立即购买 for the starter when allowed —
the confirm page that places the starter's order, and a distributor's link to a bargain
(/s/<code>/b/<bargain id>), which counts the visit and binds the visitor like the other share links.

A visitor without an account is named by the session key (the session is made on the first visit),
both for the activity's visitor figures (one per visitor and day) and, where the activity lets visitors
help, as the helper. Helpers get nothing for helping or sharing; the page shows the operator's share
text and the link, and never promises anything for sharing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fenxiao.addresses import selectors as address_selectors
from fenxiao.common.errors import DomainError
from fenxiao.distribution.models import Distributor
from fenxiao.orders.services.activities import bargains as bargain_orders
from fenxiao.promotions import selectors_bargains as selectors
from fenxiao.promotions.services import bargains

from ..templatetags.web_tags import fen
from .helpers import not_found, open_link, positive_int, viewer_distributor


def _visitor_id(request: HttpRequest) -> str:
    if request.session.session_key is None:
        request.session.save()
    return request.session.session_key or ""


def _visitor_key(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    return f"v:{_visitor_id(request)}"


def _time_left(seconds: int) -> str:
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s 小时 %(m)s 分") % {"h": hours, "m": minutes}
    return _("%(m)s 分钟") % {"m": max(1, minutes)}


@require_GET
def bargain_activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    page = selectors.activity_page(activity_id, user=request.user)
    if page is None:
        return not_found(request, _("砍价活动不存在或已下线"))
    bargains.record_visit(activity_id=page.activity.pk, visitor_key=_visitor_key(request))
    context = {
        "tab": "home",
        "page": page,
        "activity": page.activity,
        "time_left": _time_left(page.seconds_left),
        "here": request.get_full_path(),
    }
    return render(request, "web/bargain_activity.html", context)


@login_required
@require_POST
def bargain_start(request: HttpRequest, activity_id: int) -> HttpResponse:
    try:
        bargain = bargains.start(user=request.user, activity_id=activity_id)
    except DomainError as exc:
        bargain_id = (exc.detail or {}).get("bargain_id")
        if bargain_id:
            return redirect("web:bargain", bargain_id=bargain_id)
        if exc.status == 404:
            return not_found(request, exc.message)
        messages.error(request, exc.message)
        return redirect("web:bargain_activity", activity_id=activity_id)
    messages.success(request, _("砍价已发起，邀请好友帮你砍一刀吧"))
    return redirect("web:bargain", bargain_id=bargain.pk)


def _bargain_page(request: HttpRequest, bargain_id: int, shop: Distributor | None) -> HttpResponse:
    signed_in = request.user.is_authenticated
    view = selectors.bargain_view(
        bargain_id, user=request.user if signed_in else None, visitor_id="" if signed_in else _visitor_id(request)
    )
    if view is None:
        return not_found(request, _("砍价不存在"))
    bargains.record_visit(activity_id=view.activity.pk, visitor_key=_visitor_key(request))
    viewer = viewer_distributor(request)
    if viewer is not None:
        share_path = reverse("web:share_bargain", args=[viewer.code, view.bargain.pk])
    else:
        share_path = reverse("web:bargain", args=[view.bargain.pk])
    here = request.get_full_path()
    context = {
        "tab": "home",
        "view": view,
        "bargain": view.bargain,
        "activity": view.activity,
        "shop": shop,
        "starter": selectors.starter_name(view.bargain),
        "time_left": _time_left(view.seconds_left),
        "share_link": request.build_absolute_uri(share_path),
        "login_url": f"{reverse('web:login')}?{urlencode({'next': here})}",
        "here": here,
    }
    return render(request, "web/bargain.html", context)


@require_GET
def bargain(request: HttpRequest, bargain_id: int) -> HttpResponse:
    return _bargain_page(request, bargain_id, shop=None)


@require_GET
def share_bargain(request: HttpRequest, code: str, bargain_id: int) -> HttpResponse:
    """A distributor's link to a bargain: counts the visit and binds the visitor as the shop link does,
    then shows the bargain."""
    try:
        distributor = open_link(request, code)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
        messages.error(request, exc.message)
        return redirect("web:bargain", bargain_id=bargain_id)
    return _bargain_page(request, bargain_id, shop=distributor)


@require_POST
def bargain_help(request: HttpRequest, bargain_id: int) -> HttpResponse:
    """帮TA砍一刀: the cut, or the refusal, comes back to the bargain's page as a message."""
    back = reverse("web:bargain", args=[bargain_id])
    signed_in = request.user.is_authenticated
    try:
        result = bargains.help_bargain(
            bargain_id=bargain_id,
            user=request.user if signed_in else None,
            visitor_id="" if signed_in else _visitor_id(request),
        )
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
        if exc.status == 401:
            return redirect(f"{reverse('web:login')}?{urlencode({'next': back})}")
        messages.error(request, exc.message)
    else:
        messages.success(request, _("你帮TA砍掉了 %(amount)s") % {"amount": fen(result.cut_fen)})
    return redirect(back)


def _chosen_address(request: HttpRequest, wanted):
    address_id = positive_int(wanted)
    if address_id is not None:
        return address_selectors.address_of(request.user, address_id)
    return address_selectors.default_address(request.user)


@login_required
@require_http_methods(["GET", "POST"])
def bargain_buy(request: HttpRequest, bargain_id: int) -> HttpResponse:
    """立即购买: the starter confirms the address and the order is placed at the price reached."""
    view = selectors.bargain_view(bargain_id, user=request.user)
    if view is None or not view.is_starter:
        return not_found(request, _("砍价不存在"))
    is_post = request.method == "POST"
    chosen = _chosen_address(request, request.POST.get("address_id") if is_post else request.GET.get("address"))
    error = ""
    if not view.can_buy and view.bargain.order_id is not None:
        return redirect("web:order_detail", order_id=view.bargain.order_id)
    if is_post:
        if chosen is None:
            error = _("请选择收货地址")
        else:
            try:
                order = bargain_orders.place_bargain_order(
                    user=request.user, bargain_id=bargain_id, address=chosen.for_order(), note=request.POST.get("note", "")
                )
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("web:order_pay", order_id=order.pk)
    here = reverse("web:bargain_buy", args=[bargain_id])
    context = {
        "tab": "home",
        "view": view,
        "bargain": view.bargain,
        "activity": view.activity,
        "chosen_address": chosen,
        "change_address_url": f"{reverse('web:addresses')}?{urlencode({'pick': 1, 'next': here})}",
        "new_address_url": f"{reverse('web:address_new')}?{urlencode({'next': here})}",
        "error": error,
    }
    return render(request, "web/bargain_buy.html", context, status=400 if error else 200)
