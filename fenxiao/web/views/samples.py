"""The distributor's samples page (/distributor/samples/): this month's quota and what is left, the
request form (a SKU that has sample stock, the quantity, one of the address-book addresses and what
the samples are for), and the history of requests with their status and, once approved, the link to
the sample order; a request still waiting can be withdrawn. Reads through the samples selectors,
writes through its services; a refusal (over quota, not sellable…) is shown on the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.addresses import selectors as address_selectors
from fenxiao.common.errors import DomainError
from fenxiao.supply.samples import selectors, services

from .helpers import digits, page_number, viewer_distributor

PER_PAGE = 10


@login_required
def samples(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    form = {"sku": "", "quantity": "1", "address": "", "reason": ""}
    if request.method == "POST":
        form = {name: (request.POST.get(name) or "").strip() for name in form}
        sku_id, quantity, address_id = digits(form["sku"]), digits(form["quantity"]), digits(form["address"])
        if not sku_id or not quantity or not address_id:
            messages.error(request, _("请选择样品、收货地址并填写数量"))
        else:
            try:
                services.request_sample(
                    distributor=distributor,
                    sku_id=int(sku_id),
                    quantity=int(quantity),
                    address_id=int(address_id),
                    reason=form["reason"],
                    actor=request.user,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("样品申请已提交，等待供应链审核"))
                return redirect("web:samples")
    paginator = Paginator(selectors.requests_of(distributor), PER_PAGE)
    page = paginator.get_page(page_number(request.GET.get("page")))
    context = {
        "tab": "dc",
        "distributor": distributor,
        "quota": selectors.quota_of(distributor),
        "skus": selectors.sample_skus(),
        "addresses": list(address_selectors.addresses_of(request.user)),
        "form": form,
        "page": page,
    }
    return render(request, "web/samples.html", context, status=422 if request.method == "POST" else 200)


@require_POST
@login_required
def sample_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    try:
        services.withdraw_request(distributor=distributor, request_id=request_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("样品申请已撤销"))
    return redirect("web:samples")
