"""The supplier's phone pages (/supplier/…): the shipments routed to it with the buyer's address while
they wait to ship, shipping one by one or by file, the pick list, exceptions for the operator, returns
to receive and its stock. Read through the portal's selectors, written through its services; a
DomainError is shown as a message, never as a server error. Anyone but an approved (or suspended)
supplier's account gets a friendly 403 page."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from fenxiao.common.errors import DomainError
from fenxiao.logistics.selectors import active_carriers
from fenxiao.supply.models import ShipmentException
from fenxiao.supply.portal import access, selectors, services
from fenxiao.supply.portal.files import MAX_BYTES

from .helpers import not_found, page_number, positive_int

PER_PAGE = 10

# The shipment tabs: key in the query string, label.
SHIPMENT_TABS = [
    ("to_ship", gettext_lazy("待发货")),
    ("overdue", gettext_lazy("已超时")),
    ("shipped", gettext_lazy("已发货")),
    ("received", gettext_lazy("已收货")),
    ("completed", gettext_lazy("已完成")),
    ("cancelled", gettext_lazy("已取消")),
]


def supplier_page(view):
    """Signed in (else the login page), and the account of a supplier that may use the portal (else
    a 403 page that says so); the view gets the supplier."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        supplier = access.supplier_of(request.user)
        if not access.may_use_portal(supplier):
            return render(request, "web/supplier/forbidden.html", {"supplier": supplier}, status=403)
        return view(request, supplier, *args, **kwargs)

    return wrapped


def _link(name: str) -> str:
    """The URL of another part of the portal, if it exists (statements, scorecard)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _refused(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


@supplier_page
def home(request: HttpRequest, supplier) -> HttpResponse:
    return render(
        request,
        "web/supplier/home.html",
        {
            "supplier": supplier,
            "counts": selectors.counts(supplier),
            "statements_url": _link("web:supplier_statements"),
            "scorecard_url": _link("web:supplier_scorecard"),
        },
    )


@supplier_page
def shipments(request: HttpRequest, supplier) -> HttpResponse:
    tab = request.GET.get("tab", "to_ship")
    if tab not in dict(SHIPMENT_TABS):
        tab = "to_ship"
    search = (request.GET.get("q") or "").strip()[: selectors.MAX_SEARCH]
    now = timezone.now()
    qs = selectors.shipments_for(supplier, status=tab, search=search, now=now)
    page = Paginator(qs, PER_PAGE).get_page(page_number(request.GET.get("page")))
    return render(
        request,
        "web/supplier/shipments.html",
        {
            "supplier": supplier,
            "tabs": SHIPMENT_TABS,
            "current": tab,
            "search": search,
            "page": page,
            "items": [selectors.shipment_view(s, now) for s in page.object_list],
            "carriers": active_carriers(),
            "max_mb": MAX_BYTES // (1024 * 1024),
        },
    )


@supplier_page
def shipment_detail(request: HttpRequest, supplier, shipment_id: int) -> HttpResponse:
    try:
        shipment = selectors.shipment_for(supplier, shipment_id)
    except DomainError:
        return not_found(request, _("发货单不存在"))
    return render(
        request,
        "web/supplier/shipment_detail.html",
        {
            "supplier": supplier,
            "item": selectors.shipment_view(shipment),
            "carriers": active_carriers(),
            "exception_kinds": ShipmentException.Kind.choices,
            "exceptions": [selectors.exception_view(e) for e in selectors.exceptions_for(supplier).filter(shipment=shipment)],
        },
    )


@require_POST
@supplier_page
def shipment_ship(request: HttpRequest, supplier, shipment_id: int) -> HttpResponse:
    try:
        services.ship(
            supplier=supplier,
            shipment_id=shipment_id,
            actor=request.user,
            carrier=(request.POST.get("carrier") or "")[:40],
            tracking_number=(request.POST.get("tracking_number") or "")[:60],
        )
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, _("发货单不存在"))
        _refused(request, exc)
    else:
        messages.success(request, _("已发货"))
    if request.POST.get("back") == "list":
        return redirect("web:supplier_shipments")
    return redirect("web:supplier_shipment", shipment_id)


@require_POST
@supplier_page
def shipment_exception(request: HttpRequest, supplier, shipment_id: int) -> HttpResponse:
    try:
        services.report_exception(
            supplier=supplier,
            shipment_id=shipment_id,
            actor=request.user,
            kind=request.POST.get("kind") or "",
            note=(request.POST.get("note") or "")[:400],
        )
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, _("发货单不存在"))
        _refused(request, exc)
    else:
        messages.success(request, _("已提交，运营处理后会在这里显示结果"))
    return redirect("web:supplier_shipment", shipment_id)


@require_http_methods(["GET", "POST"])
@supplier_page
def shipment_import(request: HttpRequest, supplier) -> HttpResponse:
    rows = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择文件"))
        else:
            content = b"\0" * (MAX_BYTES + 1) if (upload.size or 0) > MAX_BYTES else upload.read(MAX_BYTES + 1)
            try:
                rows = services.import_tracking(
                    supplier=supplier, actor=request.user, filename=upload.name or "", content=content
                )
            except DomainError as exc:
                _refused(request, exc)
    return render(
        request,
        "web/supplier/shipment_import.html",
        {
            "supplier": supplier,
            "rows": rows,
            "shipped": sum(1 for r in rows or () if r.outcome == services.SHIPPED),
            "already": sum(1 for r in rows or () if r.outcome == services.ALREADY),
            "errors": sum(1 for r in rows or () if r.outcome == services.ERROR),
            "max_mb": MAX_BYTES // (1024 * 1024),
        },
    )


@supplier_page
def returns(request: HttpRequest, supplier) -> HttpResponse:
    history = request.GET.get("tab") == "history"
    items = [selectors.return_view(a) for a in selectors.returns_for(supplier, pending=not history)[:100]]
    return render(
        request,
        "web/supplier/returns.html",
        {"supplier": supplier, "items": items, "history": history, "return_address": supplier.return_address},
    )


@require_POST
@supplier_page
def return_receive(request: HttpRequest, supplier, aftersale_id: int) -> HttpResponse:
    try:
        services.receive_return(supplier=supplier, aftersale_id=aftersale_id, actor=request.user)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, _("退货不存在"))
        _refused(request, exc)
    else:
        messages.success(request, _("已确认收到退货，将为买家退款"))
    return redirect("web:supplier_returns")


@supplier_page
def exceptions(request: HttpRequest, supplier) -> HttpResponse:
    items = [selectors.exception_view(e) for e in selectors.exceptions_for(supplier)[:100]]
    return render(request, "web/supplier/exceptions.html", {"supplier": supplier, "items": items})


@supplier_page
def stock(request: HttpRequest, supplier) -> HttpResponse:
    return render(
        request,
        "web/supplier/stock.html",
        {"supplier": supplier, "rows": selectors.stock_view(supplier), "max_mb": MAX_BYTES // (1024 * 1024)},
    )


def _date(raw):
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        return None


@require_POST
@supplier_page
def stock_receive(request: HttpRequest, supplier) -> HttpResponse:
    sku_id, quantity = positive_int(request.POST.get("sku_id")), positive_int(request.POST.get("quantity"))
    batch_number = (request.POST.get("batch_number") or "").strip()[:40]
    if sku_id is None or quantity is None or not batch_number:
        messages.error(request, _("请选择商品规格，填写批次号和入库数量"))
        return redirect("web:supplier_stock")
    try:
        services.receive_batch(
            supplier=supplier,
            sku_id=sku_id,
            quantity=quantity,
            batch_number=batch_number,
            production_date=_date(request.POST.get("production_date")),
            expiry_date=_date(request.POST.get("expiry_date")),
            actor=request.user,
            note=(request.POST.get("note") or "")[:200],
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已入库"))
    return redirect("web:supplier_stock")


@require_POST
@supplier_page
def stock_import(request: HttpRequest, supplier) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择文件"))
        return redirect("web:supplier_stock")
    if (upload.size or 0) > MAX_BYTES:
        messages.error(request, _("文件不能超过 2 MB"))
        return redirect("web:supplier_stock")
    try:
        services.import_stock(supplier=supplier, file=upload, actor=request.user)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("库存文件已导入"))
    return redirect("web:supplier_stock")
