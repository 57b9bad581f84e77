"""Promotions in the console: coupons (with the page that issues one to a list of phone numbers),
the coupons people hold (revoke), 满减送 with their tiers, timed discounts with their SKUs, tier
prices, the settings row and the read-only operation log. Every save goes through
`services.rules`, so its checks (values, windows, overlapping activities) show as form errors; pause,
resume and end are list actions through the same service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ConsoleInline, ReadOnlyAdmin, act_on_each, show_money
from fenxiao.common.phone import is_mainland_mobile, normalize_phone

from . import selectors
from .errors import PromotionError
from .figures import figures
from .models import (
    Coupon,
    FullReduction,
    FullReductionTier,
    PointsExchange,
    PointsMallItem,
    PromotionAudit,
    PromotionSettings,
    QuantityTier,
    RunStatus,
    TimedDiscount,
    TimedDiscountItem,
    UserCoupon,
)
from .services import coupons as coupon_service
from .services import rules

Kind = PromotionAudit.Kind
ISSUE_PERMISSION = "promotions.issue_coupon"
MAX_PHONES = 2000


def _show_error(form: forms.BaseForm, exc: PromotionError) -> None:
    """A refusal of the rules service against the field it names, else on the form as a whole."""
    field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)


# --- figures and status actions shared by the three activities -----------------------------------------


class _Activity(ConsoleAdmin):
    """Coupons, 满减送 and timed discounts: the figures columns (read for the whole page at once),
    the pause / resume / end actions and no deleting (ending keeps the history)."""

    kind: str = ""
    actions = ["pause_selected", "resume_selected", "end_selected"]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        shown = list(changelist.result_list)  # evaluated once; the rows keep their figures
        numbers = figures(self.kind, [obj.pk for obj in shown])
        for obj in shown:
            obj.figures = numbers.get(obj.pk, {})
        return changelist

    def _figure(self, obj, name: str) -> int:
        cached = getattr(obj, "figures", None)
        if cached is None:
            cached = obj.figures = figures(self.kind, [obj.pk]).get(obj.pk, {})
        return cached.get(name, 0)

    @admin.display(description=_("订单数"))
    def orders_count(self, obj):
        return self._figure(obj, "orders") if obj.pk else "-"

    @admin.display(description=_("带动成交"))
    def gmv(self, obj):
        return show_money(self._figure(obj, "gmv_fen")) if obj.pk else "-"

    @admin.display(description=_("优惠成本"))
    def cost(self, obj):
        return show_money(self._figure(obj, "cost_fen")) if obj.pk else "-"

    @admin.display(description=_("成效"))
    def figures_line(self, obj):
        if not obj.pk:
            return "-"
        return gettext("订单 %(orders)d 笔，带动成交 %(gmv)s，优惠成本 %(cost)s") % {
            "orders": self._figure(obj, "orders"),
            "gmv": show_money(self._figure(obj, "gmv_fen")),
            "cost": show_money(self._figure(obj, "cost_fen")),
        }

    def has_delete_permission(self, request, obj=None):
        return False

    def _move(self, request, queryset, move: str, done: str):
        act_on_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda obj: rules.change_status(kind=self.kind, object_id=obj.pk, move=move, actor=request.user),
            name=str,
            done_message=lambda n: done % {"n": n},
        )

    @admin.action(description=_("暂停所选活动"), permissions=["change"])
    def pause_selected(self, request, queryset):
        self._move(request, queryset, "pause", gettext("已暂停 %(n)d 个活动"))

    @admin.action(description=_("恢复所选活动"), permissions=["change"])
    def resume_selected(self, request, queryset):
        self._move(request, queryset, "resume", gettext("已恢复 %(n)d 个活动"))

    @admin.action(description=_("结束所选活动（不可恢复）"), permissions=["change"])
    def end_selected(self, request, queryset):
        self._move(request, queryset, "end", gettext("已结束 %(n)d 个活动"))

    def history_rows(self, obj):
        return PromotionAudit.objects.filter(kind=self.kind, object_id=obj.pk).select_related("actor")[:20]

    @admin.display(description=_("操作记录"))
    def audit_trail(self, obj):
        if not obj.pk:
            return "-"
        rows = [
            (
                timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M"),
                row.get_action_display(),
                row.actor or gettext("系统"),
                f" · {row.note}" if row.note else "",
            )
            for row in self.history_rows(obj)
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} · {} · {}{}</li>", rows)) if rows else "-"


# --- coupons ----------------------------------------------------------------------------------------


class CouponForm(forms.ModelForm):
    class Meta:
        model = Coupon
        fields = [*rules.COUPON_FIELDS, "categories", "products"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            rules.validate_coupon(data, coupon=self.instance if self.instance.pk else None)
            rules.validate_scope(data.get("scope"), data.get("categories") or (), data.get("products") or ())
        except PromotionError as exc:
            _show_error(self, exc)
        return data


@admin.register(Coupon)
class CouponAdmin(_Activity):
    kind = Kind.COUPON
    form = CouponForm
    list_display = ("name", "describe_text", "validity_label", "issued_of_total", "used", "status", "orders_count", "gmv", "cost")
    list_filter = ("status", "kind", "scope", "claimable", "for_newcomers")
    search_fields = ("name",)
    filter_horizontal = ("categories", "products")
    readonly_fields = ("status", "issued_count", "figures_line", "issue_link", "created_by", "created_at", "audit_trail")
    fieldsets = (
        (None, {"fields": ("name", "status", "kind", "amount_fen", "percent_off_bp", "cap_fen", "threshold_fen", "description")}),
        (_("适用范围"), {"fields": ("scope", "categories", "products")}),
        (_("有效期"), {"fields": ("validity", "valid_from", "valid_until", "valid_days")}),
        (
            _("发放"),
            {
                "fields": (
                    "total_quantity",
                    "issued_count",
                    "per_person_limit",
                    "claimable",
                    "claim_starts_at",
                    "claim_ends_at",
                    "for_newcomers",
                    "issue_link",
                )
            },
        ),
        (_("成效与记录"), {"fields": ("figures_line", "created_by", "created_at", "audit_trail")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories")

    @admin.display(description=_("优惠"))
    def describe_text(self, obj):
        return selectors.describe(obj)

    @admin.display(description=_("有效期"))
    def validity_label(self, obj):
        return selectors.validity_text(obj)

    @admin.display(description=_("已发放/总量"), ordering="issued_count")
    def issued_of_total(self, obj):
        return f"{obj.issued_count}/{obj.total_quantity}"

    @admin.display(description=_("已使用"))
    def used(self, obj):
        return self._figure(obj, "used")

    @admin.display(description=_("成效"))
    def figures_line(self, obj):
        if not obj.pk:
            return "-"
        return gettext("已发放 %(issued)d 张，已使用 %(used)d 张；订单 %(orders)d 笔，带动成交 %(gmv)s，优惠成本 %(cost)s") % {
            "issued": obj.issued_count,
            "used": self._figure(obj, "used"),
            "orders": self._figure(obj, "orders"),
            "gmv": show_money(self._figure(obj, "gmv_fen")),
            "cost": show_money(self._figure(obj, "cost_fen")),
        }

    @admin.display(description=_("发放给用户"))
    def issue_link(self, obj):
        if not obj.pk or obj.status == RunStatus.ENDED:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:promotions_coupon_issue", args=[obj.pk]), gettext("按手机号发放")
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        coupon = rules.save_coupon(
            actor=request.user,
            coupon_id=obj.pk,
            categories=data.get("categories") or (),
            products=data.get("products") or (),
            **{name: data.get(name) for name in rules.COUPON_FIELDS},
        )
        obj.pk = coupon.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        """The scope was written by the service with the coupon."""

    # the issue page --------------------------------------------------------------------------------

    def get_urls(self):
        own = [path("<int:coupon_id>/issue/", self.admin_site.admin_view(self.issue_view), name="promotions_coupon_issue")]
        return own + super().get_urls()

    def issue_view(self, request, coupon_id):
        if not request.user.has_perm(ISSUE_PERMISSION):
            raise PermissionDenied
        coupon = get_object_or_404(Coupon, pk=coupon_id)
        form = IssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = coupon_service.issue(
                    coupon_id=coupon.pk,
                    user_ids=form.cleaned_data["user_ids"],
                    actor=request.user,
                    source=UserCoupon.Source.ISSUE,
                )
            except PromotionError as exc:
                form.add_error(None, exc.message)
            else:
                skipped = len(result.at_limit) + len(result.not_issued) + len(result.unknown)
                self.message_user(
                    request,
                    gettext("已发放 %(issued)d 张，未发放 %(skipped)d 人（已达每人限领、发行量不足或账号不可用）")
                    % {"issued": result.issued_count, "skipped": skipped},
                    messages.SUCCESS if not skipped else messages.WARNING,
                )
                return redirect("admin:promotions_coupon_change", coupon.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": coupon,
            "title": gettext("发放优惠券：%(name)s") % {"name": coupon.name},
            "form": form,
        }
        return TemplateResponse(request, "admin/promotions/coupon/issue_form.html", context)


class IssueForm(forms.Form):
    phones = forms.CharField(
        label=_("手机号"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 30}),
        help_text=_("每行一个手机号，最多 2000 个；每人发放一张"),
    )

    def clean_phones(self):
        lines = [normalize_phone(line) for line in self.cleaned_data["phones"].splitlines() if line.strip()]
        phones = list(dict.fromkeys(lines))
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


@admin.register(UserCoupon)
class UserCouponAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "coupon",
        "holder",
        "status",
        "source",
        "valid_from",
        "valid_until",
        "order_reference",
        "claimed_at",
        "used_at",
    )
    list_filter = ("status", "source", "coupon")
    search_fields = ("user__phone",)
    search_help_text = _("按手机号搜索")
    list_select_related = ("coupon", "user")
    actions = ["revoke_selected"]

    @admin.display(description=_("用户"), ordering="user__phone")
    def holder(self, obj):
        return obj.user.phone or obj.user.username

    def has_issue_permission(self, request):
        return request.user.has_perm(ISSUE_PERMISSION)

    @admin.action(description=_("收回所选优惠券"), permissions=["issue"])
    def revoke_selected(self, request, queryset):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            act_on_each(
                self,
                request,
                queryset.order_by("pk"),
                lambda held: coupon_service.revoke(
                    user_coupon_id=held.pk, actor=request.user, reason=form.cleaned_data["reason"]
                ),
                name=str,
                done_message=lambda n: ngettext("已收回 %(n)d 张优惠券", "已收回 %(n)d 张优惠券", n) % {"n": n},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("收回优惠券"),
            "form": form,
            "queryset": queryset.select_related("coupon", "user"),
            "action": "revoke_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/promotions/usercoupon/revoke_form.html", context)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("收回原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 40}))


# --- 满减送 ----------------------------------------------------------------------------------------


def _kept_rows(formset) -> list[dict[str, Any]]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def _mark_unsaved(formsets) -> None:
    """The service wrote the inline rows; the admin's change message reads these lists."""
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class _RowsInline(ConsoleInline):
    """Rows edited with their activity."""

    extra = 1


def _tier_row(row: dict[str, Any]) -> dict[str, Any]:
    """A tier form's values as the service takes them (related objects as ids)."""
    values = {name: row.get(name) for name in rules.TIER_FIELDS if not name.endswith("_id")}
    for name in ("gift_coupon", "gift_sku"):
        values[f"{name}_id"] = row[name].pk if row.get(name) else None
    return values


class TierFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [_tier_row(row) for row in _kept_rows(self)]
        try:
            rules.validate_tiers(self.instance.basis, rows)
        except PromotionError as exc:
            raise ValidationError(exc.message) from exc


class FullReductionTierInline(_RowsInline):
    model = FullReductionTier
    formset = TierFormSet
    fk_field = "rule"
    autocomplete_fields = ("gift_coupon", "gift_sku")


class FullReductionForm(forms.ModelForm):
    class Meta:
        model = FullReduction
        fields = [*rules.FULL_REDUCTION_FIELDS, "categories", "products"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            rules.validate_full_reduction(
                data,
                tiers=None,
                categories=data.get("categories") or (),
                products=data.get("products") or (),
                rule_id=self.instance.pk,
                active=not self.instance.pk or self.instance.status == RunStatus.ACTIVE,
            )
        except PromotionError as exc:
            _show_error(self, exc)
        return data


@admin.register(FullReduction)
class FullReductionAdmin(_Activity):
    kind = Kind.FULL_REDUCTION
    form = FullReductionForm
    inlines = [FullReductionTierInline]
    list_display = ("name", "basis", "scope", "starts_at", "ends_at", "status", "orders_count", "gmv", "cost")
    list_filter = ("status", "basis", "scope")
    search_fields = ("name",)
    filter_horizontal = ("categories", "products")
    readonly_fields = ("status", "figures_line", "created_by", "created_at", "audit_trail")
    fields = (
        "name",
        "status",
        "basis",
        "starts_at",
        "ends_at",
        "scope",
        "categories",
        "products",
        "figures_line",
        "created_by",
        "created_at",
        "audit_trail",
    )

    def save_model(self, request, obj, form, change):
        """Written with its tiers in `save_related`, through the service."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        tiers = [_tier_row(row) for formset in formsets for row in _kept_rows(formset)]
        rule = rules.save_full_reduction(
            actor=request.user,
            rule_id=form.instance.pk,
            tiers=tiers,
            categories=data.get("categories") or (),
            products=data.get("products") or (),
            **{name: data.get(name) for name in rules.FULL_REDUCTION_FIELDS},
        )
        form.instance.pk = rule.pk
        form.instance.refresh_from_db()
        _mark_unsaved(formsets)


# --- timed discounts ---------------------------------------------------------------------------------


class ItemFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [{**row, "sku_id": row["sku"].pk if row.get("sku") else None} for row in _kept_rows(self)]
        discount = self.instance
        try:
            rules.validate_items(rows)
            if discount.starts_at and discount.ends_at and (not discount.pk or discount.status == RunStatus.ACTIVE):
                rules.check_timed_discount_overlap(
                    starts_at=discount.starts_at,
                    ends_at=discount.ends_at,
                    sku_ids=[r["sku_id"] for r in rows],
                    exclude_id=discount.pk,
                )
        except PromotionError as exc:
            raise ValidationError(exc.message) from exc


class TimedDiscountItemInline(_RowsInline):
    model = TimedDiscountItem
    formset = ItemFormSet
    fk_field = "discount"
    autocomplete_fields = ("sku",)


class TimedDiscountForm(forms.ModelForm):
    class Meta:
        model = TimedDiscount
        fields = list(rules.TIMED_DISCOUNT_FIELDS)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            rules.validate_window(data.get("starts_at"), data.get("ends_at"))
        except PromotionError as exc:
            _show_error(self, exc)
        return data


@admin.register(TimedDiscount)
class TimedDiscountAdmin(_Activity):
    kind = Kind.TIMED_DISCOUNT
    form = TimedDiscountForm
    inlines = [TimedDiscountItemInline]
    list_display = ("name", "starts_at", "ends_at", "status", "orders_count", "gmv", "cost")
    list_filter = ("status",)
    search_fields = ("name",)
    readonly_fields = ("status", "figures_line", "created_by", "created_at", "audit_trail")
    fields = ("name", "status", "starts_at", "ends_at", "figures_line", "created_by", "created_at", "audit_trail")

    def save_model(self, request, obj, form, change):
        """Written with its SKUs in `save_related`, through the service."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        items = [
            {"sku_id": row["sku"].pk, **{n: row.get(n) for n in ("mode", "amount_off_fen", "percent_off_bp")}}
            for formset in formsets
            for row in _kept_rows(formset)
        ]
        discount = rules.save_timed_discount(
            actor=request.user,
            discount_id=form.instance.pk,
            items=items,
            **{name: data.get(name) for name in rules.TIMED_DISCOUNT_FIELDS},
        )
        form.instance.pk = discount.pk
        form.instance.refresh_from_db()
        _mark_unsaved(formsets)


# --- tier prices ----------------------------------------------------------------------------------------


class QuantityTierForm(forms.ModelForm):
    class Meta:
        model = QuantityTier
        fields = ["sku", "min_quantity", "percent_off_bp"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            rules.validate_quantity_tier(
                {
                    "sku_id": data["sku"].pk,
                    "min_quantity": data.get("min_quantity"),
                    "percent_off_bp": data.get("percent_off_bp"),
                },
                tier_id=self.instance.pk,
            )
        except PromotionError as exc:
            _show_error(self, exc)
        return data

    def validate_unique(self):
        """The service names a taken quantity itself (see `clean`)."""


@admin.register(QuantityTier)
class QuantityTierAdmin(ConsoleAdmin):
    form = QuantityTierForm
    list_display = ("sku", "min_quantity", "percent_off_bp")
    search_fields = ("sku__code", "sku__product__name")
    list_select_related = ("sku__product",)
    autocomplete_fields = ("sku",)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        tier = rules.save_quantity_tier(
            actor=request.user,
            tier_id=obj.pk,
            sku_id=data["sku"].pk,
            min_quantity=data["min_quantity"],
            percent_off_bp=data["percent_off_bp"],
        )
        obj.pk = tier.pk
        obj.refresh_from_db()


# --- settings and the log --------------------------------------------------------------------------------


@admin.register(PromotionSettings)
class PromotionSettingsAdmin(ConsoleAdmin):
    list_display = ("__str__", "return_coupon_on_refund", "updated_at", "updated_by")
    fields = ("return_coupon_on_refund", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        PromotionSettings.objects.get_or_create(pk=1)
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PromotionAudit)
class PromotionAuditAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "object_id", "action", "actor", "note", "changes")
    list_filter = ("kind", "action")
    search_fields = ("note",)
    list_select_related = ("actor",)


# --- the points mall (积分商城) ---------------------------------------------------------------------------


class PointsMallItemForm(forms.ModelForm):
    class Meta:
        model = PointsMallItem
        fields = [
            "name",
            "kind",
            "coupon",
            "sku",
            "points_price",
            "cash_fen",
            "total_quantity",
            "per_person_limit",
            "starts_at",
            "ends_at",
            "status",
            "sort",
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == PointsMallItem.Kind.COUPON:
            if not data.get("coupon"):
                self.add_error("coupon", gettext("兑换优惠券须选择优惠券"))
            if data.get("sku"):
                self.add_error("sku", gettext("兑换优惠券时不选商品规格"))
            if data.get("cash_fen"):
                self.add_error("cash_fen", gettext("优惠券只能用积分兑换，不另付现金"))
        elif kind == PointsMallItem.Kind.PRODUCT:
            if not data.get("sku"):
                self.add_error("sku", gettext("兑换商品须选择商品规格"))
            if data.get("coupon"):
                self.add_error("coupon", gettext("兑换商品时不选优惠券"))
        if data.get("points_price") is not None and data["points_price"] <= 0:
            self.add_error("points_price", gettext("所需积分须大于 0"))
        if data.get("cash_fen") is not None and data["cash_fen"] < 0:
            self.add_error("cash_fen", gettext("现金不能为负数"))
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext("结束时间须晚于开始时间"))
        total = data.get("total_quantity")
        if self.instance.pk and total is not None and total < self.instance.exchanged_count:
            self.add_error("total_quantity", gettext("兑换总量不能少于已兑换数量"))
        return data


@admin.register(PointsMallItem)
class PointsMallItemAdmin(ConsoleAdmin):
    form = PointsMallItemForm
    list_display = ("name", "kind", "points_price", "cash_fen", "exchanged_count", "total_quantity", "status", "sort")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    list_select_related = ("coupon", "sku__product")
    autocomplete_fields = ("coupon", "sku")
    readonly_fields = ("exchanged_count", "created_at", "updated_at")
    ordering = ("sort", "-id")


@admin.register(PointsExchange)
class PointsExchangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "item", "holder", "points", "cash_fen", "status", "order_reference", "reference")
    list_filter = ("status", "item__kind")
    search_fields = ("user__phone", "reference", "order_reference")
    search_help_text = _("按手机号或单据号搜索")
    list_select_related = ("item", "user")

    @admin.display(description=_("用户"), ordering="user__phone")
    def holder(self, obj):
        return obj.user.phone or obj.user.username


# Campaigns, consumer referral, the distributor starter pack and the marketing activities (秒杀, 拼团,
# 砍价) register their admins there.
from . import admin_activities, admin_campaigns  # noqa: E402, F401
