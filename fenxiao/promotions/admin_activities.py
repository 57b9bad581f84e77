"""Marketing activities in the console: flash sales (秒杀) with their SKUs, group buys (拼团) with
their SKUs and bargain activities (砍价); the groups, bargains and activity orders they made, read
only. Every save goes through `services.activities`, so its checks (values, windows, a SKU in two
flash sales at once, the share text) show as form errors; pause, resume and end are list actions that
ask for a reason. Each activity's page shows its figures and its operation log, and warns when an
activity price is below the SKU's control price (allowed for a platform activity)."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ConsoleInline, ReadOnlyAdmin, ReadOnlyInline, act_on_each, show_money

from .errors import PromotionError
from .models import (
    ActivityKind,
    ActivityOrder,
    Bargain,
    BargainActivity,
    BargainEvent,
    BargainHelp,
    FlashItem,
    FlashSale,
    Group,
    GroupBuy,
    GroupBuyItem,
    GroupEvent,
    GroupMember,
)
from .selectors_activities import activity_figures, audit_rows
from .services import activities as service


def _show_error(form: forms.BaseForm, exc: PromotionError) -> None:
    field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
    if field == "sku_id":
        field = "sku"
    form.add_error(field if field in form.fields else None, exc.message)


def _kept_rows(formset) -> list[dict[str, Any]]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def _mark_unsaved(formsets) -> None:
    """The service wrote the inline rows; the admin's change message reads these lists."""
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 40}))


# --- what the three activities share ----------------------------------------------------------------------


class _ActivityAdmin(ConsoleAdmin):
    """An activity: its fields (form), its figures and log on the change page, the pause / resume /
    end actions (with a reason) and no deleting (ending keeps the history)."""

    kind: str = ""
    fields_saved: tuple[str, ...] = ()
    actions = ["pause_selected", "resume_selected", "end_selected"]
    list_filter = ("status",)
    search_fields = ("name",)
    date_hierarchy = "starts_at"

    def has_delete_permission(self, request, obj=None):
        return False

    # the figures and the log --------------------------------------------------------------------------

    @admin.display(description=_("活动数据"))
    def figures_table(self, obj):
        if not obj or not obj.pk:
            return "-"
        numbers = activity_figures(self.kind, obj.pk)
        rows = [
            (gettext("访客"), numbers["visitors"]),
            (gettext("参与人数（付款买家）"), numbers["participants"]),
            (gettext("付款订单"), numbers["orders"]),
            (gettext("成交额"), show_money(numbers["gmv_fen"])),
            (gettext("退款"), show_money(numbers["refunded_fen"])),
            (gettext("活动成本"), show_money(numbers["cost_fen"])),
        ]
        if self.kind == ActivityKind.GROUP:
            rows += [
                (gettext("开团数"), numbers["groups_opened"]),
                (gettext("成团数"), numbers["groups_succeeded"]),
                (gettext("失败团数"), numbers["groups_failed"]),
            ]
        elif self.kind == ActivityKind.BARGAIN:
            rows += [
                (gettext("发起人数"), numbers["starters"]),
                (gettext("助力人数"), numbers["helpers"]),
                (gettext("砍到底价"), numbers["bargains_at_floor"]),
            ]
        return format_html('<table class="fx-figures">{}</table>', format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description=_("操作记录"))
    def audit_trail(self, obj):
        if not obj or not obj.pk:
            return "-"
        rows = [
            (
                timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M"),
                row.get_action_display(),
                row.actor or gettext("系统"),
                f" · {row.note}" if row.note else "",
                f" · {', '.join(sorted(row.changes))}" if row.changes and row.action == "updated" else "",
            )
            for row in audit_rows(self.kind, obj.pk, limit=20)
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} · {} · {}{}{}</li>", rows)) if rows else "-"

    def activity_prices(self, obj) -> dict[int, int]:
        return {}

    @admin.display(description=_("控价提示"))
    def control_warning(self, obj):
        if not obj or not obj.pk:
            return "-"
        below = service.below_control(self.activity_prices(obj))
        if not below:
            return "-"
        return gettext("SKU %(skus)s 的活动价低于控价（平台活动允许，请确认）") % {"skus": "、".join(map(str, below))}

    def _warn_below_control(self, request, obj) -> None:
        below = service.below_control(self.activity_prices(obj))
        if below:
            self.message_user(
                request,
                gettext("提示：SKU %(skus)s 的活动价低于控价；平台活动允许，请确认无误") % {"skus": "、".join(map(str, below))},
                messages.WARNING,
            )

    # pause, resume, end ---------------------------------------------------------------------------------

    def _move(self, request, queryset, move: str, title: str, done: str):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            act_on_each(
                self,
                request,
                queryset.order_by("pk"),
                lambda obj: service.change_status(
                    kind=self.kind, activity_id=obj.pk, move=move, actor=request.user, reason=reason
                ),
                name=str,
                done_message=lambda n: done % {"n": n},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": f"{move}_selected",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/promotions/activity_reason_form.html", context)

    @admin.action(description=_("暂停所选活动"), permissions=["change"])
    def pause_selected(self, request, queryset):
        return self._move(request, queryset, "pause", gettext("暂停活动"), gettext("已暂停 %(n)d 个活动"))

    @admin.action(description=_("恢复所选活动"), permissions=["change"])
    def resume_selected(self, request, queryset):
        return self._move(request, queryset, "resume", gettext("恢复活动"), gettext("已恢复 %(n)d 个活动"))

    @admin.action(description=_("结束所选活动（不可恢复）"), permissions=["change"])
    def end_selected(self, request, queryset):
        return self._move(request, queryset, "end", gettext("结束活动（不可恢复）"), gettext("已结束 %(n)d 个活动"))

    # saving through the service -------------------------------------------------------------------------

    def values(self, form) -> dict[str, Any]:
        """The activity's fields as the service takes them (the form's values were set on the instance)."""
        return {name: getattr(form.instance, name) for name in self.fields_saved}

    def save_model(self, request, obj, form, change):
        """Written with its rows in `save_related`, through the service."""


class _RowsFormSet(BaseInlineFormSet, metaclass=ABCMeta):
    """SKU rows checked with their activity through the service (`validate`, given by each kind)."""

    @abstractmethod
    def validate(self, activity, rows: list[dict[str, Any]]) -> None:
        """Refuse (PromotionError) rows the activity's service would refuse."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        activity = self.instance
        if activity.starts_at is None or activity.ends_at is None or not activity.name:
            return  # the activity's own form is refused; its errors say why
        rows = [{**row, "sku_id": row["sku"].pk if row.get("sku") else None} for row in _kept_rows(self)]
        for row in rows:
            row.pop("sku", None)
        try:
            self.validate(activity, rows)
        except PromotionError as exc:
            raise ValidationError(exc.message) from exc


def _row_values(formsets, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"sku_id": row["sku"].pk, **{name: row.get(name) for name in fields if name != "sku_id"}}
        for formset in formsets
        for row in _kept_rows(formset)
    ]


# --- flash sales -----------------------------------------------------------------------------------------


class FlashSaleForm(forms.ModelForm):
    class Meta:
        model = FlashSale
        fields = list(service.FLASH_FIELDS)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        values = {name: data.get(name, getattr(self.instance, name)) for name in service.FLASH_FIELDS}
        try:
            cleaned, _rows = service.validate_flash_sale(values, items=None)
        except PromotionError as exc:
            _show_error(self, exc)
        else:
            data["share_text"] = cleaned["share_text"]
        return data


class FlashItemFormSet(_RowsFormSet):
    def validate(self, activity, rows):
        if activity.pk and (activity.stock_moved_at is not None or activity.status == "ended"):
            return  # its rows are shown, not edited: they stay as they are
        values = {name: getattr(activity, name) for name in service.FLASH_FIELDS}
        service.validate_flash_sale(values, items=rows, sale_id=activity.pk)


class FlashItemInline(ConsoleInline):
    model = FlashItem
    formset = FlashItemFormSet
    fk_name = "sale"
    extra = 1
    fields = ("sku", "price_fen", "quantity", "per_person_limit", "per_order_limit", "moved_quantity")
    readonly_fields = ("moved_quantity",)
    autocomplete_fields = ("sku",)

    def _frozen(self, obj) -> bool:
        return obj is not None and (obj.stock_moved_at is not None or obj.status == "ended")

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(FlashSale)
class FlashSaleAdmin(_ActivityAdmin):
    kind = ActivityKind.FLASH
    fields_saved = service.FLASH_FIELDS
    form = FlashSaleForm
    inlines = [FlashItemInline]
    list_display = ("name", "starts_at", "ends_at", "status", "unpaid_timeout_minutes", "stock_moved_at", "stock_returned_at")
    readonly_fields = (
        "status",
        "stock_moved_at",
        "stock_returned_at",
        "control_warning",
        "figures_table",
        "created_by",
        "created_at",
        "audit_trail",
    )
    fieldsets = (
        (None, {"fields": ("name", "status", "starts_at", "ends_at", "unpaid_timeout_minutes")}),
        (_("订单规则"), {"fields": ("pays_commission", "allow_points", "share_text")}),
        (_("库存"), {"fields": ("stock_moved_at", "stock_returned_at", "control_warning")}),
        (_("活动数据与记录"), {"fields": ("figures_table", "created_by", "created_at", "audit_trail")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.stock_moved_at is not None:
            fields.append("starts_at")
        return fields

    def activity_prices(self, obj):
        return dict(obj.items.values_list("sku_id", "price_fen"))

    def save_related(self, request, form, formsets, change):
        current = form.instance
        if current.pk and (current.stock_moved_at is not None or current.status == "ended"):
            items = list(current.items.order_by("position", "id").values(*service.FLASH_ITEM_FIELDS))
        else:
            items = _row_values(formsets, service.FLASH_ITEM_FIELDS)
        sale = service.save_flash_sale(actor=request.user, sale=current.pk, items=items, **self.values(form))
        form.instance.pk = sale.pk
        form.instance.refresh_from_db()
        _mark_unsaved(formsets)
        self._warn_below_control(request, sale)


# --- group buys -------------------------------------------------------------------------------------------


class GroupBuyForm(forms.ModelForm):
    class Meta:
        model = GroupBuy
        fields = list(service.GROUP_FIELDS)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            cleaned, _rows = service.validate_group_buy({n: data.get(n) for n in service.GROUP_FIELDS}, items=None)
        except PromotionError as exc:
            _show_error(self, exc)
        else:
            data["share_text"] = cleaned["share_text"]
        return data


class GroupBuyItemFormSet(_RowsFormSet):
    def validate(self, activity, rows):
        values = {name: getattr(activity, name) for name in service.GROUP_FIELDS}
        service.validate_group_buy(values, items=rows)


class GroupBuyItemInline(ConsoleInline):
    model = GroupBuyItem
    formset = GroupBuyItemFormSet
    fk_name = "activity"
    extra = 1
    fields = ("sku", "price_fen")
    autocomplete_fields = ("sku",)


@admin.register(GroupBuy)
class GroupBuyAdmin(_ActivityAdmin):
    kind = ActivityKind.GROUP
    fields_saved = service.GROUP_FIELDS
    form = GroupBuyForm
    inlines = [GroupBuyItemInline]
    list_display = ("name", "starts_at", "ends_at", "status", "group_size", "hours", "virtual_success")
    readonly_fields = ("status", "control_warning", "figures_table", "created_by", "created_at", "audit_trail")
    fieldsets = (
        (None, {"fields": ("name", "status", "starts_at", "ends_at")}),
        (
            _("成团规则"),
            {
                "fields": (
                    "group_size",
                    "hours",
                    "virtual_success",
                    "virtual_min_members",
                    "when_full",
                    "leader_reward_fen",
                    "per_order_limit",
                )
            },
        ),
        (_("订单规则"), {"fields": ("pays_commission", "allow_points", "share_text", "control_warning")}),
        (_("活动数据与记录"), {"fields": ("figures_table", "created_by", "created_at", "audit_trail")}),
    )

    def activity_prices(self, obj):
        return dict(obj.items.values_list("sku_id", "price_fen"))

    def save_related(self, request, form, formsets, change):
        items = _row_values(formsets, service.GROUP_ITEM_FIELDS)
        activity = service.save_group_buy(actor=request.user, group_buy=form.instance.pk, items=items, **self.values(form))
        form.instance.pk = activity.pk
        form.instance.refresh_from_db()
        _mark_unsaved(formsets)
        self._warn_below_control(request, activity)


# --- bargain activities -----------------------------------------------------------------------------------

BARGAIN_FORM_FIELDS = tuple("sku" if name == "sku_id" else name for name in service.BARGAIN_FIELDS)


class BargainActivityForm(forms.ModelForm):
    class Meta:
        model = BargainActivity
        fields = list(BARGAIN_FORM_FIELDS)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        values = {n: data.get(n) for n in service.BARGAIN_FIELDS if n != "sku_id"}
        values["sku_id"] = data["sku"].pk if data.get("sku") else None
        try:
            cleaned = service.validate_bargain_activity(values)
        except PromotionError as exc:
            _show_error(self, exc)
        else:
            data["share_text"] = cleaned["share_text"]
        return data


@admin.register(BargainActivity)
class BargainActivityAdmin(_ActivityAdmin):
    kind = ActivityKind.BARGAIN
    fields_saved = service.BARGAIN_FIELDS
    form = BargainActivityForm
    autocomplete_fields = ("sku",)
    list_display = ("name", "sku", "start_price_fen", "floor_price_fen", "helps_needed", "starts_at", "ends_at", "status")
    list_select_related = ("sku__product",)
    readonly_fields = ("status", "control_warning", "figures_table", "created_by", "created_at", "audit_trail")
    fieldsets = (
        (None, {"fields": ("name", "status", "starts_at", "ends_at")}),
        (
            _("砍价规则"),
            {
                "fields": (
                    "sku",
                    "start_price_fen",
                    "floor_price_fen",
                    "helps_needed",
                    "hours",
                    "daily_help_limit",
                    "help_requires_account",
                    "buy_above_floor",
                    "control_warning",
                )
            },
        ),
        (_("订单规则"), {"fields": ("pays_commission", "allow_points", "share_text")}),
        (_("活动数据与记录"), {"fields": ("figures_table", "created_by", "created_at", "audit_trail")}),
    )

    def activity_prices(self, obj):
        return {obj.sku_id: obj.floor_price_fen}

    def save_model(self, request, obj, form, change):
        activity = service.save_bargain_activity(actor=request.user, activity=obj.pk, **self.values(form))
        obj.pk = activity.pk
        obj.refresh_from_db()
        self._warn_below_control(request, activity)


# --- what the activities made (read only) --------------------------------------------------------------------


class GroupMemberInline(ReadOnlyInline):
    model = GroupMember
    fields = ("user", "order_id", "is_leader", "status", "joined_at", "refunded_at")
    readonly_fields = fields


class GroupEventInline(ReadOnlyInline):
    model = GroupEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ("id", "activity", "leader", "status", "members_count", "size", "is_virtual", "expires_at", "created_at")
    list_filter = ("status", "is_virtual")
    search_fields = ("leader__phone", "activity__name")
    search_help_text = _("按团长手机号或活动名称搜索")
    list_select_related = ("activity", "leader")
    inlines = [GroupMemberInline, GroupEventInline]


class BargainHelpInline(ReadOnlyInline):
    model = BargainHelp
    fields = ("created_at", "helper", "helper_key", "cut_fen")
    readonly_fields = fields


class BargainEventInline(ReadOnlyInline):
    model = BargainEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


@admin.register(Bargain)
class BargainAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "activity",
        "user",
        "status",
        "start_price_fen",
        "current_price_fen",
        "floor_price_fen",
        "helps_done",
        "helps_needed",
        "expires_at",
    )
    list_filter = ("status",)
    search_fields = ("user__phone", "activity__name")
    search_help_text = _("按发起人手机号或活动名称搜索")
    list_select_related = ("activity", "user")
    inlines = [BargainHelpInline, BargainEventInline]


@admin.register(ActivityOrder)
class ActivityOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "order_id",
        "kind",
        "activity_id",
        "user",
        "quantity",
        "paid_fen",
        "refunded_fen",
        "cost_fen",
        "state",
    )
    list_filter = ("kind", "state")
    search_fields = ("=order_id", "user__phone")
    search_help_text = _("按订单编号或买家手机号搜索")
    list_select_related = ("user",)
