"""The buyer's address book: list with the default first, add / edit with a province → city →
district picker, delete, set default, and picking an address for checkout.

The picker is three <select>s; each change asks /me/addresses/regions/ (htmx) for the selects again,
filled for the chosen codes from the division dataset, so a city always belongs to its province.
Without JavaScript, the 更新城市和区县列表 button posts the form back to refill the lists.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fenxiao.addresses import regions, selectors, services
from fenxiao.addresses.models import MAX_ADDRESSES
from fenxiao.common.errors import DomainError

from .helpers import not_found, safe_next

FORM_FIELDS = ("receiver", "phone", "province_code", "city_code", "district_code", "detail")


def _next(request: HttpRequest) -> str:
    """Where to go after saving or picking: only a page of this site, else the address book."""
    target = safe_next(request, "")
    return target if target.startswith("/") and not target.startswith("//") else ""


def with_address(url: str, address_id: int) -> str:
    """`url` with ?address=<id> (replacing any address parameter it had)."""
    parts = urlsplit(url)
    query = [p for p in parts.query.split("&") if p and not p.startswith("address=")]
    query.append(f"address={address_id}")
    return f"{parts.path}?{'&'.join(query)}"


def _form_data(source) -> dict:
    return {name: str(source.get(name, "")).strip() for name in FORM_FIELDS}


def _render_form(request: HttpRequest, *, address, data: dict, is_default: bool, error: str = "", error_field: str = ""):
    context = {
        "tab": "me",
        "address": address,
        "form": data,
        "is_default": is_default,
        "next": _next(request),
        "error": error,
        "error_field": error_field,
        **regions.picker(data.get("province_code"), data.get("city_code"), data.get("district_code")),
    }
    return render(request, "web/addresses_form.html", context, status=400 if error else 200)


def _error_field(exc: DomainError) -> str:
    field = exc.detail.get("field", "") if isinstance(exc.detail, dict) else ""
    return {"province": "province_code", "city": "city_code", "district": "district_code"}.get(field, field)


@login_required
@require_GET
def address_list(request: HttpRequest) -> HttpResponse:
    """The book; with ?pick=1&next=<checkout> each entry takes the buyer back to checkout with it."""
    target = _next(request)
    picking = request.GET.get("pick") == "1" and bool(target)
    addresses = list(selectors.addresses_of(request.user))
    rows = [{"address": a, "pick_url": with_address(target, a.pk) if picking else ""} for a in addresses]
    context = {
        "tab": "me",
        "rows": rows,
        "picking": picking,
        "next": target,
        "full": len(addresses) >= MAX_ADDRESSES,
        "max_addresses": MAX_ADDRESSES,
    }
    return render(request, "web/addresses.html", context)


def _save(request: HttpRequest, address=None) -> HttpResponse:
    data = _form_data(request.POST)
    make_default = request.POST.get("is_default") == "1"
    if request.POST.get("refresh"):  # the picker without JavaScript: refill the lists, save nothing
        return _render_form(request, address=address, data=data, is_default=make_default)
    try:
        if address is None:
            saved = services.add_address(user=request.user, data=data, make_default=make_default)
        else:
            saved = services.update_address(user=request.user, address_id=address.pk, data=data, make_default=make_default)
    except DomainError as exc:
        return _render_form(
            request, address=address, data=data, is_default=make_default, error=exc.message, error_field=_error_field(exc)
        )
    messages.success(request, _("收货地址已保存"))
    target = _next(request)
    if target:
        return redirect(with_address(target, saved.pk))
    return redirect("web:addresses")


@login_required
def address_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request)
    if request.method != "GET":
        return HttpResponse(status=405)
    first = not selectors.addresses_of(request.user).exists()
    data = {name: "" for name in FORM_FIELDS}
    data["phone"] = str(getattr(request.user, "phone", "") or "") if first else ""
    return _render_form(request, address=None, data=data, is_default=first)


@login_required
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    address = selectors.address_of(request.user, address_id)
    if address is None:
        return not_found(request, _("收货地址不存在"))
    if request.method == "POST":
        return _save(request, address)
    if request.method != "GET":
        return HttpResponse(status=405)
    data = {name: getattr(address, name) for name in FORM_FIELDS}
    return _render_form(request, address=address, data=data, is_default=address.is_default)


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    try:
        services.delete_address(user=request.user, address_id=address_id)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, _("收货地址不存在"))
        messages.error(request, exc.message)
    else:
        messages.success(request, _("收货地址已删除"))
    return redirect("web:addresses")


@login_required
@require_POST
def address_default(request: HttpRequest, address_id: int) -> HttpResponse:
    try:
        services.set_default(user=request.user, address_id=address_id)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, _("收货地址不存在"))
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已设为默认地址"))
    return redirect("web:addresses")


@require_GET
def address_regions(request: HttpRequest) -> HttpResponse:
    """The picker's selects, filled for the codes in the query string (htmx puts them in the picker)."""
    context = regions.picker(request.GET.get("province_code"), request.GET.get("city_code"), request.GET.get("district_code"))
    return render(request, "web/addresses_picker_fields.html", context)
