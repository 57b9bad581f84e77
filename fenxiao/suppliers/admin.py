from django.contrib import admin

from fenxiao.common.admin import ConsoleAdmin

from .models import Supplier


@admin.register(Supplier)
class SupplierAdmin(ConsoleAdmin):
    list_display = ("name", "contact_name", "contact_phone", "user", "is_active", "created_at")
    search_fields = ("name", "contact_name", "contact_phone")
    list_filter = ("is_active",)
    raw_id_fields = ("user",)
