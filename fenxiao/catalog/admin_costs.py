"""The console's cost price changes (成本价变更): a read-only list of what was scheduled, applied or
cancelled, and the cancelling of a change that has not taken effect (through `costs.cancel_cost_change`)."""

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ReadOnlyAdmin, act_on_each
from fenxiao.common.money import yuan

from . import costs
from .models import SkuCostChange


@admin.register(SkuCostChange)
class SkuCostChangeAdmin(ReadOnlyAdmin):
    list_display = ("sku", "new_cost", "previous_cost", "effective_at", "status", "supplier", "requested_by", "applied_at")
    list_filter = ("status", "supplier")
    search_fields = ("sku__code", "sku__product__name")
    list_select_related = ("sku__product", "supplier", "requested_by")
    date_hierarchy = "effective_at"
    actions = ["cancel_changes"]
    fields = (
        "sku",
        "cost_fen",
        "previous_cost_fen",
        "effective_at",
        "status",
        "supplier",
        "requested_by",
        "applied_at",
        "cancelled_at",
        "created_at",
    )
    readonly_fields = fields

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("catalog.change_sku")

    @admin.display(description=_("新成本价"), ordering="cost_fen")
    def new_cost(self, obj):
        return f"¥{yuan(obj.cost_fen)}"

    @admin.display(description=_("原成本价"))
    def previous_cost(self, obj):
        return "-" if obj.previous_cost_fen is None else f"¥{yuan(obj.previous_cost_fen)}"

    @admin.action(description=_("取消所选的待生效变更"), permissions=["cancel"])
    def cancel_changes(self, request, queryset):
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda change: costs.cancel_cost_change(change.pk, actor=request.user),
            name=str,
            done_message=lambda n: gettext("已取消 %(n)d 个成本价变更") % {"n": n},
        )
