"""拼团 on the phone: the activity page (its products at the group price next to the price alone, the
groups still forming that a visitor may join, and 发起拼团), one group's page (its members, the seats
left, the time left and its outcome; 参与拼团 for a visitor, the share hint for a member), the checkout
of a group order, and a distributor's links to both pages, which bind the visitor like any share link.

Each page counts one visit per visitor and day. A group order is placed through the orders service
(`place_group_order`) and paid on the ordinary payment page; no reward is ever tied to sharing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from fenxiao.addresses import regions as address_regions
from fenxiao.addresses import selectors as address_selectors
from fenxiao.addresses import services as address_services
from fenxiao.addresses.models import Address
from fenxiao.common.errors import DomainError
from fenxiao.orders import services as order_services
from fenxiao.orders.services.activities import groups as group_orders
from fenxiao.promotions import selectors_groups as group_selectors
from fenxiao.promotions.models import (
    ActivityKind,
    ActivityOrder,
    ActivityVisit,
    Group,
    GroupBuy,
    GroupBuyItem,
    GroupMember,
)
from fenxiao.shop.purchase import purchase_info

from .helpers import not_found, open_link, positive_int, viewer_distributor

OPEN_GROUPS_SHOWN = 10
GROUP_TOKENS = "group_checkout_tokens"
GROUP_TOKENS_KEPT = 20
NEW_ADDRESS_FIELDS = ("receiver", "phone", "province_code", "city_code", "district_code", "detail")
REGION_FIELDS = {"province": "province_code", "city": "city_code", "district": "district_code"}

RUNNING, UPCOMING, ENDED = group_selectors.RUNNING, group_selectors.UPCOMING, group_selectors.ENDED


def _countdown(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s 小时 %(m)s 分") % {"h": hours, "m": minutes}
    return _("%(m)s 分钟") % {"m": max(1, minutes)}


def _visitor_key(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    if request.session.session_key is None:
        request.session.save()  # an anonymous visitor is told apart by its session
    return f"s:{request.session.session_key}"


def _record_visit(request: HttpRequest, activity_id: int) -> None:
    """One row per visitor, activity and day; a second visit the same day writes nothing."""
    ActivityVisit.objects.bulk_create(
        [
            ActivityVisit(
                kind=ActivityKind.GROUP,
                activity_id=activity_id,
                visitor_key=_visitor_key(request)[:64],
                day=timezone.localdate(),
            )
        ],
        ignore_conflicts=True,
    )


def _activity(activity_id: int) -> GroupBuy | None:
    return GroupBuy.objects.filter(pk=activity_id).first()


@dataclass
class ItemRow:
    item: GroupBuyItem
    available: int
    saving_fen: int


def _items(activity_id: int) -> list[ItemRow]:
    """The activity's products with their pictures: the group price, the price alone (the SKU's
    retail price) and what is in stock; the sellable ones only."""
    items = list(GroupBuyItem.objects.filter(activity_id=activity_id).select_related("sku__product").order_by("id"))
    prefetch_related_objects([item.sku for item in items], "product__images")
    infos = purchase_info(item.sku for item in items)
    return [
        ItemRow(item=item, available=infos[item.sku_id].available, saving_fen=max(0, item.sku.retail_fen - item.price_fen))
        for item in items
        if infos[item.sku_id].is_purchasable
    ]


@dataclass
class GroupRow:
    group: group_selectors.GroupView
    countdown: str


def _my_groups(request: HttpRequest, activity_id: int) -> list[Group]:
    """The viewer's own groups of this activity, newest first (where an order's 查看拼团 leads)."""
    if not request.user.is_authenticated:
        return []
    ids = GroupMember.objects.filter(user=request.user, group__activity_id=activity_id).values("group_id")
    return list(Group.objects.filter(pk__in=ids).order_by("-created_at", "-id")[:OPEN_GROUPS_SHOWN])


def _share_text(activity, seats_left: int | None = None) -> str:
    """The activity's share text (screened when it was set); a plain invitation without one."""
    if activity.share_text:
        return activity.share_text
    if seats_left:
        return _("我在拼「%(name)s」，还差 %(n)s 人成团，一起来拼吧") % {"name": activity.name, "n": seats_left}
    return _("「%(name)s」%(size)s人团，一起来拼吧") % {"name": activity.name, "size": activity.group_size}


# --- the activity ---------------------------------------------------------------------------------


@require_GET
def group_activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    detail = group_selectors.activity_detail(activity_id, open_limit=OPEN_GROUPS_SHOWN)
    if detail is None:
        return not_found(request, _("活动不存在或已下线"))
    now = timezone.now()
    _record_visit(request, detail.id)
    items = _items(detail.id)
    context = {
        "tab": "home",
        "activity": detail,
        "phase": detail.phase,
        "items": items,
        "open_groups": (
            [GroupRow(group=g, countdown=_countdown(g.expires_at - now)) for g in detail.open_groups]
            if detail.phase == RUNNING
            else []
        ),
        "countdown": _countdown((detail.starts_at if detail.phase == UPCOMING else detail.ends_at) - now),
        "can_start": detail.phase == RUNNING and any(row.available > 0 for row in items),
        "share_text": _share_text(detail),
        "my_groups": _my_groups(request, detail.id),
    }
    viewer = viewer_distributor(request)
    if viewer is not None and detail.phase != ENDED:
        context["share_link"] = request.build_absolute_uri(reverse("web:share_group_buy", args=[viewer.code, detail.id]))
    return render(request, "web/group_activity.html", context)


# --- one group ------------------------------------------------------------------------------------


def _group_state(view: group_selectors.GroupView, now: datetime) -> str:
    """forming, closed (past its deadline, the expiry job has not settled it yet), succeeded or failed."""
    if view.status == Group.Status.FORMING:
        return "forming" if view.expires_at > now else "closed"
    return view.status


@require_GET
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    view = group_selectors.group_page(group_id)
    if view is None:
        return not_found(request, _("这个团不存在"))
    now = timezone.now()
    _record_visit(request, view.activity_id)
    activity = GroupBuy.objects.get(pk=view.activity_id)
    state = _group_state(view, now)
    me = GroupMember.objects.filter(group_id=view.id, user=request.user).first() if request.user.is_authenticated else None
    # The product the group was opened with (the leader's) is shown and offered first to whoever joins.
    items = _items(view.activity_id)
    leader_item = _leader_item_id(view.id)
    chosen = next((row for row in items if row.item.pk == leader_item), items[0] if items else None)
    can_join = state == "forming" and view.remaining > 0 and me is None and view.activity_phase == RUNNING and chosen is not None
    context = {
        "tab": "home",
        "view": view,
        "activity": activity,
        "phase": view.activity_phase,
        "state": state,
        "me": me,
        "countdown": _countdown(view.expires_at - now) if state == "forming" else "",
        "empty_seats": range(view.remaining) if state == "forming" else (),
        "items": items,
        "shown_item": chosen,
        "chosen_item": chosen.item.pk if chosen is not None else None,
        "can_join": can_join,
        "here": request.get_full_path(),
    }
    if me is not None and state == "forming":
        viewer = viewer_distributor(request)
        path = (
            reverse("web:share_group", args=[viewer.code, view.id])
            if viewer is not None
            else reverse("web:group_detail", args=[view.id])
        )
        context["share_link"] = request.build_absolute_uri(path)
        context["share_text"] = _share_text(activity, view.remaining)
    return render(request, "web/group_detail.html", context)


def _leader_item_id(group_id: int) -> int | None:
    leader_orders = GroupMember.objects.filter(group_id=group_id, is_leader=True).values("order_id")
    return ActivityOrder.objects.filter(order_id__in=leader_orders).values_list("item_id", flat=True).first()


# --- a distributor's links -------------------------------------------------------------------------


def _follow(request: HttpRequest, code: str, target: str) -> HttpResponse:
    """Count the visit and bind the visitor as the shop link does, then go to the page."""
    try:
        open_link(request, code)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
        messages.error(request, exc.message)
    return redirect(target)


@require_GET
def share_group(request: HttpRequest, code: str, group_id: int) -> HttpResponse:
    if not Group.objects.filter(pk=group_id).exists():
        return not_found(request, _("这个团不存在"))
    return _follow(request, code, reverse("web:group_detail", args=[group_id]))


@require_GET
def share_group_buy(request: HttpRequest, code: str, activity_id: int) -> HttpResponse:
    if _activity(activity_id) is None:
        return not_found(request, _("活动不存在或已下线"))
    return _follow(request, code, reverse("web:group_activity", args=[activity_id]))


# --- checkout of a group order -----------------------------------------------------------------------


def _province_of(address: Address | None) -> str | None:
    return address.for_order()["province"] if address is not None else None


def _new_address_province(new_address: dict) -> str | None:
    code = new_address.get("province_code") or ""
    return next((p.name for p in address_regions.provinces() if p.code == code), None) if code else None


def _remember_order(request: HttpRequest, token: str, order_id: int) -> None:
    done = dict(request.session.get(GROUP_TOKENS, {}))
    done[token] = order_id
    request.session[GROUP_TOKENS] = dict(list(done.items())[-GROUP_TOKENS_KEPT:])


@login_required
@require_http_methods(["GET", "POST"])
def group_checkout(request: HttpRequest, activity_id: int) -> HttpResponse:
    """确认订单 of a group order: 发起拼团 (no group) or 参与拼团 (?group=<id>), one product of the
    activity, its quantity and the address; placing it goes to the ordinary payment page."""
    is_post = request.method == "POST"
    source = request.POST if is_post else request.GET
    token = str(source.get("token", "")).strip()[:64]
    if is_post and token:
        previous = request.session.get(GROUP_TOKENS, {}).get(token)
        if previous is not None:
            return redirect("web:order_pay", order_id=previous)

    activity = _activity(activity_id)
    if activity is None:
        return not_found(request, _("活动不存在或已下线"))
    item = (
        GroupBuyItem.objects.filter(activity=activity, pk=positive_int(source.get("item")) or 0)
        .select_related("sku__product")
        .first()
    )
    if item is None:
        item = GroupBuyItem.objects.filter(activity=activity).select_related("sku__product").order_by("id").first()
    if item is None:
        return not_found(request, _("活动不存在或已下线"))
    group = None
    if source.get("group"):
        group = Group.objects.filter(pk=positive_int(source.get("group")) or 0, activity=activity).first()
        if group is None:
            return not_found(request, _("这个团不存在"))
    back = (
        reverse("web:group_detail", args=[group.pk]) if group is not None else reverse("web:group_activity", args=[activity.pk])
    )
    quantity = positive_int(source.get("qty") or "1")
    error = ""
    if quantity is None or quantity > activity.per_order_limit:
        error = _("数量须为 1 到 %(max)s 之间的整数") % {"max": activity.per_order_limit}
        quantity = 1

    address_error = ""
    book = list(address_selectors.addresses_of(request.user))
    wanted = source.get("address_id") if is_post else source.get("address")
    chosen: Address | None = next((a for a in book if a.pk == positive_int(wanted)), None) if wanted else None
    if chosen is None and book and (wanted or not is_post):
        if is_post:
            address_error = _("收货地址不存在，请重新选择")
        chosen = book[0]
    if is_post:
        new_address = {name: str(request.POST.get(name, "")).strip() for name in NEW_ADDRESS_FIELDS}
        note = str(request.POST.get("note", "")).strip()
        save_address = request.POST.get("save_address") == "1"
    else:
        new_address = {name: "" for name in NEW_ADDRESS_FIELDS}
        new_address["phone"] = str(getattr(request.user, "phone", "") or "")
        note = ""
        save_address = True
    refresh = is_post and bool(request.POST.get("refresh"))
    province = _province_of(chosen) if chosen is not None else _new_address_province(new_address)

    quote = None
    try:
        _skus, quote = order_services.quote_items(
            user=request.user,
            items=[(item.sku_id, quantity)],
            province=province,
            coupon=None,
            activity=group_orders.terms_for(activity, item),
        )
    except DomainError as exc:
        error = error or exc.message
    error = error or address_error

    if is_post and not error and not refresh:
        try:
            address = (
                chosen.for_order() if chosen is not None else Address(**address_services.clean_address(new_address)).for_order()
            )
            order = group_orders.place_group_order(
                user=request.user,
                item_id=item.pk,
                group_id=group.pk if group is not None else None,
                quantity=quantity,
                address=address,
                note=note,
            )
        except DomainError as exc:
            error = exc.message
        else:
            if chosen is None and save_address:
                try:
                    address_services.add_address(user=request.user, data=new_address, make_default=True)
                except DomainError as exc:
                    messages.info(request, exc.message)
            if token:
                _remember_order(request, token, order.pk)
            return redirect("web:order_pay", order_id=order.pk)

    params = {"item": item.pk, "qty": quantity, **({"group": group.pk} if group is not None else {})}
    here = f"{reverse('web:group_checkout', args=[activity.pk])}?{urlencode(params)}"
    context = {
        "tab": "home",
        "activity": activity,
        "item": item,
        "group": group,
        "quantity": quantity,
        "max_quantity": activity.per_order_limit,
        "breakdown": quote.breakdown() if quote is not None else None,
        "chosen_address": chosen,
        "change_address_url": f"{reverse('web:addresses')}?{urlencode({'pick': 1, 'next': here})}",
        "new_address": new_address,
        "save_address": save_address,
        **(address_regions.picker(*(new_address[f] for f in REGION_FIELDS.values())) if chosen is None else {}),
        "note": note,
        "token": token or secrets.token_urlsafe(16),
        "error": error,
        "back": back,
    }
    return render(request, "web/group_checkout.html", context)
