"""Operator admin for stock. Quantities are read-only everywhere: they change only through
inventory.services, from the 库存调整 page of a record (or of a SKU, the page the catalog admin
links to), and each change is logged beside the movement the service writes."""

from django import forms
from django.contrib import admin
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.catalog.models import Sku
from fenxiao.common.admin import ConsoleAdmin, ReadOnlyAdmin

from . import services
from .errors import InventoryError
from .models import MAIN_LOCATION, BatchRecall, Reservation, StockBatch, StockMovement, StockRecord

RECENT_MOVEMENTS = 10


class StockForm(forms.Form):
    ACTIONS = [("receive", _("入库")), ("adjust", _("盘点调整"))]

    action = forms.ChoiceField(label=_("操作"), choices=ACTIONS, initial="receive", widget=forms.RadioSelect)
    quantity = forms.IntegerField(
        label=_("数量"), help_text=_("入库填正数；盘点调整填正数增加、负数减少。在库不会低于已占用的数量")
    )
    note = forms.CharField(label=_("备注"), max_length=100, required=False)
    batch_number = forms.CharField(
        label=_("批次号"), max_length=40, required=False, help_text=_("入库：留空则自动生成；同一批次号再次入库累加")
    )
    production_date = forms.DateField(label=_("生产日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expiry_date = forms.DateField(label=_("到期日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    batch = forms.ModelChoiceField(
        label=_("调整批次"),
        queryset=StockBatch.objects.none(),
        required=False,
        help_text=_("盘点调整：留空时减少按先到期先出，增加记入新批次"),
    )

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        if record is not None:
            self.fields["batch"].queryset = record.batches.order_by(F("expiry_date").asc(nulls_last=True), "id")

    def clean(self):
        data = super().clean()
        produced, expires = data.get("production_date"), data.get("expiry_date")
        if produced and expires and expires < produced:
            self.add_error("expiry_date", gettext("到期日不能早于生产日期"))
        return data


class BelowSafetyFilter(admin.SimpleListFilter):
    title = _("安全库存")
    parameter_name = "safety"

    def lookups(self, request, model_admin):
        return [("below", _("低于安全库存"))]

    def queryset(self, request, queryset):
        if self.value() == "below":
            return queryset.alias(free=F("on_hand") - F("reserved")).filter(safety_stock__gt=0, free__lt=F("safety_stock"))
        return queryset


class StockRecordForm(forms.ModelForm):
    class Meta:
        model = StockRecord
        fields = ("safety_stock",)

    def clean_safety_stock(self):
        value = self.cleaned_data["safety_stock"]
        if value is None or value < 0:
            raise forms.ValidationError(_("安全库存必须是不小于 0 的整数"))
        return value


@admin.register(StockRecord)
class StockRecordAdmin(ConsoleAdmin):
    form = StockRecordForm
    list_display = ("sku", "location", "on_hand", "reserved", "available_units", "safety_stock", "safety_state", "manage_link")
    list_filter = ("location", BelowSafetyFilter)
    search_fields = ("sku__code", "sku__product__name", "sku__spec")
    list_select_related = ("sku__product",)
    fields = ("sku", "location", "on_hand", "reserved", "available_units", "safety_stock", "manage_link", "batch_table")
    readonly_fields = ("sku", "location", "on_hand", "reserved", "available_units", "manage_link", "batch_table")

    def has_add_permission(self, request):
        return False  # a record appears with its first receipt, on the 库存调整 page

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("可售"))
    def available_units(self, obj):
        return obj.available

    @admin.display(description=_("高于安全库存"), boolean=True)
    def safety_state(self, obj):
        return not obj.below_safety

    @admin.display(description=_("操作"))
    def manage_link(self, obj):
        if not obj.pk:
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:inventory_stockrecord_adjust", args=[obj.pk]), gettext("库存调整")
        )

    @admin.display(description=_("批次（先到期先出）"))
    def batch_table(self, obj):
        """The record's batches with units, read-only (they change through receipts, counts and orders)."""
        if not obj.pk:
            return ""
        batches = obj.batches.filter(on_hand__gt=0).order_by(F("expiry_date").asc(nulls_last=True), "id")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((b.batch_number, b.production_date or "", b.expiry_date or "", b.on_hand, b.reserved) for b in batches),
        )
        if not rows:
            return gettext("暂无批次")
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("批次号"),
            gettext("生产日期"),
            gettext("到期日"),
            gettext("在库"),
            gettext("已占用"),
        )
        return format_html('<table class="stock-batches"><thead>{}</thead><tbody>{}</tbody></table>', head, rows)

    def save_model(self, request, obj, form, change):
        services.set_safety_stock(sku_id=obj.sku_id, quantity=form.cleaned_data["safety_stock"], location=obj.location)

    def get_urls(self):
        own = [
            path(
                "<int:record_id>/adjust/", self.admin_site.admin_view(self.record_stock_view), name="inventory_stockrecord_adjust"
            ),
            path("sku/<int:sku_id>/", self.admin_site.admin_view(self.sku_stock_view), name="inventory_stockrecord_sku"),
        ]
        return own + super().get_urls()

    def record_stock_view(self, request, record_id):
        record = get_object_or_404(StockRecord.objects.select_related("sku__product"), pk=record_id)
        return self._stock_page(request, record.sku, record.location)

    def sku_stock_view(self, request, sku_id):
        sku = get_object_or_404(Sku.objects.select_related("product"), pk=sku_id)
        return self._stock_page(request, sku, MAIN_LOCATION)

    def _stock_page(self, request, sku, location):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        record = StockRecord.objects.filter(sku=sku, location=location).first()
        form = StockForm(request.POST or None, record=record)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "receive":
                    record = services.receive_stock(
                        sku_id=sku.pk,
                        quantity=data["quantity"],
                        location=location,
                        actor=request.user,
                        note=data["note"],
                        batch_number=data["batch_number"],
                        production_date=data["production_date"],
                        expiry_date=data["expiry_date"],
                    )
                else:
                    record = services.adjust_stock(
                        sku_id=sku.pk,
                        delta=data["quantity"],
                        location=location,
                        actor=request.user,
                        note=data["note"],
                        batch_id=data["batch"].pk if data["batch"] else None,
                    )
            except InventoryError as exc:
                form.add_error("quantity", exc.message)
            else:
                verb = "入库" if data["action"] == "receive" else "库存调整"
                self.log_change(
                    request,
                    record,
                    f"{verb} {data['quantity']:+d}，在库 {record.on_hand}，已占用 {record.reserved}。{data['note']}",
                )
                self.message_user(
                    request,
                    gettext("库存已更新：在库 %(on_hand)s，可售 %(available)s")
                    % {"on_hand": record.on_hand, "available": record.available},
                )
                return redirect("admin:inventory_stockrecord_change", record.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("库存调整：%(sku)s（%(location)s）") % {"sku": sku, "location": location},
            "sku": sku,
            "record": record,
            "location": location,
            "movements": list(record.movements.select_related("actor")[:RECENT_MOVEMENTS]) if record else [],
            "form": form,
        }
        return TemplateResponse(request, "admin/inventory/stockrecord/stock_form.html", context)


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "stock_record", "quantity", "status", "expires_at", "created_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("reference", "stock_record__sku__code")
    list_select_related = ("stock_record__sku__product",)
    date_hierarchy = "created_at"


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "stock_record", "kind", "on_hand_delta", "reserved_delta", "reference", "actor", "note")
    list_filter = ("kind", "stock_record__location")
    search_fields = ("reference", "stock_record__sku__code", "note")
    list_select_related = ("stock_record__sku__product", "actor")
    date_hierarchy = "created_at"


@admin.register(StockBatch)
class StockBatchAdmin(ReadOnlyAdmin):
    list_display = ("batch_number", "stock_record", "production_date", "expiry_date", "on_hand", "reserved", "received_at")
    list_filter = ("stock_record__location",)
    search_fields = ("batch_number", "stock_record__sku__code", "stock_record__sku__product__name")
    list_select_related = ("stock_record__sku__product",)
    ordering = ("expiry_date", "id")


@admin.register(BatchRecall)
class BatchRecallAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "batch", "note", "order_count", "buyer_count", "units", "actor")
    search_fields = ("batch__batch_number", "note")
    list_select_related = ("batch__stock_record__sku__product", "actor")
    date_hierarchy = "created_at"
