"""Payout batches: creating one, exporting its payout file (full account numbers, for users with
the export permission only) and importing the results the bank sends back."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import PayoutBatchConsoleAdmin, ReadOnlyInline
from fenxiao.common.errors import DomainError

from .. import selectors
from ..models import (
    Channel,
    PayoutBatch,
    PayoutBatchEvent,
    PayoutResult,
    Withdrawal,
)
from ..services import payouts
from .withdrawals import money_cell


class BatchLineInline(ReadOnlyInline):
    model = Withdrawal
    fk_name = "batch"
    verbose_name = _("批次明细")
    verbose_name_plural = _("批次明细")
    fields = ("batch_line", "number", "channel", "payee_name", "account_masked", "amount_fen", "fee_fen", "net_fen", "status")
    readonly_fields = fields
    ordering = ("batch_line",)
    show_change_link = True


class PayoutResultInline(ReadOnlyInline):
    model = PayoutResult
    fields = (
        "withdrawal",
        "outcome",
        "external_reference",
        "failure_reason",
        "source_name",
        "source_row",
        "created_at",
        "created_by",
    )
    readonly_fields = fields


class PayoutBatchEventInline(ReadOnlyInline):
    model = PayoutBatchEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class CreateBatchForm(forms.Form):
    channel = forms.ChoiceField(label=_("渠道"), required=False)

    def __init__(self, *args, counts: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        total = sum(counts.values())
        self.fields["channel"].choices = [("", gettext("全部渠道（%(n)s 笔）") % {"n": total})] + [
            (code, f"{label}（{counts.get(code, 0)}）") for code, label in Channel.choices
        ]


class ImportResultsForm(forms.Form):
    file = forms.FileField(
        label=_("结果文件"), help_text=_("CSV 或 .xlsx；表头至少含“提现单号”和“结果”（成功/失败），可选“打款流水号”“失败原因”")
    )


@admin.register(PayoutBatch)
class PayoutBatchAdmin(PayoutBatchConsoleAdmin):
    results_form = ImportResultsForm
    results_line_count = "line_count"
    results_note = _(
        "每笔提现的结果只入账一次：重复导入同一结果显示为“已处理”，与已导入结果矛盾的行显示为“冲突”，都不会改变任何数据。"
    )
    results_number_label = _("提现单号")
    list_display = ("number", "status", "channel", "line_count", "amount", "net", "results", "created_at", "created_by", "files")
    list_filter = ("status", "channel")
    search_fields = ("number",)
    list_select_related = ("created_by",)
    inlines = [BatchLineInline, PayoutResultInline, PayoutBatchEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(results_count=Count("results"))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PayoutBatch._meta.fields] + ["files"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("提现金额"), ordering="amount_fen")
    def amount(self, obj):
        return money_cell(obj.amount_fen)

    @admin.display(description=_("实付合计"))
    def net(self, obj):
        return money_cell(obj.net_fen)

    @admin.display(description=_("已回传"))
    def results(self, obj):
        count = getattr(obj, "results_count", None)
        return f"{obj.results.count() if count is None else count} / {obj.line_count}"

    @admin.display(description=_("打款文件"))
    def files(self, obj):
        if obj is None or obj.pk is None:
            return ""
        links = [
            (reverse("admin:withdrawals_payoutbatch_export", args=[obj.pk, "csv"]), gettext("导出 CSV")),
            (reverse("admin:withdrawals_payoutbatch_export", args=[obj.pk, "xlsx"]), gettext("导出 Excel")),
            (reverse("admin:withdrawals_payoutbatch_import", args=[obj.pk]), gettext("导入结果")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("create/", wrap(self.create_view), name="withdrawals_payoutbatch_create"),
            path("<int:batch_id>/export/<str:fmt>/", wrap(self.export_view), name="withdrawals_payoutbatch_export"),
            path("<int:batch_id>/import/", wrap(self.import_view), name="withdrawals_payoutbatch_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_create_batch": request.user.has_perm("withdrawals.add_payoutbatch")}
        return super().changelist_view(request, extra_context)

    def create_view(self, request):
        if not request.user.has_perm("withdrawals.add_payoutbatch"):
            raise PermissionDenied
        counts = dict(selectors.eligible_for_batch().order_by().values_list("channel").annotate(n=Count("id")))
        form = CreateBatchForm(request.POST or None, counts=counts)
        if request.method == "POST" and form.is_valid():
            try:
                batch = payouts.create_batch(actor=request.user, channel=form.cleaned_data["channel"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, gettext("已创建打款批次 %(n)s（%(count)s 笔）") % {"n": batch.number, "count": batch.line_count}
                )
                return redirect("admin:withdrawals_payoutbatch_change", batch.pk)
        context = self._context(request, gettext("新建打款批次"), form=form, eligible=sum(counts.values()))
        return TemplateResponse(request, "admin/withdrawals/payoutbatch/create.html", context)

    def export_view(self, request, batch_id: int, fmt: str):
        if not request.user.has_perm("withdrawals.export_payoutbatch"):
            raise PermissionDenied
        get_object_or_404(PayoutBatch, pk=batch_id)
        try:
            exported = payouts.export_batch(batch_id=batch_id, actor=request.user, fmt=fmt)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:withdrawals_payoutbatch_change", batch_id)
        return self.file_response(exported)

    def import_view(self, request, batch_id: int):
        batch = get_object_or_404(PayoutBatch, pk=batch_id)
        if not request.user.has_perm("withdrawals.change_payoutbatch"):
            raise PermissionDenied
        return self.results_page(request, batch, payouts.import_results)


# --- real-name records --------------------------------------------------------------------------
