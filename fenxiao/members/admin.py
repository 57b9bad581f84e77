"""Membership and points in the console: tiers with their member prices, member prices by SKU, the
settings row, memberships (read-only, by phone), points accounts, lots and movements (read-only), and
granting points — a page by phone numbers and an action on the selected members, both through
`services.grant`."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ConsoleInline, ReadOnlyAdmin, act_on_each
from fenxiao.common.forms import PercentField
from fenxiao.common.phone import is_mainland_mobile, normalize_phone

from . import services
from .errors import MemberError
from .models import (
    MAX_MULTIPLIER_BP,
    MemberPrice,
    MemberSettings,
    Membership,
    MemberTier,
    PointsAccount,
    PointsLot,
    PointsMovement,
    PointsSource,
)
from .services.tiers import TIER_FIELDS, validate_tier

GRANT_PERMISSION = "members.grant_points"
MAX_PHONES = 2000


def _holder(user) -> str:
    return user.phone or user.username


# --- tiers and member prices ----------------------------------------------------------------------


class MemberPriceInline(ConsoleInline):
    model = MemberPrice
    extra = 1
    fields = ("sku", "price_fen")
    raw_id_fields = ("sku",)


class TierForm(forms.ModelForm):
    class Meta:
        model = MemberTier
        fields = ("name", "min_spend_fen", "points_multiplier_bp", "member_day_discount_bp", "sort", "is_active")

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                validate_tier(dict(data))
            except MemberError as exc:
                field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
                self.add_error(field if field in self.fields else None, exc.message)
        return data


@admin.register(MemberTier)
class MemberTierAdmin(ConsoleAdmin):
    form = TierForm
    list_display = ("name", "min_spend_fen", "points_multiplier_bp", "member_day_discount_bp", "sort", "is_active", "members")
    list_filter = ("is_active",)
    inlines = [MemberPriceInline]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "points_multiplier_bp":
            # a multiplier may exceed 100% (×1.5 = 150%)
            field = PercentField(
                label=field.label, help_text=field.help_text, initial=field.initial, min_bp=1, max_bp=MAX_MULTIPLIER_BP
            )
        return field

    @admin.display(description=_("会员数"))
    def members(self, obj):
        return Membership.objects.filter(tier=obj).count()

    def save_model(self, request, obj, form, change):
        tier = services.save_tier(tier_id=obj.pk if change else None, **{f: form.cleaned_data[f] for f in TIER_FIELDS})
        obj.pk = tier.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.delete_tier(tier_id=obj.pk)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and Membership.objects.filter(tier=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(MemberPrice)
class MemberPriceAdmin(ConsoleAdmin):
    list_display = ("sku", "sku_retail", "tier", "price_fen")
    list_filter = ("tier",)
    search_fields = ("sku__code", "sku__product__name")
    search_help_text = _("按 SKU 编码或商品名搜索")
    list_select_related = ("sku", "sku__product", "tier")
    raw_id_fields = ("sku",)

    @admin.display(description=_("零售价"))
    def sku_retail(self, obj):
        from fenxiao.common.admin import show_money

        return show_money(obj.sku.retail_fen)


@admin.register(MemberSettings)
class MemberSettingsAdmin(ConsoleAdmin):
    list_display = (
        "__str__",
        "member_day",
        "earn_points_per_yuan",
        "points_per_yuan_off",
        "max_points_share_bp",
        "points_expiry_months",
        "spend_window_days",
    )
    fields = (
        "member_day",
        "earn_points_per_yuan",
        "points_per_yuan_off",
        "max_points_share_bp",
        "points_expiry_months",
        "spend_window_days",
        "updated_at",
    )
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        MemberSettings.objects.get_or_create(pk=1)
        return super().changelist_view(request, extra_context)


# --- members and points ---------------------------------------------------------------------------


class GrantForm(forms.Form):
    points = forms.IntegerField(label=_("积分"), min_value=1, max_value=services.points.MAX_POINTS)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class GrantByPhoneForm(GrantForm):
    phones = forms.CharField(
        label=_("手机号"),
        widget=forms.Textarea(attrs={"rows": 10, "cols": 30}),
        help_text=_("每行一个手机号，最多 2000 个；每人发放相同积分"),
    )
    # one reference per page load, so submitting the same page twice grants once
    token = forms.CharField(widget=forms.HiddenInput)

    field_order = ["phones", "points", "note", "token"]

    def clean_phones(self):
        phones = list(dict.fromkeys(normalize_phone(line) for line in self.cleaned_data["phones"].splitlines() if line.strip()))
        if not phones:
            raise ValidationError(gettext("请至少填写一个手机号"))
        if len(phones) > MAX_PHONES:
            raise ValidationError(gettext("一次最多 %(max)d 个手机号") % {"max": MAX_PHONES})
        bad = [p for p in phones if not is_mainland_mobile(p)]
        if bad:
            raise ValidationError(gettext("手机号格式不正确：%(phones)s") % {"phones": "、".join(bad[:10])})
        found = dict(get_user_model().objects.filter(phone__in=phones, is_active=True).values_list("phone", "pk"))
        missing = [p for p in phones if p not in found]
        if missing:
            raise ValidationError(gettext("这些手机号没有可用的账号：%(phones)s") % {"phones": "、".join(missing[:10])})
        self.cleaned_data["user_ids"] = [found[p] for p in phones]
        return phones


def _grant_each(modeladmin, request, user_ids, data, reference_base: str) -> int:
    return act_on_each(
        modeladmin,
        request,
        user_ids,
        lambda user_id: services.grant(
            user_id,
            data["points"],
            PointsSource.GRANT,
            f"{reference_base}:{user_id}",
            request.user,
            note=data.get("note") or gettext("运营发放"),
        ),
        name=str,
        done_message=lambda n: ngettext("已向 %(n)d 位用户发放积分", "已向 %(n)d 位用户发放积分", n) % {"n": n},
    )


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("holder", "tier", "spend_fen", "tier_changed_at", "updated_at")
    list_filter = ("tier",)
    search_fields = ("user__phone",)
    search_help_text = _("按手机号搜索")
    list_select_related = ("user", "tier")
    actions = ["grant_selected"]

    @admin.display(description=_("用户"), ordering="user__phone")
    def holder(self, obj):
        return _holder(obj.user)

    def has_grant_permission(self, request):
        return request.user.has_perm(GRANT_PERMISSION)

    @admin.action(description=_("向所选会员发放积分"), permissions=["grant"])
    def grant_selected(self, request, queryset):
        form = GrantForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            token = request.POST.get("token") or services.points.new_grant_reference()
            _grant_each(
                self, request, list(queryset.order_by("user_id").values_list("user_id", flat=True)), form.cleaned_data, token
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("发放积分"),
            "form": form,
            "queryset": queryset.select_related("user"),
            "token": services.points.new_grant_reference(),
            "action": "grant_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/members/membership/grant_form.html", context)


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = ("holder", "available", "frozen", "updated_at")
    search_fields = ("user__phone",)
    search_help_text = _("按手机号搜索")
    list_select_related = ("user",)

    @admin.display(description=_("用户"), ordering="user__phone")
    def holder(self, obj):
        return _holder(obj.user)


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "holder",
        "source",
        "reference",
        "amount",
        "remaining",
        "frozen",
        "created_at",
        "unfrozen_at",
        "expires_at",
    )
    list_filter = ("source", "frozen")
    search_fields = ("user__phone", "reference")
    search_help_text = _("按手机号或单据搜索")
    list_select_related = ("user",)

    @admin.display(description=_("用户"), ordering="user__phone")
    def holder(self, obj):
        return _holder(obj.user)


@admin.register(PointsMovement)
class PointsMovementAdmin(ReadOnlyAdmin):
    list_display = ("at", "holder", "kind", "available_delta", "frozen_delta", "shortfall", "reference", "note", "actor")
    list_filter = ("kind",)
    search_fields = ("user__phone", "reference")
    search_help_text = _("按手机号或单据搜索")
    list_select_related = ("user", "actor")
    change_list_template = "admin/members/pointsmovement/change_list.html"

    @admin.display(description=_("用户"), ordering="user__phone")
    def holder(self, obj):
        return _holder(obj.user)

    def changelist_view(self, request, extra_context=None):
        extra = {"can_grant": request.user.has_perm(GRANT_PERMISSION), "grant_url": reverse("admin:members_points_grant")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def get_urls(self):
        own = [path("grant/", self.admin_site.admin_view(self.grant_view), name="members_points_grant")]
        return own + super().get_urls()

    def grant_view(self, request):
        if not request.user.has_perm(GRANT_PERMISSION):
            raise PermissionDenied
        form = GrantByPhoneForm(request.POST or None, initial={"token": services.points.new_grant_reference()})
        if request.method == "POST" and form.is_valid():
            done = _grant_each(self, request, form.cleaned_data["user_ids"], form.cleaned_data, form.cleaned_data["token"])
            if done == len(form.cleaned_data["user_ids"]):
                return redirect("admin:members_pointsmovement_changelist")
            self.message_user(request, gettext("部分用户未能发放，见上方提示"), messages.WARNING)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("按手机号发放积分"),
            "form": form,
        }
        return TemplateResponse(request, "admin/members/pointsmovement/grant_form.html", context)
