"""Real-name records (masked) and identity conflicts: read-only for finance."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.phone import mask_phone

from ..models import (
    IdentityConflict,
    KycRecord,
)


@admin.register(KycRecord)
class KycRecordAdmin(ConsoleAdmin):
    """Read-only, masked: the ID number is never shown whole, not even to finance."""

    list_display = (
        "distributor",
        "real_name",
        "id_number_masked",
        "gender",
        "mobile_masked",
        "revision",
        "updated_at",
        "updated_by",
    )
    search_fields = ("distributor__code", "real_name", "id_last4")
    list_select_related = ("distributor__user", "updated_by")
    fields = (
        "distributor",
        "real_name",
        "id_number_masked",
        "gender",
        "birth_date",
        "mobile_masked",
        "created_at",
        "updated_at",
        "updated_by",
        "revision",
    )
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
class IdentityConflictAdmin(ConsoleAdmin):
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
