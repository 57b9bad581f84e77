"""The withdrawal settings: one row, edited through the same rules as the API."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.money import format_rate

from .. import services
from ..errors import WithdrawalError
from ..models import (
    WithdrawalSettings,
)
from .withdrawals import money_cell


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
class WithdrawalSettingsAdmin(ConsoleAdmin):
    form = WithdrawalSettingsForm
    list_display = ("__str__", "min_amount", "daily_cap", "fee", "wechat_enabled", "bank_enabled", "alipay_enabled", "updated_at")
    readonly_fields = ("updated_at", "updated_by")

    @admin.display(description=_("最低提现"))
    def min_amount(self, obj):
        return money_cell(obj.min_amount_fen)

    @admin.display(description=_("每日上限"))
    def daily_cap(self, obj):
        return money_cell(obj.daily_cap_fen)

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
