"""Buying: the product page's add-to-cart / buy-now buttons, the cart and checkout.

Like the other pages, these read through the orders selectors and write through the orders services;
a DomainError from a service is shown on the page as its message, never as a server error.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fenxiao.addresses import regions as address_regions
from fenxiao.addresses import selectors as address_selectors
from fenxiao.addresses import services as address_services
from fenxiao.addresses.models import Address
from fenxiao.common.errors import DomainError
from fenxiao.members.errors import MemberCode
from fenxiao.orders import selectors, services
from fenxiao.promotions import pricing
from fenxiao.promotions.errors import PromotionCode, PromotionError
from fenxiao.shop.purchase import purchase_info

from ..bundles import with_bundles
from .helpers import digits, is_htmx, not_found, positive_int, safe_next

CHECKOUT_TOKENS = "checkout_tokens"
CHECKOUT_TOKENS_KEPT = 20
# the new-address form of checkout (a buyer whose address book is empty): region by division code
NEW_ADDRESS_FIELDS = ("receiver", "phone", "province_code", "city_code", "district_code", "detail")
REGION_FIELDS = {"province": "province_code", "city": "city_code", "district": "district_code"}
# refusals of the points asked for (by the price, or by the spend when the order is placed)
POINTS_CODES = {
    PromotionCode.NOT_ENOUGH_POINTS,
    PromotionCode.POINTS_OVER_LIMIT,
    PromotionCode.INVALID_POINTS,
    MemberCode.INSUFFICIENT_POINTS,
}


def _shipping_hint(quote) -> dict:
    """How far the goods are from free shipping (the cheapest condition of the shipping templates), or
    that this order ships free, for the line under the bill."""
    hint = quote.shipping_hint or {}
    return {
        "free": quote.shipping_fen == 0,
        "missing_fen": hint.get("missing_fen", 0),
        "missing_count": hint.get("missing_count", 0),
    }


def _province_of(address: Address | None) -> str | None:
    """The province name an order to `address` would keep (what shipping is charged by)."""
    return address.for_order()["province"] if address is not None else None


# --- product page: add to cart / buy now ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def cart_add(request: HttpRequest) -> HttpResponse:
    """The two buttons of the product page. 立即购买 goes to checkout with this one item; 加入购物车
    adds it and returns to the product. A visitor who is not signed in is sent to log in first."""
    if request.method != "POST":
        return redirect("web:cart")
    back = safe_next(request, reverse("web:cart"))
    sku_id = positive_int(request.POST.get("sku"))
    quantity = positive_int(request.POST.get("qty"))
    if sku_id is None:
        messages.error(request, _("请选择规格"))
        return redirect(back)
    if quantity is None or quantity > services.MAX_QUANTITY:
        messages.error(request, _("数量须为 1 到 %(max)s 之间的整数") % {"max": services.MAX_QUANTITY})
        return redirect(back)
    if request.POST.get("action") == "buy":
        target = f"{reverse('web:checkout')}?{urlencode({'sku': sku_id, 'qty': quantity})}"
        if not request.user.is_authenticated:
            return redirect_to_login(target)
        return redirect(target)
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        services.add_to_cart(user=request.user, sku_id=sku_id, quantity=quantity)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已加入购物车"))
    return redirect(back)


# --- cart ----------------------------------------------------------------------------------------


def _cart_context(request: HttpRequest, error: str = "") -> dict:
    lines = list(selectors.cart_lines(request.user).prefetch_related("sku__product__images"))
    infos = purchase_info(line.sku for line in lines)
    with_bundles(line.sku for line in lines)  # a bundle's line lists its parts
    ready = [line for line in lines if infos[line.sku_id].is_purchasable]
    breakdown, shipping, priced, undeliverable = None, None, {}, set()
    if ready:
        # Shipping as it would be to the default address (the base rates without one).
        province = _province_of(address_selectors.default_address(request.user))
        try:
            _skus, quote = services.quote_items(
                user=request.user, items=[(line.sku_id, line.quantity) for line in ready], province=province
            )
        except DomainError as exc:
            error = error or exc.message
        else:
            breakdown = quote.breakdown()
            services.gifts_in_stock(quote, breakdown)
            shipping = _shipping_hint(quote)
            priced = {line.sku_id: line for line in quote.lines}
            undeliverable = set(quote.undeliverable_product_ids)
    rows = [
        {
            "line": line,
            "sellable": infos[line.sku_id].is_purchasable,
            "available": infos[line.sku_id].available,
            "short": line.quantity > infos[line.sku_id].available,
            "priced": priced.get(line.sku_id),
            "undeliverable": line.sku.product_id in undeliverable,
        }
        for line in lines
    ]
    return {
        "tab": "cart",
        "lines": rows,
        "ready_count": sum(line.quantity for line in ready),
        "breakdown": breakdown,
        "shipping": shipping,
        "max_quantity": services.MAX_QUANTITY,
        "error": error,
    }


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    return render(request, "web/cart.html", _cart_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def cart_line(request: HttpRequest, sku_id: int) -> HttpResponse:
    """+ / − / 删除 of one cart line: each button posts the new quantity (0 removes the line). With
    htmx the cart is re-rendered in place; without it the browser comes back to the cart."""
    if request.method != "POST":
        return redirect("web:cart")
    error = ""
    raw = digits(request.POST.get("qty"))
    if raw is None:
        error = _("数量须为 1 到 %(max)s 之间的整数") % {"max": services.MAX_QUANTITY}
    else:
        try:
            services.set_cart_quantity(user=request.user, sku_id=sku_id, quantity=int(raw))
        except DomainError as exc:
            error = exc.message
    if is_htmx(request):
        return render(request, "web/cart.html", _cart_context(request, error=error))
    if error:
        messages.error(request, error)
    return redirect("web:cart")


# --- checkout ------------------------------------------------------------------------------------


def _checkout_items(request: HttpRequest, source) -> tuple[list[tuple[int, int]], bool, dict]:
    """What is being bought: one SKU (立即购买, ?sku=&qty=) or the sellable lines of the cart."""
    if source.get("sku") is not None:
        sku_id, quantity = positive_int(source.get("sku")), positive_int(source.get("qty") or "1")
        if sku_id is None or quantity is None:
            return [], False, {}
        return [(sku_id, quantity)], False, {"sku": sku_id, "qty": quantity}
    lines = list(selectors.cart_lines(request.user))
    infos = purchase_info(line.sku for line in lines)
    return [(line.sku_id, line.quantity) for line in lines if infos[line.sku_id].is_purchasable], True, {}


def _checkout_url(single: dict, coupon: str = "", points: str = "") -> str:
    """This checkout (one item or the cart), without the chosen address: where the address book sends
    the buyer back to with ?address=<id>. A coupon the buyer picked and the points switch go along."""
    url = reverse("web:checkout")
    params = {**single, **({"coupon": coupon} if coupon else {}), **({"points": points} if points not in ("", "0") else {})}
    return f"{url}?{urlencode(params)}" if params else url


def _coupon_choice(raw) -> tuple[Any, str]:
    """The coupon of the form or the query string: (what the pricing takes, the value the form sends
    on). Absent or unreadable: the best usable one; "none": none; a number: that held coupon."""
    text = str(raw or "").strip()
    if text == "none":
        return None, "none"
    held = positive_int(text)
    return (held, str(held)) if held is not None else (pricing.AUTO, "")


def _points_choice(raw) -> tuple[Any, str]:
    """The points of the form or the query string: (what the pricing takes, the value the form sends
    on). "all": as many as the order allows (the 使用积分 switch); a number: that many; else none."""
    text = str(raw or "").strip()
    if text == "all":
        return pricing.ALL_POINTS, "all"
    wanted = positive_int(text)
    return (wanted, str(wanted)) if wanted is not None else (0, "0")


def _coupon_rows(quote) -> list[dict]:
    """The buyer's coupons for this order: the usable ones first, most off first; then the others,
    greyed with their reason."""
    options = sorted(quote.coupon_options, key=lambda o: (not o.usable, -o.discount_fen, o.valid_until, o.user_coupon_id))
    return [{"option": o, "chosen": o.user_coupon_id == quote.user_coupon_id} for o in options]


def _new_address_province(new_address: dict) -> str | None:
    """The province picked in the new-address form, by name (None until one is picked)."""
    code = new_address.get("province_code") or ""
    return next((p.name for p in address_regions.provinces() if p.code == code), None) if code else None


def _error_field(exc: DomainError) -> str:
    field = exc.detail.get("field", "") if isinstance(exc.detail, dict) else ""
    return REGION_FIELDS.get(field, field)


def _remember_order(request: HttpRequest, token: str, order_id: int) -> None:
    done = dict(request.session.get(CHECKOUT_TOKENS, {}))
    done[token] = order_id
    request.session[CHECKOUT_TOKENS] = dict(list(done.items())[-CHECKOUT_TOKENS_KEPT:])


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    is_post = request.method == "POST"
    source = request.POST if is_post else request.GET
    token = str(source.get("token", "")).strip()[:64]
    if is_post and token:
        # A repeated submission of the same form (double tap, refresh, back and submit again).
        previous = request.session.get(CHECKOUT_TOKENS, {}).get(token)
        if previous is not None:
            return redirect("web:order_pay", order_id=previous)

    items, from_cart, single = _checkout_items(request, source)
    if not items:
        if source.get("sku") is not None:
            return not_found(request, _("商品不存在或已下架"))
        messages.info(request, _("购物车里还没有可结算的商品"))
        return redirect("web:cart")

    # The address: one of the book (the default unless another was picked), or, with an empty book, a
    # new one typed here with the region picker (saved to the book unless the buyer switches it off).
    # Its province decides the shipping and what cannot be delivered.
    address_error = ""
    book = list(address_selectors.addresses_of(request.user))
    wanted = source.get("address_id") if is_post else source.get("address")
    chosen: Address | None = next((a for a in book if a.pk == positive_int(wanted)), None) if wanted else None
    if chosen is None and book and (wanted or not is_post):
        if is_post:
            address_error = _("收货地址不存在，请重新选择")  # deleted meanwhile, or not the buyer's
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
    refresh = is_post and bool(request.POST.get("refresh"))  # the picker without JavaScript
    province = _province_of(chosen) if chosen is not None else _new_address_province(new_address)

    # The price, with the coupon the buyer picked (the best usable one unless another or none was)
    # and the points (none unless the 使用积分 switch is on).
    choice, coupon_value = _coupon_choice(source.get("coupon"))
    points, points_value = _points_choice(source.get("points"))
    error, error_field, coupon_open = "", "", False
    quote = None

    def price(choice):
        return services.quote_items(user=request.user, items=items, province=province, coupon=choice, points=points)

    try:
        for _attempt in range(3):
            try:
                skus, quote = price(choice)
                break
            except PromotionError as exc:
                if str(exc.code) in POINTS_CODES and points is not pricing.ALL_POINTS and points:
                    # More points than the buyer holds or the order allows: say so, price without them.
                    error = error or exc.message
                    points, points_value = 0, "0"
                elif choice is not pricing.AUTO and choice is not None:
                    # The coupon picked cannot be used (any more): say why and let the buyer pick again.
                    error, coupon_open = error or exc.message, True
                    choice, coupon_value = pricing.AUTO, ""
                else:
                    raise
    except DomainError as exc:
        error = exc.message
    error = error or address_error

    if is_post and not error and not refresh:
        try:
            if chosen is not None:
                address = chosen.for_order()
            else:
                address = Address(**address_services.clean_address(new_address)).for_order()
            order = services.place_order(
                user=request.user,
                items=items,
                address=address,
                note=note,
                from_cart=from_cart,
                coupon=choice,
                points=points,
            )
        except DomainError as exc:
            error = exc.message
            error_field = _error_field(exc)
            coupon_taken = isinstance(exc, PromotionError) and str(exc.code).startswith("coupon_")
            points_refused = str(exc.code) in POINTS_CODES
            if coupon_taken:
                # Taken by another order meanwhile: the page shows the coupons again, the best one picked.
                coupon_open, choice, coupon_value = True, pricing.AUTO, ""
            if points_refused:
                # Spent by another order meanwhile: the page shows the price without points again.
                points, points_value = 0, "0"
            if coupon_taken or points_refused:
                try:
                    skus, quote = price(choice)
                except DomainError:
                    quote = None
        else:
            if chosen is None and save_address:
                try:
                    address_services.add_address(user=request.user, data=new_address, make_default=True)
                except DomainError as exc:  # e.g. the book filled up in another tab: the order stands
                    messages.info(request, exc.message)
            if token:
                _remember_order(request, token, order.pk)
            return redirect("web:order_pay", order_id=order.pk)

    breakdown, lines, shipping, coupons, blocked = None, [], None, [], ""
    if quote is not None:
        breakdown = quote.breakdown()
        services.gifts_in_stock(quote, breakdown)
        shipping = _shipping_hint(quote)
        coupons = _coupon_rows(quote)
        prefetch_related_objects(list(skus.values()), "product__images")
        with_bundles(skus.values())  # a bundle's line lists its parts
        infos = purchase_info(skus.values())
        undeliverable = set(quote.undeliverable_product_ids)
        lines = [
            {
                "sku": skus[priced.sku_id],
                "priced": priced,
                "available": infos[priced.sku_id].available,
                "undeliverable": priced.product_id in undeliverable,
            }
            for priced in quote.lines
        ]
        try:
            pricing.refuse_unpayable(quote)  # what placing the order would refuse: the submit is off
        except PromotionError as exc:
            blocked = exc.message

    offer = breakdown["points_offer"] if breakdown is not None else None
    show_points = offer is not None and offer["balance"] > 0
    context = {
        "tab": "cart",
        "lines": lines,
        "breakdown": breakdown,
        "shipping": shipping,
        "points_offer": offer if show_points else None,
        "points_value": points_value,
        "points_on": breakdown is not None and breakdown["points_used"] > 0,
        "switch_form": breakdown is not None and (bool(coupons) or show_points),
        "coupons": coupons,
        "usable_coupons": sum(1 for row in coupons if row["option"].usable),
        "chosen_coupon": next((row["option"] for row in coupons if row["chosen"]), None),
        "coupon_value": coupon_value,
        "coupon_open": coupon_open,
        "blocked": "" if blocked == error else blocked,
        "can_submit": breakdown is not None and not blocked,
        "single": single,
        "from_cart": from_cart,
        "chosen_address": chosen,
        "change_address_url": (
            f"{reverse('web:addresses')}?{urlencode({'pick': 1, 'next': _checkout_url(single, coupon_value, points_value)})}"
        ),
        "new_address": new_address,
        "save_address": save_address,
        **(address_regions.picker(*(new_address[f] for f in REGION_FIELDS.values())) if chosen is None else {}),
        "note": note,
        "token": token or secrets.token_urlsafe(16),
        "error": error,
        "error_field": error_field,
    }
    return render(request, "web/checkout.html", context)
