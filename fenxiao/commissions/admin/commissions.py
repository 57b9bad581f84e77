"""Operator admin for commissions: read-only. Commissions change only through commissions.services.
The list also serves finance's reconciliation page (see `finance`)."""

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.admin_filters import range_filter
from fenxiao.common.money import format_rate, yuan

from ..models import Commission
from .finance import reconciliation_view


@admin.register(Commission)
class CommissionAdmin(ConsoleAdmin):
    list_display = (
        "order",
        "order_line",
        "distributor",
        "depth",
        "rate",
        "amount",
        "cancelled",
        "clawed_back",
        "status",
        "capped",
    )
    list_filter = (
        "status",
        "depth",
        range_filter("created_at", _("入账日期")),
        range_filter("settled_at", _("结算日期")),
        range_filter("amount_fen", _("佣金（元）"), kind="yuan"),
        "capped",
    )
    search_fields = ("order__number", "distributor__code", "=distributor__user__phone")
    search_help_text = _("订单号、分销商编码或分销商手机号")
    list_select_related = ("order", "order_line", "distributor__user")
    readonly_fields = [f.name for f in Commission._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        site = self.admin_site
        view = site.admin_view(lambda request: reconciliation_view(request, site=site))
        return [path("reconciliation/", view, name="commissions_reconciliation"), *super().get_urls()]

    @admin.display(description=_("比例"))
    def rate(self, obj):
        if obj.mode == Commission.Mode.FIXED:
            return _("每件 ¥%(fixed)s") % {"fixed": yuan(obj.fixed_fen)}
        return format_rate(obj.rate_bp or 0)

    @admin.display(description=_("佣金（元）"))
    def amount(self, obj):
        return yuan(obj.amount_fen)

    @admin.display(description=_("已取消（元）"))
    def cancelled(self, obj):
        return yuan(obj.cancelled_fen)

    @admin.display(description=_("已追回（元）"))
    def clawed_back(self, obj):
        return yuan(obj.clawed_back_fen)
