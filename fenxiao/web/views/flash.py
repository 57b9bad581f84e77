"""秒杀 on the phone: the day's slots (场次) as tabs with a countdown to the start or the end of the
slot shown, its items with the flash price beside the list price, how much is gone (已抢 N%) and one
button each (马上抢, 提醒我 / 已设提醒, 已抢光, 已结束); an item's page, where the buyer picks the
quantity and the address and places the order (then pays it on the ordinary payment page); and a
distributor's link to a slot, which binds the visitor like any share link.

Reads go through `promotions.selectors_flash`, the reminder through `promotions.services.flash`, the
order through `orders.services.activities.flash.place_flash_order`, which admits the buyer first; a
refusal (sold out, limit reached, not started…) comes back to the page as its message. Each page
counts one visit per visitor, sale and day.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fenxiao.addresses import selectors as address_selectors
from fenxiao.addresses.models import Address
from fenxiao.common.errors import DomainError
from fenxiao.orders.services.activities.flash import place_flash_order
from fenxiao.promotions import selectors_flash
from fenxiao.promotions.models import ActivityKind, FlashSale
from fenxiao.promotions.selectors_flash import FlashItemView, FlashSlotView, SlotState
from fenxiao.promotions.services import activities as activity_services
from fenxiao.promotions.services import flash as flash_services

from .helpers import not_found, open_link, positive_int, safe_next, viewer_distributor

#: How many of tomorrow's first slots the tabs show after today's.
TOMORROW_SHOWN = 2
FLASH_TOKENS = "flash_order_tokens"
FLASH_TOKENS_KEPT = 20

# What an item's button says.
BUY, REMIND, REMINDED, SOLD_OUT, ENDED, PAUSED, OFF_SHELF = "buy", "remind", "reminded", "sold_out", "ended", "paused", "off"


@dataclass
class Tab:
    slot: FlashSlotView
    tomorrow: bool
    label: str


@dataclass
class ItemRow:
    item: FlashItemView
    button: str


def _visitor_key(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    if request.session.session_key is None:
        request.session.save()
    return f"s:{request.session.session_key}"


def _record_visit(request: HttpRequest, sale_id: int) -> None:
    """One row per visitor, sale and day; a repeat the same day writes nothing."""
    activity_services.record_visit(ActivityKind.FLASH, sale_id, _visitor_key(request))


def _tab_label(slot: FlashSlotView, tomorrow: bool) -> str:
    if tomorrow:
        return _("明日预告")
    return {
        SlotState.RUNNING: _("抢购中"),
        SlotState.UPCOMING: _("即将开抢"),
        SlotState.PAUSED: _("已暂停"),
    }.get(slot.state, _("已结束"))


def _tabs(now: datetime, wanted_sale: int | None) -> list[Tab]:
    """Today's slots, then tomorrow's first ones; a shared slot of another day is added at its place."""
    today = timezone.localdate(now)
    # A slot of yesterday still running past midnight comes first.
    late = [slot for slot in selectors_flash.day_slots(today - timedelta(days=1), now) if slot.state != SlotState.ENDED]
    tabs = [Tab(slot, False, _tab_label(slot, False)) for slot in [*late, *selectors_flash.day_slots(today, now)]]
    tabs += [Tab(slot, True, _tab_label(slot, True)) for slot in selectors_flash.day_slots(today + timedelta(days=1), now)][
        :TOMORROW_SHOWN
    ]
    if wanted_sale is not None and all(tab.slot.id != wanted_sale for tab in tabs):
        starts_at = FlashSale.objects.filter(pk=wanted_sale).values_list("starts_at", flat=True).first()
        if starts_at is not None:
            day: date = timezone.localdate(starts_at)
            other = next((slot for slot in selectors_flash.day_slots(day, now) if slot.id == wanted_sale), None)
            if other is not None:
                tabs.append(Tab(other, day > today, _tab_label(other, day > today)))
                tabs.sort(key=lambda tab: (tab.slot.starts_at, tab.slot.id))
    return tabs


def _pick(tabs: list[Tab], wanted_sale: int | None) -> Tab | None:
    """The slot asked for, else the one running, else the next to start, else today's last."""
    if not tabs:
        return None
    for test in (
        lambda t: t.slot.id == wanted_sale,
        lambda t: t.slot.state == SlotState.RUNNING,
        lambda t: t.slot.state in (SlotState.UPCOMING, SlotState.PAUSED),
    ):
        found = next((tab for tab in tabs if test(tab)), None)
        if found is not None:
            return found
    today = [tab for tab in tabs if not tab.tomorrow]
    return (today or tabs)[-1]


def _button(slot: FlashSlotView, item: FlashItemView, reminded: bool) -> str:
    if slot.state == SlotState.ENDED:
        return ENDED
    if not item.on_shelf:
        return OFF_SHELF
    if slot.state == SlotState.UPCOMING:
        return REMINDED if reminded else REMIND
    if item.remaining <= 0:
        return SOLD_OUT
    if slot.state == SlotState.PAUSED:
        return PAUSED
    return BUY


def _countdown(slot: FlashSlotView, now: datetime) -> tuple[int, str]:
    """Seconds to the moment the slot changes (its start, or its end) and what the counter says."""
    if slot.state == SlotState.UPCOMING:
        return max(0, int((slot.starts_at - now).total_seconds())), _("距开始")
    if slot.state in (SlotState.RUNNING, SlotState.PAUSED):
        return max(0, int((slot.ends_at - now).total_seconds())), _("距结束")
    return 0, ""


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _share_link(request: HttpRequest, sale_id: int) -> str:
    viewer = viewer_distributor(request)
    if viewer is None:
        return ""
    return request.build_absolute_uri(reverse("web:share_flash", args=[viewer.code, sale_id]))


# --- the slots ---------------------------------------------------------------------------------------


@require_GET
def flash_sales(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    wanted = positive_int(request.GET.get("sale"))
    tabs = _tabs(now, wanted)
    current = _pick(tabs, wanted)
    context: dict = {"tab": "home", "tabs": tabs, "current": None, "rows": [], "here": request.get_full_path()}
    if current is not None:
        slot = current.slot
        _record_visit(request, slot.id)
        reminded = slot.id in flash_services.reminded_sale_ids(request.user, [slot.id])
        seconds, countdown_label = _countdown(slot, now)
        context.update(
            current=current,
            slot=slot,
            reminded=reminded,
            rows=[ItemRow(item, _button(slot, item, reminded)) for item in slot.items],
            seconds=seconds,
            clock=_clock(seconds),
            countdown_label=countdown_label,
            share_link=_share_link(request, slot.id) if slot.state != SlotState.ENDED else "",
        )
    return render(request, "web/flash.html", context)


@require_GET
def share_flash(request: HttpRequest, code: str, sale_id: int) -> HttpResponse:
    """A distributor's link to a slot: counts the visit and binds the visitor as the shop link does,
    then opens the slot."""
    target = f"{reverse('web:flash')}?{urlencode({'sale': sale_id})}"
    if not FlashSale.objects.filter(pk=sale_id).exists():
        return not_found(request, _("秒杀场次不存在"))
    try:
        open_link(request, code)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
        messages.error(request, exc.message)
    return redirect(target)


@require_POST
def flash_remind(request: HttpRequest, sale_id: int) -> HttpResponse:
    """提醒我 / 已设提醒: `on=1` asks for the notice at the start, `on=0` takes the request back."""
    back = safe_next(request, f"{reverse('web:flash')}?{urlencode({'sale': sale_id})}")
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        if request.POST.get("on") == "0":
            flash_services.cancel_reminder(user=request.user, sale_id=sale_id)
            messages.success(request, _("已取消开抢提醒"))
        else:
            flash_services.set_reminder(user=request.user, sale_id=sale_id)
            messages.success(request, _("已设置提醒，开抢前会通知你"))
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
        messages.error(request, exc.message)
    return redirect(back)


# --- one item and its order --------------------------------------------------------------------------


def _remember_order(request: HttpRequest, token: str, order_id: int) -> None:
    done = dict(request.session.get(FLASH_TOKENS, {}))
    done[token] = order_id
    request.session[FLASH_TOKENS] = dict(list(done.items())[-FLASH_TOKENS_KEPT:])


def _max_quantity(item: FlashItemView, bought: int) -> int:
    return max(0, min(item.per_order_limit, item.per_person_limit - bought, item.remaining))


@require_http_methods(["GET", "POST"])
def flash_item(request: HttpRequest, item_id: int) -> HttpResponse:
    is_post = request.method == "POST"
    if is_post and not request.user.is_authenticated:
        return redirect_to_login(reverse("web:flash_item", args=[item_id]))
    token = str(request.POST.get("token", "")).strip()[:64] if is_post else ""
    if token:
        previous = request.session.get(FLASH_TOKENS, {}).get(token)
        if previous is not None:  # the same form sent again (double tap, back and submit)
            return redirect("web:order_pay", order_id=previous)

    now = timezone.now()
    found = selectors_flash.item_detail(item_id, now)
    if found is None:
        return not_found(request, _("秒杀商品不存在"))
    slot, item = found
    _record_visit(request, slot.id)

    source = request.POST if is_post else request.GET
    book: list[Address] = list(address_selectors.addresses_of(request.user)) if request.user.is_authenticated else []
    wanted_address = positive_int(source.get("address_id") if is_post else source.get("address"))
    chosen = next((a for a in book if a.pk == wanted_address), None) if wanted_address else None
    error = ""
    if chosen is None and book:
        if is_post and wanted_address:
            error = _("收货地址不存在，请重新选择")
        chosen = book[0]
    bought = selectors_flash.user_bought(item.id, request.user)
    limit = _max_quantity(item, bought)
    quantity = positive_int(source.get("qty")) or 1
    note = str(request.POST.get("note", "")).strip()[:200] if is_post else ""

    if is_post and not error:
        if chosen is None:
            error = _("请先添加收货地址")
        else:
            try:
                order = place_flash_order(
                    user=request.user, item_id=item.id, quantity=quantity, address=chosen.for_order(), note=note
                )
            except DomainError as exc:
                error = exc.message
                # What changed meanwhile (sold out, bought elsewhere) shows on the page again.
                found = selectors_flash.item_detail(item_id, timezone.now())
                if found is not None:
                    slot, item = found
                bought = selectors_flash.user_bought(item.id, request.user)
                limit = _max_quantity(item, bought)
            else:
                if token:
                    _remember_order(request, token, order.pk)
                return redirect("web:order_pay", order_id=order.pk)

    here = reverse("web:flash_item", args=[item.id])
    reminded = slot.id in flash_services.reminded_sale_ids(request.user, [slot.id])
    seconds, countdown_label = _countdown(slot, now)
    context = {
        "tab": "home",
        "slot": slot,
        "item": item,
        "button": _button(slot, item, reminded),
        "reminded": reminded,
        "seconds": seconds,
        "clock": _clock(seconds),
        "countdown_label": countdown_label,
        "bought": bought,
        "limit": limit,
        "quantity": min(max(1, quantity), max(1, limit)),
        "saving_fen": max(0, item.list_price_fen - item.price_fen),
        "chosen_address": chosen,
        "change_address_url": f"{reverse('web:addresses')}?{urlencode({'pick': 1, 'next': here})}",
        "new_address_url": f"{reverse('web:address_new')}?{urlencode({'next': here})}",
        "login_url": f"{reverse('web:login')}?{urlencode({'next': here})}",
        "slot_url": f"{reverse('web:flash')}?{urlencode({'sale': slot.id})}",
        "note": note,
        "token": secrets.token_urlsafe(16),
        "error": error,
        "share_link": _share_link(request, slot.id) if slot.state != SlotState.ENDED else "",
    }
    return render(request, "web/flash_item.html", context)
