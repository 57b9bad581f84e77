"""The operator's view of consumers becoming distributors: the read-only list of invitations to apply
(who was invited after which order, through which distributor, when it applied and was approved) and
the conversion page (admin/growth/applyinvitation/conversion/) with the figures of
`selectors.conversion()` for a date range. Read-only, for staff who may view invitations."""

from __future__ import annotations

from datetime import date

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin

from .. import selectors
from ..errors import GrowthError
from ..models import ApplyInvitation

VIEW_PERMISSION = "growth.view_applyinvitation"


def can_view_conversion(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION))


class StageFilter(admin.SimpleListFilter):
    title = _("进度")
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return [("invited", _("仅邀请")), ("applied", _("已申请，未通过")), ("became", _("已成为分销商"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "invited":
            return queryset.filter(applied_at__isnull=True)
        if value == "applied":
            return queryset.filter(applied_at__isnull=False, approved_at__isnull=True)
        if value == "became":
            return queryset.filter(approved_at__isnull=False)
        return queryset


@admin.register(ApplyInvitation)
class ApplyInvitationAdmin(ConsoleAdmin):
    list_display = ("created_at", "user", "invited_by", "order", "applied_at", "approved_at", "stage")
    list_filter = (StageFilter,)
    search_fields = ("user__phone", "user__nickname", "invited_by__code", "order__number")
    list_select_related = ("user", "invited_by__user", "order")
    readonly_fields = ("user", "order", "invited_by", "created_at", "applied_at", "approved_at")
    fields = readonly_fields
    date_hierarchy = "created_at"
    change_list_template = "admin/growth/applyinvitation/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("进度"))
    def stage(self, obj):
        if obj.approved_at:
            return gettext("已成为分销商")
        if obj.applied_at:
            return gettext("已申请")
        return gettext("已邀请")

    def get_urls(self):
        own = [path("conversion/", self.admin_site.admin_view(self.conversion_view), name="growth_conversion")]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"can_view_conversion": can_view_conversion(request.user)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def conversion_view(self, request):
        if not can_view_conversion(request.user):
            raise PermissionDenied
        error = ""
        start = end = None
        try:
            start = _date(request.GET.get("from"))
            end = _date(request.GET.get("to"))
            report = selectors.conversion(start, end)
        except (ValueError, GrowthError) as exc:
            error = exc.message if isinstance(exc, GrowthError) else gettext("日期格式应为 YYYY-MM-DD")
            report = selectors.conversion()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("消费者转化"),
            "report": report,
            "error": error,
        }
        return TemplateResponse(request, "admin/growth/conversion.html", context)


def _date(text: str | None) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None
