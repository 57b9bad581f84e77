"""Supply chain's console for samples: the monthly quota of each distributor level, and the requests
to approve (into a zero-price sample order) or reject with a reason, with each distributor's units of
the request's month beside it and a page of the month's totals per distributor. The services do
every write."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common import periods
from fenxiao.common.admin import ConsoleAdmin, ReadOnlyInline, act_on_each

from ..errors import SupplyError
from ..models import SampleQuota, SampleRequest, SampleRequestEvent
from ..scorecard.selectors import parse_month_or_error
from . import selectors, services

REVIEW = "supply.review_samplerequest"


@admin.register(SampleQuota)
class SampleQuotaAdmin(ConsoleAdmin):
    list_display = ("level", "units_per_month")
    list_editable = ("units_per_month",)
    list_select_related = ("level",)
    ordering = ("level__rank",)


class SampleRequestEventInline(ReadOnlyInline):
    model = SampleRequestEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("拒绝原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 40}), help_text=_("分销商可以看到")
    )


@admin.register(SampleRequest)
class SampleRequestAdmin(ConsoleAdmin):
    list_display = (
        "id",
        "distributor",
        "product",
        "quantity",
        "month_label",
        "month_units",
        "status",
        "reason",
        "order_link",
        "created_at",
        "decided_at",
    )
    list_filter = ("status", "month")
    search_fields = ("distributor__code", "distributor__real_name", "sku__code", "sku__product__name", "order__number")
    list_select_related = ("distributor__user", "sku__product", "order")
    readonly_fields = (
        "distributor",
        "sku",
        "quantity",
        "reason",
        "month",
        "status",
        "reject_reason",
        "receiver",
        "receiver_phone",
        "province",
        "city",
        "district",
        "address_detail",
        "order",
        "created_at",
        "decided_at",
    )
    fields = readonly_fields
    inlines = [SampleRequestEventInline]
    actions = ["approve", "reject"]
    change_list_template = "admin/supply/samplerequest/change_list.html"

    def get_queryset(self, request):
        units = (
            SampleRequest.objects.filter(
                distributor_id=OuterRef("distributor_id"), month=OuterRef("month"), status__in=selectors.COUNTED
            )
            .order_by()
            .values("distributor_id")
            .annotate(n=Sum("quantity"))
            .values("n")
        )
        return super().get_queryset(request).annotate(month_units_n=Coalesce(Subquery(units, output_field=IntegerField()), 0))

    @admin.display(description=_("商品"))
    def product(self, obj):
        return f"{obj.sku.product.name} {obj.sku.spec}".strip()

    @admin.display(description=_("月份"), ordering="month")
    def month_label(self, obj):
        return periods.month_label(obj.month)

    @admin.display(description=_("该分销商当月件数"), ordering="month_units_n")
    def month_units(self, obj):
        return obj.month_units_n

    @admin.display(description=_("样品单"))
    def order_link(self, obj):
        if not obj.order_id:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number)

    def has_add_permission(self, request):
        return False  # distributors request them

    def has_change_permission(self, request, obj=None):
        return False  # decided through the actions only

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return request.user.has_perm(REVIEW)

    def get_urls(self):
        totals = self.admin_site.admin_view(self.totals_view)
        return [path("totals/", totals, name="supply_samplerequest_totals"), *super().get_urls()]

    def totals_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            month = parse_month_or_error(request.GET.get("month") or None)
        except SupplyError:  # a malformed month shows the current one
            month = parse_month_or_error(None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("样品月度统计（按分销商）"),
            "month": periods.month_label(month),
            "previous": periods.month_label(periods.month_start(periods.month_index(month) - 1)),
            "next": periods.month_label(periods.month_start(periods.month_index(month) + 1)),
            "rows": selectors.monthly_totals(month),
        }
        return TemplateResponse(request, "admin/supply/samplerequest/totals.html", context)

    @admin.action(description=_("批准（生成 0 元样品单）"), permissions=["review"])
    def approve(self, request, queryset):
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda r: services.approve_request(request_id=r.pk, actor=request.user),
            name=lambda r: gettext("样品申请 #%(id)s") % {"id": r.pk},
            done_message=lambda n: gettext("已批准 %(n)d 个样品申请") % {"n": n},
        )

    @admin.action(description=_("拒绝（填写原因）"), permissions=["review"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            act_on_each(
                self,
                request,
                queryset.order_by("pk"),
                lambda r: services.reject_request(request_id=r.pk, actor=request.user, reason=reason),
                name=lambda r: gettext("样品申请 #%(id)s") % {"id": r.pk},
                done_message=lambda n: gettext("已拒绝 %(n)d 个样品申请") % {"n": n},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("拒绝样品申请"),
            "form": form,
            "queryset": queryset.select_related("distributor", "sku__product"),
            "action": "reject",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/supply/samplerequest/reject_form.html", context)
