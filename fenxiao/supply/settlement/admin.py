"""Finance's console for supplier settlement: statements with their lines and timeline, and payout
batches (create from confirmed statements, export the bank file once a second finance member approved,
import the results). Nothing here writes a status or money directly: the services do, with the
timelines and the ledger."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, PayoutBatchConsoleAdmin, ReadOnlyInline, show_money
from fenxiao.common.errors import DomainError

from ..models import StatementEvent, StatementLine, SupplierPayoutBatch, SupplierPayoutBatchEvent, SupplierStatement
from . import payouts

ADD = "supply.add_supplierpayoutbatch"
EXPORT = "supply.export_supplierpayoutbatch"
CHANGE = "supply.change_supplierpayoutbatch"


class StatementLineInline(ReadOnlyInline):
    model = StatementLine
    verbose_name = _("对账明细")
    verbose_name_plural = _("对账明细")
    fields = ("order_number", "sku_code", "product_name", "quantity", "unit_cost_fen", "owed_fen", "amount_fen")
    readonly_fields = fields


class StatementEventInline(ReadOnlyInline):
    model = StatementEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


@admin.register(SupplierStatement)
class SupplierStatementAdmin(ConsoleAdmin):
    list_display = (
        "number",
        "supplier",
        "period_start",
        "period_end",
        "status",
        "line_count",
        "goods_fen",
        "deduction_fen",
        "carried_fen",
        "payable_fen",
        "payout_batch",
    )
    list_filter = ("status", "supplier__settlement_cycle")
    search_fields = ("number", "supplier__name")
    list_select_related = ("supplier", "payout_batch")
    date_hierarchy = "period_end"
    inlines = [StatementLineInline, StatementEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in SupplierStatement._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SupplierPayoutBatchEventInline(ReadOnlyInline):
    model = SupplierPayoutBatchEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class BatchStatementInline(ReadOnlyInline):
    model = SupplierStatement
    fk_name = "payout_batch"
    verbose_name = _("批次对账单")
    verbose_name_plural = _("批次对账单")
    fields = ("number", "supplier", "status", "payable_fen", "paid_at", "failure_reason")
    readonly_fields = fields
    show_change_link = True


class ImportResultsForm(forms.Form):
    file = forms.FileField(
        label=_("结果文件"), help_text=_(".xlsx 或 CSV；表头至少含“对账单号”和“结果”（成功/失败），可选“失败原因”")
    )


@admin.register(SupplierPayoutBatch)
class SupplierPayoutBatchAdmin(PayoutBatchConsoleAdmin):
    results_form = ImportResultsForm
    results_line_count = "statement_count"
    results_note = _(
        "每张对账单的结果只处理一次：重复导入同一结果显示为“已处理”，与已导入结果矛盾的行显示为“冲突”，都不会改变任何数据。"
    )
    results_number_label = _("对账单号")
    list_display = ("number", "status", "statement_count", "amount_fen", "created_at", "created_by", "files")
    list_filter = ("status",)
    search_fields = ("number",)
    list_select_related = ("created_by",)
    inlines = [BatchStatementInline, SupplierPayoutBatchEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in SupplierPayoutBatch._meta.fields] + ["files"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("打款文件"))
    def files(self, obj):
        if obj is None or obj.pk is None:
            return ""
        links = [
            (reverse("admin:supply_supplierpayoutbatch_export", args=[obj.pk]), gettext("导出 Excel")),
            (reverse("admin:supply_supplierpayoutbatch_import", args=[obj.pk]), gettext("导入结果")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("create/", wrap(self.create_view), name="supply_supplierpayoutbatch_create"),
            path("<int:batch_id>/export/", wrap(self.export_view), name="supply_supplierpayoutbatch_export"),
            path("<int:batch_id>/import/", wrap(self.import_view), name="supply_supplierpayoutbatch_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_create_batch": request.user.has_perm(ADD)}
        return super().changelist_view(request, extra_context)

    def create_view(self, request):
        if not request.user.has_perm(ADD):
            raise PermissionDenied
        eligible = [
            (s, show_money(s.payable_fen)) for s in payouts.eligible_statements().select_related("supplier").order_by("id")[:500]
        ]
        error = ""
        if request.method == "POST":
            try:
                batch = payouts.create_batch(actor=request.user)
            except DomainError as exc:
                error = exc.message
            else:
                self.message_user(
                    request,
                    gettext("已创建供应商打款批次 %(n)s（%(count)s 笔），请另一位财务人员在待审批中复核")
                    % {"n": batch.number, "count": batch.statement_count},
                )
                return redirect("admin:supply_supplierpayoutbatch_change", batch.pk)
        context = self._context(request, gettext("新建供应商打款批次"), eligible=eligible, error=error)
        return TemplateResponse(request, "admin/supply/supplierpayoutbatch/create.html", context)

    def export_view(self, request, batch_id: int):
        if not request.user.has_perm(EXPORT):
            raise PermissionDenied
        get_object_or_404(SupplierPayoutBatch, pk=batch_id)
        try:
            exported = payouts.export_batch(batch_id=batch_id, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:supply_supplierpayoutbatch_change", batch_id)
        return self.file_response(exported)

    def import_view(self, request, batch_id: int):
        batch = get_object_or_404(SupplierPayoutBatch, pk=batch_id)
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        return self.results_page(request, batch, payouts.import_results)
