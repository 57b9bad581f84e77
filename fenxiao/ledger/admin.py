"""Operator admin for the ledger: read-only. The ledger changes only through ledger.services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fenxiao.common.money import yuan

from .models import Account, Entry, Transaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False
    fields = ("account", "side", "amount", "created_at")
    readonly_fields = fields
    ordering = ("id",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("金额（元）"))
    def amount(self, obj):
        return yuan(obj.amount_fen)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "balance", "allow_negative", "owner_type", "owner_id", "created_at")
    list_filter = ("kind", "allow_negative", "owner_type")
    search_fields = ("code", "name")
    readonly_fields = ("code", "name", "kind", "allow_negative", "owner_type", "owner_id", "balance", "created_at")
    fields = readonly_fields

    @admin.display(description=_("余额（元）"), ordering="balance_fen")
    def balance(self, obj):
        return yuan(obj.balance_fen)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "reference", "memo", "idempotency_key", "created_by")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "reference", "memo", "entries__account__code")
    list_select_related = ("created_by",)
    readonly_fields = ("idempotency_key", "kind", "memo", "reference", "reverses", "created_at", "created_by")
    fields = readonly_fields
    inlines = [EntryInline]
    date_hierarchy = "created_at"
