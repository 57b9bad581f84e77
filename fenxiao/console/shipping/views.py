"""Console pages of the orders area: batch shipping by file (upload → preview → apply as a background
job) with its template, and the printable packing list."""

from __future__ import annotations

from django import forms
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fenxiao.common.errors import DomainError
from fenxiao.orders import selectors as order_selectors

from ..access import console_view, context
from ..jobs import services as jobs
from . import imports
from .background import SHIP_IMPORT
from .files import MAX_UPLOAD_BYTES, xlsx_file

SHIP_PERMISSION = "orders.ship_order"
PAYLOAD_SALT = "console.shipping.import"
PAYLOAD_MAX_AGE = 60 * 60  # a preview is applied within the hour, or checked again
MAX_PACKING_ORDERS = 200


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("发货文件"),
        help_text=_("Excel（.xlsx）或 CSV 文件，第一行为表头：订单号、快递公司、快递单号；不超过 5 MB"),
    )


def _payload(request: HttpRequest, rows: list[imports.ShipRow]) -> str:
    return signing.dumps({"by": request.user.pk, "rows": [row.as_data() for row in rows]}, salt=PAYLOAD_SALT, compress=True)


def _rows_from_payload(request: HttpRequest, payload: str) -> list[imports.ShipRow] | None:
    try:
        data = signing.loads(payload, salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("by") != request.user.pk:
        return None
    return imports.rows_from_data(data["rows"])


def _page(request: HttpRequest, **more) -> TemplateResponse:
    return TemplateResponse(
        request,
        "console/shipping/import.html",
        context(request, title=gettext("批量发货"), columns=imports.COLUMNS, **more),
    )


@console_view(SHIP_PERMISSION)
def ship_import(request: HttpRequest) -> HttpResponse:
    """Upload a file and see what applying it would do; nothing is written here."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", gettext("文件不能超过 5 MB"))
        else:
            try:
                rows = imports.parse_rows(upload.name, upload.read())
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                preview = imports.check_rows(rows)
                return _page(request, form=UploadForm(), preview=preview, payload=_payload(request, rows), filename=upload.name)
    return _page(request, form=form)


@require_POST
@console_view(SHIP_PERMISSION)
def ship_import_apply(request: HttpRequest) -> HttpResponse:
    """Apply a previewed file: ship its ready rows in the background (checked again when the job runs)."""
    rows = _rows_from_payload(request, request.POST.get("payload", ""))
    if rows is None:
        return _page(request, form=UploadForm(), error=gettext("预览已过期或无效，请重新上传文件"))
    valid_only = request.POST.get("valid_only") == "1"
    preview = imports.check_rows(rows)
    if preview.errors and not valid_only:
        return _page(
            request,
            form=UploadForm(),
            preview=preview,
            payload=_payload(request, rows),
            error=gettext("文件有错误行，未发货任何订单；请改正后重新上传，或选择“只发货无误的行”"),
        )
    job = jobs.start(
        SHIP_IMPORT,
        by=request.user,
        params={"rows": [row.as_data() for row in rows], "valid_only": valid_only},
    )
    return redirect("console:job", job.pk)


@console_view(SHIP_PERMISSION)
def ship_template(request: HttpRequest) -> HttpResponse:
    example = [["202601010000000001", gettext("顺丰速运"), "SF1234567890"]]
    response = HttpResponse(
        xlsx_file(list(imports.COLUMNS), example),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="ship-import-template.xlsx"'
    return response


@console_view("orders.view_order")
def packing_list(request: HttpRequest) -> HttpResponse:
    """The packing slips of the chosen orders (`?ids=1,2,3`), styled for printing: the full receiver,
    phone and address (the courier's label needs them) and each line's SKU and quantity."""
    raw = request.GET.get("ids", "")
    try:
        ids = sorted({int(part) for part in raw.split(",") if part.strip()})
    except ValueError:
        return HttpResponseBadRequest(gettext("订单编号有误"))
    if not ids or len(ids) > MAX_PACKING_ORDERS:
        return HttpResponseBadRequest(gettext("请选择 1 至 %(max)s 个订单") % {"max": MAX_PACKING_ORDERS})
    orders = order_selectors.orders_for_packing(ids)
    return TemplateResponse(
        request, "console/shipping/packing_list.html", context(request, title=gettext("配货单"), orders=orders)
    )
