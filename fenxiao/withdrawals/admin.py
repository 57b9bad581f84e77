"""Finance's admin for withdrawals. Nothing here writes a status or money directly: approving,
rejecting, batching, exporting and importing results call the services, which write the timelines and
the ledger. ID and account numbers appear only masked; the full account numbers leave only in the
payout file, for users with the export permission."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ReadOnlyInline, act_on_each
from fenxiao.common.errors import DomainError
from fenxiao.common.money import format_rate, yuan
from fenxiao.common.phone import mask_phone

from . import selectors, services
from .errors import WithdrawalError
from .models import (
    Channel,
    IdentityConflict,
    KycRecord,
    PayoutBatch,
    PayoutBatchEvent,
    PayoutResult,
    Withdrawal,
    WithdrawalEvent,
    WithdrawalSettings,
)
from .services import payouts


def _money(fen) -> str:
    return f"¥{yuan(fen)}"


class ReasonActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


# --- withdrawals ------------------------------------------------------------------------------------


class WithdrawalEventInline(ReadOnlyInline):
    model = WithdrawalEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    action_form = ReasonActionForm
    list_display = (
        "number", "distributor", "status", "channel", "amount", "fee", "net", "payee_name", "account_masked",
        "batch", "requested_at",
    )
    list_filter = ("status", "channel", "requested_on", "batch")
    search_fields = ("number", "distributor__code", "payee_name", "external_reference")
    list_select_related = ("distributor__user", "batch")
    date_hierarchy = "requested_at"
    inlines = [WithdrawalEventInline]
    actions = ["approve", "reject", "make_batch"]
    exclude = ("account_encrypted", "request_digest")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Withdrawal._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("提现金额"), ordering="amount_fen")
    def amount(self, obj):
        return _money(obj.amount_fen)

    @admin.display(description=_("手续费"))
    def fee(self, obj):
        return _money(obj.fee_fen) if obj.fee_fen else "—"

    @admin.display(description=_("实际到账"))
    def net(self, obj):
        return _money(obj.net_fen)

    def _each(self, request, queryset, func, **kwargs):
        act_on_each(
            self, request, queryset.order_by("id"), lambda w: func(withdrawal_id=w.pk, actor=request.user, **kwargs),
            name=lambda w: w.number, done_message=lambda n: ngettext("已处理 %(n)d 笔提现", "已处理 %(n)d 笔提现", n) % {"n": n},
        )

    @admin.action(description=_("审核通过所选提现"), permissions=["change"])
    def approve(self, request, queryset):
        self._each(request, queryset, services.approve_withdrawal, note=request.POST.get("reason", ""))

    @admin.action(description=_("驳回所选提现（须在上方填写原因；金额退回可提现）"), permissions=["change"])
    def reject(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, gettext("驳回须填写原因"), messages.ERROR)
            return
        self._each(request, queryset, services.reject_withdrawal, reason=reason)

    @admin.action(description=_("用所选的待打款提现新建打款批次"), permissions=["batch"])
    def make_batch(self, request, queryset):
        try:
            batch = payouts.create_batch(actor=request.user, withdrawal_ids=list(queryset.values_list("pk", flat=True)))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.WARNING)
            return None
        self.message_user(request, gettext("已创建打款批次 %(n)s（%(count)s 笔）") % {"n": batch.number, "count": batch.line_count})
        return redirect("admin:withdrawals_payoutbatch_change", batch.pk)

    def has_batch_permission(self, request):
        return request.user.has_perm("withdrawals.add_payoutbatch")


# --- payout batches ---------------------------------------------------------------------------------


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
    fields = ("withdrawal", "outcome", "external_reference", "failure_reason", "source_name", "source_row", "created_at", "created_by")
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
    file = forms.FileField(label=_("结果文件"), help_text=_("CSV 或 .xlsx；表头至少含“提现单号”和“结果”（成功/失败），可选“打款流水号”“失败原因”"))


@admin.register(PayoutBatch)
class PayoutBatchAdmin(admin.ModelAdmin):
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
        return _money(obj.amount_fen)

    @admin.display(description=_("实付合计"))
    def net(self, obj):
        return _money(obj.net_fen)

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

    def _context(self, request, title: str, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

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
                self.message_user(request, gettext("已创建打款批次 %(n)s（%(count)s 笔）") % {"n": batch.number, "count": batch.line_count})
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
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        response["Cache-Control"] = "no-store"
        return response

    def import_view(self, request, batch_id: int):
        batch = get_object_or_404(PayoutBatch, pk=batch_id)
        if not request.user.has_perm("withdrawals.change_payoutbatch"):
            raise PermissionDenied
        form = ImportResultsForm(request.POST or None, request.FILES or None)
        summary, error = None, ""
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                summary = payouts.import_results(batch_id=batch.pk, actor=request.user, filename=upload.name, content=upload.read())
            except DomainError as exc:
                error = exc.message
            else:
                batch = summary.batch
        context = self._context(
            request, gettext("导入打款结果：%(n)s") % {"n": batch.number}, original=batch, form=form, summary=summary, error=error,
        )
        return TemplateResponse(request, "admin/withdrawals/payoutbatch/import_results.html", context)


# --- real-name records --------------------------------------------------------------------------


@admin.register(KycRecord)
class KycRecordAdmin(admin.ModelAdmin):
    """Read-only, masked: the ID number is never shown whole, not even to finance."""

    list_display = ("distributor", "real_name", "id_number_masked", "gender", "mobile_masked", "revision", "updated_at", "updated_by")
    search_fields = ("distributor__code", "real_name", "id_last4")
    list_select_related = ("distributor__user", "updated_by")
    fields = ("distributor", "real_name", "id_number_masked", "gender", "birth_date", "mobile_masked", "created_at", "updated_at", "updated_by", "revision")
    readonly_fields = fields

    @admin.display(description=_("手机号"))
    def mobile_masked(self, obj):
        return obj.masked_mobile

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdentityConflict)
class IdentityConflictAdmin(admin.ModelAdmin):
    """Real-name submissions refused because the ID number already backs another distributor."""

    list_display = ("created_at", "distributor", "holder", "real_name", "id_number_masked", "mobile_masked", "resolved")
    list_filter = ("resolved",)
    list_select_related = ("distributor__user", "holder__user")
    search_fields = ("distributor__code", "holder__code", "real_name")
    fields = ("created_at", "distributor", "holder", "real_name", "id_number_masked", "mobile_masked", "resolved")
    readonly_fields = ("created_at", "distributor", "holder", "real_name", "id_number_masked", "mobile_masked")

    @admin.display(description=_("手机号"))
    def mobile_masked(self, obj):
        return mask_phone(obj.mobile)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- settings -----------------------------------------------------------------------------------


class WithdrawalSettingsForm(forms.ModelForm):
    class Meta:
        model = WithdrawalSettings
        fields = services.SETTING_FIELDS

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.validate_settings_changes({k: data[k] for k in self.Meta.fields if k in data})
        except WithdrawalError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return data


@admin.register(WithdrawalSettings)
class WithdrawalSettingsAdmin(admin.ModelAdmin):
    form = WithdrawalSettingsForm
    list_display = ("__str__", "min_amount", "daily_cap", "fee", "wechat_enabled", "bank_enabled", "alipay_enabled", "updated_at")
    readonly_fields = ("updated_at", "updated_by")

    @admin.display(description=_("最低提现"))
    def min_amount(self, obj):
        return _money(obj.min_amount_fen)

    @admin.display(description=_("每日上限"))
    def daily_cap(self, obj):
        return _money(obj.daily_cap_fen)

    @admin.display(description=_("手续费"))
    def fee(self, obj):
        return format_rate(obj.fee_bp)

    def has_add_permission(self, request):
        return not WithdrawalSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        services.get_settings()
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        changes = {k: form.cleaned_data[k] for k in WithdrawalSettingsForm.Meta.fields}
        saved = services.update_settings(actor=request.user, **changes)
        obj.pk = saved.pk

