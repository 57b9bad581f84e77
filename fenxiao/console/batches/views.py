"""Console pages of stock batches: 临期批次 (near expiry, with a clearance price as a timed discount)
and 批次追溯 (where a batch went, and starting its recall, which tells the 运营 staff)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fenxiao.common.errors import DomainError
from fenxiao.common.forms import YuanField
from fenxiao.common.money import yuan
from fenxiao.growth.services.stock_alerts import notify_recall
from fenxiao.inventory import selectors as inventory_selectors
from fenxiao.inventory.models import StockBatch
from fenxiao.inventory.services import record_recall
from fenxiao.orders.trace import batch_trace, find_batches
from fenxiao.promotions.services.clearance import clearance_price

from ..access import console_view, context

VIEW_STOCK = "inventory.view_stockrecord"
CLEARANCE = "promotions.add_timeddiscount"
TRACE = "orders.view_order"
RECALL = "inventory.add_batchrecall"
MAX_ROWS = 500


def _batch(batch_id: int) -> StockBatch:
    batch = StockBatch.objects.select_related("stock_record__sku__product").filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


@console_view(VIEW_STOCK)
def near_expiry(request: HttpRequest) -> HttpResponse:
    """Batches with free units whose expiry date is within the configured days, or past."""
    today = timezone.localdate()
    days = inventory_selectors.near_expiry_days()
    rows = [
        # `free` is the selector's annotation (its return type does not carry it)
        {"batch": b, "days_left": (cast(date, b.expiry_date) - today).days, "free": b.free}  # type: ignore[attr-defined]
        for b in inventory_selectors.near_expiry_batches(days=days, today=today)[:MAX_ROWS]
    ]
    return TemplateResponse(
        request,
        "console/batches/near_expiry.html",
        context(request, title=gettext("临期批次"), rows=rows, days=days, can_clear=request.user.has_perm(CLEARANCE)),
    )


class ClearanceForm(forms.Form):
    price_fen = YuanField(label=_("特价"), min_fen=1, help_text=_("每件售价，须低于零售价"))
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )


@console_view(VIEW_STOCK, CLEARANCE)
def clearance(request: HttpRequest, batch_id: int) -> HttpResponse:
    """临期特价: a price for the batch's SKU until a time, created as a timed discount."""
    batch = _batch(batch_id)
    sku = batch.stock_record.sku
    initial = {"ends_at": timezone.localtime() + timedelta(days=7)}
    if batch.expiry_date:
        initial["ends_at"] = timezone.make_aware(datetime.combine(batch.expiry_date, time.min)) - timedelta(minutes=1)
    form = ClearanceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            discount = clearance_price(
                sku.pk, form.cleaned_data["price_fen"], form.cleaned_data["ends_at"], request.user, batch_id=batch.pk
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("已创建限时折扣「%(name)s」") % {"name": discount.name})
            return redirect(reverse("console:batches_near_expiry"))
    return TemplateResponse(
        request,
        "console/batches/clearance.html",
        context(request, title=gettext("临期特价"), batch=batch, sku=sku, retail=yuan(sku.retail_fen), form=form),
    )


class TraceSearchForm(forms.Form):
    batch_number = forms.CharField(label=_("批次号"), max_length=40)
    sku_code = forms.CharField(label=_("SKU 编码"), max_length=64, required=False)


@console_view(TRACE)
def trace(request: HttpRequest) -> HttpResponse:
    """Search batches by number (and SKU code); the chosen batch's shipped lines and totals."""
    form = TraceSearchForm(request.GET or None)
    found: list[StockBatch] = []
    if form.is_valid():
        found = find_batches(form.cleaned_data["batch_number"], sku_code=form.cleaned_data["sku_code"])
    chosen = None
    result = None
    raw = request.GET.get("batch", "")
    if raw.isdigit():
        chosen = _batch(int(raw))
        result = batch_trace(chosen.pk)
    elif len(found) == 1:
        chosen = found[0]
        result = batch_trace(chosen.pk)
    recalls = list(chosen.recalls.select_related("actor")[:20]) if chosen else []
    return TemplateResponse(
        request,
        "console/batches/trace.html",
        context(
            request,
            title=gettext("批次追溯"),
            form=form,
            found=found,
            chosen=chosen,
            result=result,
            recalls=recalls,
            can_recall=request.user.has_perm(RECALL),
        ),
    )


@require_POST
@console_view(TRACE, RECALL)
def recall(request: HttpRequest, batch_id: int) -> HttpResponse:
    """发起召回: record it with the trace's reach and tell the 运营 staff."""
    batch = _batch(batch_id)
    found = batch_trace(batch.pk)
    note = request.POST.get("note", "")
    try:
        record_recall(
            batch_id=batch.pk,
            note=note,
            actor=request.user,
            orders=found.order_count,
            buyers=found.buyer_count,
            units=found.units,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        notify_recall(
            batch_number=batch.batch_number,
            sku=str(batch.stock_record.sku),
            orders=found.order_count,
            buyers=found.buyer_count,
            note=note.strip()[:200],
            url=f"{reverse('console:batches_trace')}?batch={batch.pk}",
        )
        messages.success(
            request,
            gettext("已发起召回：涉及 %(orders)s 个订单、%(buyers)s 位买家，已通知运营人员")
            % {"orders": found.order_count, "buyers": found.buyer_count},
        )
    return redirect(f"{reverse('console:batches_trace')}?batch={batch.pk}")
