"""The console's pages of the supply app."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, act_on_each

from .models import ShipmentException
from .portal import services as portal_services

# --- shipment exceptions (reported by suppliers from their portal) ---------------------------------


class ResolutionForm(forms.Form):
    resolution = forms.CharField(
        label=_("处理结果"), max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 40}), help_text=_("供应商可以看到")
    )


class OpenFirstFilter(admin.SimpleListFilter):
    """Open exceptions unless another status is chosen: what needs doing comes first."""

    title = _("状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*ShipmentException.Status.choices, ("all", _("全部"))]

    def choices(self, changelist):
        current = self.value() or ShipmentException.Status.OPEN
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or ShipmentException.Status.OPEN
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(ShipmentException)
class ShipmentExceptionAdmin(ConsoleAdmin):
    list_display = ("id", "order_number", "supplier", "kind", "note", "status", "created_at", "resolution", "resolved_at")
    list_filter = (OpenFirstFilter, "kind", "supplier")
    search_fields = ("shipment__order__number", "note", "supplier__name")
    list_select_related = ("shipment__order", "supplier")
    readonly_fields = (
        "shipment",
        "supplier",
        "kind",
        "note",
        "status",
        "resolution",
        "reported_by",
        "resolved_by",
        "created_at",
        "resolved_at",
    )
    fields = readonly_fields
    actions = ["resolve"]

    @admin.display(description=_("订单号"), ordering="shipment__order__number")
    def order_number(self, obj):
        return obj.shipment.order.number

    def has_add_permission(self, request):
        return False  # suppliers report them from the portal

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        open_count = ShipmentException.objects.filter(status=ShipmentException.Status.OPEN).count()
        extra = {"subtitle": gettext("待处理 %(n)d 条") % {"n": open_count}, **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    @admin.action(description=_("标记为已处理（填写处理结果）"), permissions=["change"])
    def resolve(self, request, queryset):
        form = ResolutionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            resolution = form.cleaned_data["resolution"]
            act_on_each(
                self,
                request,
                queryset.order_by("pk"),
                lambda exc: portal_services.resolve_exception(exception_id=exc.pk, actor=request.user, resolution=resolution),
                name=str,
                done_message=lambda n: gettext("已处理 %(n)d 条发货异常") % {"n": n},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("处理发货异常"),
            "form": form,
            "queryset": queryset.select_related("shipment__order", "supplier"),
            "action": "resolve",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/supply/exception_resolve_form.html", context)


# --- supplier statements and their payout batches (finance); sample quotas and requests (supply chain) -

from .samples.admin import SampleQuotaAdmin, SampleRequestAdmin  # noqa: E402, F401  (registers them)
from .settlement.admin import SupplierPayoutBatchAdmin, SupplierStatementAdmin  # noqa: E402, F401  (registers them)
