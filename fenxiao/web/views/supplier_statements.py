"""The supplier's statements (/supplier/statements/…): the list, one statement with its lines (cost ×
quantity, refunds as deductions) and the button that confirms it. Read through settlement's
selectors, confirmed through its service; anyone but an approved (or suspended) supplier's account
gets the portal's friendly 403 page, another supplier's statement a 404."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.common.errors import DomainError
from fenxiao.supply.models import SupplierStatement
from fenxiao.supply.portal import access
from fenxiao.supply.settlement import selectors, services

from .helpers import not_found, page_number

PER_PAGE = 10


def supplier_page(view):
    """Signed in (else the login page) as the account of a supplier that may use the portal (else a
    403 page that says so); the view gets the supplier."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        supplier = access.supplier_of(request.user)
        if not access.may_use_portal(supplier):
            return render(request, "web/supplier/forbidden.html", {"supplier": supplier}, status=403)
        return view(request, supplier, *args, **kwargs)

    return wrapped


@supplier_page
def statements(request: HttpRequest, supplier) -> HttpResponse:
    status = request.GET.get("status") or ""
    if status not in SupplierStatement.Status.values:
        status = ""
    paginator = Paginator(selectors.supplier_statements(supplier.pk, status=status or None), PER_PAGE)
    page = paginator.get_page(page_number(request.GET.get("page")))
    return render(
        request,
        "web/supplier/statements.html",
        {"supplier": supplier, "page": page, "status": status, "tabs": SupplierStatement.Status.choices},
    )


@supplier_page
def statement_detail(request: HttpRequest, supplier, statement_id: int) -> HttpResponse:
    statement = selectors.supplier_statement(supplier.pk, statement_id)
    if statement is None:
        return not_found(request, _("对账单不存在"))
    return render(request, "web/supplier/statement_detail.html", {"supplier": supplier, "statement": statement})


@require_POST
@supplier_page
def statement_confirm(request: HttpRequest, supplier, statement_id: int) -> HttpResponse:
    try:
        services.confirm_statement(statement_id, supplier, request.user)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认对账单，财务将按应付金额打款"))
    return redirect("web:supplier_statement", statement_id)
