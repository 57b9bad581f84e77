"""Campaigns, consumer referral and the distributor starter pack in the console: campaigns (with the
coupons, 满减送 and timed discounts that belong to each, and its early access), their calendar by
month, the referral and starter pack settings rows and the read-only lists of referrals and grants.
Saving a campaign goes through `services.campaigns`, so a promotion outside its window shows as a
form error; pause, resume and end are list actions through the same service. Imported by `admin`."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ReadOnlyAdmin, act_on_each

from . import selectors_campaigns
from .errors import PromotionError
from .models import (
    Campaign,
    Coupon,
    FullReduction,
    Referral,
    ReferralSettings,
    RunStatus,
    StarterPack,
    StarterPackGrant,
    TimedDiscount,
)
from .services import campaigns as campaign_service
from .services import referrals as referral_service
from .services import starter as starter_service

PROMOTION_FIELDS = {"coupons": Coupon, "full_reductions": FullReduction, "timed_discounts": TimedDiscount}


class CampaignForm(forms.ModelForm):
    coupons = forms.ModelMultipleChoiceField(
        label=_("活动优惠券"), queryset=Coupon.objects.exclude(status=RunStatus.ENDED), required=False
    )
    full_reductions = forms.ModelMultipleChoiceField(
        label=_("活动满减送"), queryset=FullReduction.objects.exclude(status=RunStatus.ENDED), required=False
    )
    timed_discounts = forms.ModelMultipleChoiceField(
        label=_("活动限时折扣"), queryset=TimedDiscount.objects.exclude(status=RunStatus.ENDED), required=False
    )

    class Meta:
        model = Campaign
        fields = (
            "name",
            "kind",
            "starts_at",
            "ends_at",
            "description",
            "banner",
            "early_access_hours",
            "early_access_levels",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name, model in PROMOTION_FIELDS.items():
                current = model.objects.filter(campaign=self.instance)
                self.fields[name].queryset = (self.fields[name].queryset | current).distinct()
                self.fields[name].initial = list(current.values_list("pk", flat=True))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        probe = Campaign(
            pk=self.instance.pk,
            name=data.get("name") or "",
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
            early_access_hours=data.get("early_access_hours") or 0,
        )
        try:
            campaign_service.check_campaign(probe)
            for name in PROMOTION_FIELDS:
                for promotion in data.get(name) or []:
                    try:
                        campaign_service.check_promotion(probe, promotion)
                    except PromotionError as exc:
                        self.add_error(name, exc.message)
        except PromotionError as exc:
            field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
            self.add_error(field if field in self.fields else None, exc.message)
        return data


@admin.register(Campaign)
class CampaignAdmin(ConsoleAdmin):
    form = CampaignForm
    list_display = ("name", "kind", "starts_at", "ends_at", "status", "early_access_hours", "landing_link")
    list_filter = ("status", "kind")
    search_fields = ("name",)
    filter_horizontal = ("early_access_levels",)
    actions = ["pause_selected", "resume_selected", "end_selected"]
    change_list_template = "admin/promotions/campaign/change_list.html"
    fieldsets = (
        (None, {"fields": ("name", "kind", "starts_at", "ends_at", "description", "banner")}),
        (_("活动优先权"), {"fields": ("early_access_hours", "early_access_levels")}),
        (_("活动内容"), {"fields": ("coupons", "full_reductions", "timed_discounts")}),
    )

    @admin.display(description=_("活动页"))
    def landing_link(self, obj):
        url = reverse("web:campaign", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        campaign_service.save_campaign(
            campaign=obj,
            actor=request.user,
            levels=data.get("early_access_levels"),
            coupons=data.get("coupons"),
            full_reductions=data.get("full_reductions"),
            timed_discounts=data.get("timed_discounts"),
        )

    def _move(self, request, queryset, status: str, done: str):
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda obj: campaign_service.set_status(campaign_id=obj.pk, status=status, actor=request.user),
            name=str,
            done_message=lambda n: done % {"n": n},
        )

    @admin.action(description=_("暂停所选活动"), permissions=["change"])
    def pause_selected(self, request, queryset):
        self._move(request, queryset, RunStatus.PAUSED, gettext("已暂停 %(n)d 个活动"))

    @admin.action(description=_("恢复所选活动"), permissions=["change"])
    def resume_selected(self, request, queryset):
        self._move(request, queryset, RunStatus.ACTIVE, gettext("已恢复 %(n)d 个活动"))

    @admin.action(description=_("结束所选活动（不可恢复）"), permissions=["change"])
    def end_selected(self, request, queryset):
        self._move(request, queryset, RunStatus.ENDED, gettext("已结束 %(n)d 个活动"))

    # the calendar ----------------------------------------------------------------------------------

    def get_urls(self):
        own = [path("calendar/", self.admin_site.admin_view(self.calendar_view), name="promotions_campaign_calendar")]
        return own + super().get_urls()

    def calendar_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localtime(timezone.now(), selectors_campaigns.SHANGHAI).date()
        year, month = today.year, today.month
        raw = request.GET.get("month", "")
        parts = raw.split("-")
        if len(parts) == 2 and all(part.isascii() and part.isdigit() for part in parts):
            wanted_year, wanted_month = int(parts[0]), int(parts[1])
            if 2000 <= wanted_year <= 2100 and 1 <= wanted_month <= 12:
                year, month = wanted_year, wanted_month
        grid = selectors_campaigns.calendar_month(year, month, today=today)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("活动日历 · %(year)d 年 %(month)d 月") % {"year": year, "month": month},
            "grid": grid,
            "previous": f"{grid.previous[0]:04d}-{grid.previous[1]:02d}",
            "next": f"{grid.next[0]:04d}-{grid.next[1]:02d}",
            "weekdays": [gettext("一"), gettext("二"), gettext("三"), gettext("四"), gettext("五"), gettext("六"), gettext("日")],
        }
        return TemplateResponse(request, "admin/promotions/campaign/calendar.html", context)


# --- referral and starter pack ----------------------------------------------------------------------


class _SettingsRow(ConsoleAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReferralSettings)
class ReferralSettingsAdmin(_SettingsRow):
    list_display = ("__str__", "enabled", "referrer_coupon", "referee_coupon", "referrer_points", "referee_points")
    fields = ("enabled", "referrer_coupon", "referee_coupon", "referrer_points", "referee_points", "updated_at")
    readonly_fields = ("updated_at",)
    raw_id_fields = ("referrer_coupon", "referee_coupon")

    def changelist_view(self, request, extra_context=None):
        referral_service.referral_settings()
        return super().changelist_view(request, extra_context)


@admin.register(StarterPack)
class StarterPackAdmin(_SettingsRow):
    list_display = ("__str__", "enabled", "points", "updated_at")
    fields = ("enabled", "coupons", "points", "updated_at")
    readonly_fields = ("updated_at",)
    filter_horizontal = ("coupons",)

    def changelist_view(self, request, extra_context=None):
        starter_service.starter_pack()
        return super().changelist_view(request, extra_context)


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "referrer", "referee", "status", "reference", "rewarded_at", "note")
    list_filter = ("status",)
    search_fields = ("referrer__phone", "referee__phone", "reference")
    list_select_related = ("referrer", "referee")


@admin.register(StarterPackGrant)
class StarterPackGrantAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "distributor", "issued_at", "note")
    search_fields = ("distributor__code", "distributor__user__phone")
    list_select_related = ("distributor__user",)
