"""Operator admin for the settlement schedule and the settlement batches.

The schedule is a single row edited through `settlement.update_settlement_settings` (so the admin
validates exactly like the API). Batches are read-only; "运行到期结算" posts to the console's job
start: the batch that is due now runs as a background job (the same call the scheduled job makes) and
does nothing when this period's batch already ran.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.money import yuan

from ..errors import CommissionError
from ..models import CommissionSettings, SettlementBatch
from ..services import settlement


class CommissionSettingsForm(forms.ModelForm):
    class Meta:
        model = CommissionSettings
        fields = ["ceiling_bp", "schedule", "t_plus_days", "weekday", "month_day"]

    def clean(self):
        data = super().clean()
        try:
            settlement.validate_schedule(
                schedule=data.get("schedule"),
                t_plus_days=data.get("t_plus_days"),
                weekday=data.get("weekday"),
                month_day=data.get("month_day"),
            )
        except CommissionError as exc:
            raise forms.ValidationError(exc.message) from exc
        ceiling = data.get("ceiling_bp")
        if ceiling is not None and not 0 <= ceiling <= 10000:
            self.add_error("ceiling_bp", gettext("佣金上限必须是毛利的 0–100%"))
        return data


@admin.register(CommissionSettings)
class CommissionSettingsAdmin(ConsoleAdmin):
    form = CommissionSettingsForm
    list_display = ("__str__", "ceiling_bp", "schedule", "t_plus_days", "weekday", "month_day", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request):
        return not CommissionSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = settlement.update_settlement_settings(
            actor=request.user,
            schedule=data["schedule"],
            t_plus_days=data["t_plus_days"],
            weekday=data["weekday"],
            month_day=data["month_day"],
        )
        if data["ceiling_bp"] != saved.ceiling_bp:
            settlement.set_margin_ceiling(actor=request.user, ceiling_bp=data["ceiling_bp"])
        obj.pk = saved.pk


@admin.register(SettlementBatch)
class SettlementBatchAdmin(ConsoleAdmin):
    list_display = (
        "period",
        "schedule",
        "cutoff",
        "commission_count",
        "distributor_count",
        "amount",
        "started_at",
        "duration",
        "created_by",
    )
    list_filter = ("schedule",)
    search_fields = ("period",)
    readonly_fields = [f.name for f in SettlementBatch._meta.fields]
    change_list_template = "admin/commissions/settlementbatch/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("结算金额（元）"))
    def amount(self, obj):
        return yuan(obj.amount_fen)

    @admin.display(description=_("耗时（秒）"))
    def duration(self, obj):
        return f"{(obj.finished_at - obj.started_at).total_seconds():.2f}"

    def changelist_view(self, request, extra_context=None):
        extra = {
            "due": settlement.due_summary(),
            "conf": settlement.settlement_settings(),
            "can_run": request.user.has_perm("commissions.add_settlementbatch"),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})
