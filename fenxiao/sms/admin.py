from django.contrib import admin

from fenxiao.common.admin import ConsoleAdmin

from .models import VerificationCode


@admin.register(VerificationCode)
class VerificationCodeAdmin(ConsoleAdmin):
    """What was sent to whom and what became of it; the codes themselves are never stored."""

    list_display = ("__str__", "created_at", "expires_at", "attempts", "used_at", "voided_at", "provider", "client_address")
    list_filter = ("purpose", "provider")
    search_fields = ("phone", "provider_ref")
    date_hierarchy = "created_at"
    exclude = ("code_hash",)
    readonly_fields = [f.name for f in VerificationCode._meta.fields if f.name != "code_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
