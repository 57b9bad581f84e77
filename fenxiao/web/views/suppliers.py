"""Applying to supply (供应商入驻): the application form, the application's status and the reason of a
rejection, and applying again after one. Review is the operator's (console or operator API)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fenxiao.common.errors import DomainError
from fenxiao.suppliers import selectors, services
from fenxiao.suppliers.models import Supplier

FORM_FIELDS = (*services.APPLICATION_FIELDS, "settlement_cycle")


def _initial(own: Supplier | None, user) -> dict[str, str]:
    if own is not None:
        return {name: getattr(own, name) for name in FORM_FIELDS}
    form = dict.fromkeys(FORM_FIELDS, "")
    form["settlement_cycle"] = Supplier.Cycle.MONTHLY
    form["contact_phone"] = getattr(user, "phone", "") or ""
    return form


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    own = selectors.supplier_for_user(request.user)
    form = _initial(own, request.user)
    error, error_field = "", ""
    is_staff = bool(request.user.is_staff)
    can_apply = not is_staff and (own is None or own.status == Supplier.Status.REJECTED)
    if request.method == "POST":
        form = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS}
        try:
            own = services.apply(request.user, **form)
        except DomainError as exc:
            error = exc.message
            error_field = exc.detail.get("field", "") if isinstance(exc.detail, dict) else ""
        else:
            messages.success(request, _("入驻申请已提交，请等待平台审核"))
            return redirect("web:supplier_apply")
    context = {
        "tab": "me",
        "own": own,
        "Status": Supplier.Status,
        "cycles": Supplier.Cycle.choices,
        "form": form,
        "error": error,
        "error_field": error_field,
        "can_apply": can_apply,
        "is_staff": is_staff,
    }
    return render(request, "web/supplier_apply.html", context)
