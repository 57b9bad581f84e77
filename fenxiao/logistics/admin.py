"""Console: the carriers (编码、名称、查询链接、单号格式; a bad regex is a form error), and the tracking
events and parcels the provider reported, read-only, found by tracking number."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ReadOnlyAdmin
from fenxiao.common.errors import DomainError

from . import services
from .models import Carrier, Parcel, TrackingEvent


class CarrierForm(forms.ModelForm):
    class Meta:
        model = Carrier
        fields = ("code", "name", "tracking_url_template", "number_pattern", "is_active", "sort_order")

    def _checked(self, field: str, check):
        try:
            return check(self.cleaned_data.get(field, ""))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_number_pattern(self):
        return self._checked("number_pattern", services.clean_pattern)

    def clean_tracking_url_template(self):
        return self._checked("tracking_url_template", services.clean_url_template)


@admin.register(Carrier)
class CarrierAdmin(ConsoleAdmin):
    form = CarrierForm
    list_display = ("name", "code", "number_pattern", "tracking_url_template", "is_active", "sort_order")
    list_editable = ("sort_order",)
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    actions = ["deactivate_carriers"]

    def has_delete_permission(self, request, obj=None):
        return False  # shipments and tracking events keep their carrier: deactivate instead

    @admin.action(description=_("停用所选快递公司（已发货的单号照常查询）"), permissions=["change"])
    def deactivate_carriers(self, request, queryset):
        count = 0
        for carrier in queryset.filter(is_active=True):
            services.deactivate_carrier(carrier.pk)
            count += 1
        self.message_user(request, gettext("已停用 %(n)s 家快递公司") % {"n": count})


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin):
    list_display = ("tracking_number", "carrier", "occurred_at", "state", "description", "location", "fetched_at")
    list_filter = ("state", "carrier")
    search_fields = ("=tracking_number",)
    list_select_related = ("carrier",)
    date_hierarchy = "occurred_at"


@admin.register(Parcel)
class ParcelAdmin(ReadOnlyAdmin):
    list_display = ("number", "carrier", "shipped_at", "last_polled_at", "delivered_at", "last_error")
    list_filter = ("carrier",)
    search_fields = ("=number",)
    list_select_related = ("carrier",)
