"""Becoming a distributor: the application page and the distributor center."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fenxiao.common.errors import DomainError
from fenxiao.distribution import selectors, services
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.growth import selectors as growth_selectors

from .helpers import share_urls, shop_order_count, viewer_distributor

DOWNLINE_SHOWN = 20


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    own = selectors.distributor_for_user(request.user)
    form = {"real_name": own.real_name if own else "", "note": ""}
    error = ""
    if request.method == "POST":
        form = {"real_name": request.POST.get("real_name", "").strip(), "note": request.POST.get("note", "").strip()}
        try:
            own = services.apply_for_distributor(user=request.user, real_name=form["real_name"], note=form["note"])
        except DomainError as exc:
            error = exc.message
        else:
            if own.is_approved:
                messages.success(request, _("恭喜，你已成为分销商！"))
                return redirect("web:distributor_center")
            messages.success(request, _("申请已提交"))
            return redirect("web:apply")
    if own is not None:
        inviter = own.inviter
    else:
        binding = selectors.active_binding(request.user)
        inviter = binding.distributor if binding is not None else None
    context = {
        "tab": "dc",
        "conf": services.get_settings(),
        "Admission": DistributionSettings.Admission,
        "Status": Distributor.Status,
        "own": own,
        "inviter": inviter,
        "can_apply": own is None or own.status == Distributor.Status.REJECTED,
        "form": form,
        "error": error,
    }
    return render(request, "web/apply.html", context)


@login_required
def distributor_center(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    context = {
        "tab": "dc",
        "distributor": distributor,
        "counts": selectors.downline_counts(distributor),
        "customers": selectors.bound_customer_count(distributor),
        "downline": list(selectors.direct_downline(distributor)[:DOWNLINE_SHOWN]),
        "downline_shown": DOWNLINE_SHOWN,
        "shop_order_count": shop_order_count(distributor),
        "unread_notices": growth_selectors.unread_count(request.user),
        **share_urls(request, distributor),
    }
    return render(request, "web/distributor_center.html", context)
