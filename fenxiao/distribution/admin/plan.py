"""The operator's distribution plan in the console: the settings and the levels, saved through the services,
so the console refuses exactly what the API refuses (a third commission level above all)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.money import format_rate

from .. import services
from ..errors import DistributionError
from ..models import DistributionSettings, Level


class DistributionSettingsForm(forms.ModelForm):
    class Meta:
        model = DistributionSettings
        fields = (
            "admission_mode",
            "threshold_fen",
            "binding_policy",
            "binding_days",
            "commission_levels",
            "self_purchase_commission",
            "staff_may_distribute",
        )

    def clean_commission_levels(self):
        try:
            return services.validate_commission_levels(self.cleaned_data.get("commission_levels"))
        except DistributionError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.validate_settings_changes({k: data[k] for k in self.Meta.fields if k in data})
        except DistributionError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return data


@admin.register(DistributionSettings)
class DistributionSettingsAdmin(ConsoleAdmin):
    form = DistributionSettingsForm
    list_display = ("__str__", "admission_mode", "binding_policy", "binding_days", "commission_levels", "updated_at")
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request):
        return not DistributionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        services.get_settings()
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        changes = {k: form.cleaned_data[k] for k in DistributionSettingsForm.Meta.fields}
        saved = services.update_settings(actor=request.user, **changes)
        obj.pk = saved.pk


class LevelForm(forms.ModelForm):
    class Meta:
        model = Level
        fields = ("name", "rank", "direct_rate_bp", "indirect_rate_bp", "team_bonus_bp", "description")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.validate_level_values(
                name=data["name"],
                rank=data["rank"],
                direct_rate_bp=data["direct_rate_bp"],
                indirect_rate_bp=data["indirect_rate_bp"],
                team_bonus_bp=data.get("team_bonus_bp") or 0,
            )
        except DistributionError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return data


@admin.register(Level)
class LevelAdmin(ConsoleAdmin):
    form = LevelForm
    list_display = ("name", "rank", "direct_rate", "indirect_rate", "team_bonus", "description")
    ordering = ("rank",)

    @admin.display(description=_("直推佣金"), ordering="direct_rate_bp")
    def direct_rate(self, obj):
        return format_rate(obj.direct_rate_bp)

    @admin.display(description=_("间推佣金"), ordering="indirect_rate_bp")
    def indirect_rate(self, obj):
        return format_rate(obj.indirect_rate_bp)

    @admin.display(description=_("团队奖励"))
    def team_bonus(self, obj):
        return format_rate(obj.team_bonus_bp)

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in LevelForm.Meta.fields}
        try:
            saved = services.save_level(level=obj if change else None, **data)
        except DistributionError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = saved.pk
