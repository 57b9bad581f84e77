from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.phone import mask_phone

from .models import Address


@admin.register(Address)
class AddressAdmin(ConsoleAdmin):
    """Read-only for staff: buyers keep their own book; orders hold their own copy of the address."""

    list_display = ("id", "user", "receiver", "masked_phone", "region_label", "is_default", "updated_at")
    list_filter = ("is_default", "province")
    search_fields = ("user__phone", "receiver")
    readonly_fields = [f.name for f in Address._meta.fields]
    list_select_related = ("user",)

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: Address) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
