from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "masked_phone", "nickname", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "phone", "nickname")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("会员资料"), {"fields": ("phone", "nickname", "first_name", "last_name", "email")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "phone", "nickname", "password1", "password2")}),
    )

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return obj.masked_phone


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at")
    search_fields = ("prefix", "user__username", "user__phone")

    def has_add_permission(self, request):
        return False
