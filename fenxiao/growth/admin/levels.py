"""Each level's upgrade rule with its conditions inline (saved through the service), the read-only list
of level changes ("who moved") with a button that starts the monthly evaluation as a console job, and
the notices."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ConsoleInline, ReadOnlyAdmin
from fenxiao.common.forms import YuanField

from .. import services
from ..errors import GrowthError
from ..models import MONEY_KINDS, LevelChange, LevelCondition, LevelRule, Notification


class ConditionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            f.cleaned_data
            for f in self.forms
            if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("kind")
        ]
        enabled = self.instance.is_enabled if self.instance is not None else True
        for data in kept:
            if data.get("threshold") is not None and data["threshold"] < 0:
                raise ValidationError(gettext("门槛不能为负数"))
        kinds = [data["kind"] for data in kept]
        if len(kinds) != len(set(kinds)):
            raise ValidationError(gettext("同一条件只能出现一次"))
        if enabled and not kept:
            raise ValidationError(gettext("启用的规则至少需要一个条件"))


class LevelConditionForm(forms.ModelForm):
    """The threshold is a count of people or an amount, by the condition's kind: an amount is typed in
    yuan (and shown so), a count as a whole number."""

    threshold = forms.CharField(
        label=_("门槛"),
        max_length=24,
        help_text=_("人数填整数；金额填元，最多两位小数"),
        widget=forms.TextInput(attrs={"size": 12}),
    )

    class Meta:
        model = LevelCondition
        fields = ("kind", "threshold")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk and instance.kind in MONEY_KINDS and not self.is_bound:
            self.initial["threshold"] = YuanField().prepare_value(instance.threshold)

    def clean(self):
        data = super().clean()
        text = self.data.get(self.add_prefix("threshold"), "")
        if "threshold" in self.errors or not data.get("kind"):
            return data
        try:
            if data["kind"] in MONEY_KINDS:
                data["threshold"] = YuanField().clean(text)
            else:
                data["threshold"] = forms.IntegerField(min_value=0).clean(text)
        except ValidationError as exc:
            self.add_error("threshold", exc)
        else:
            self.instance.threshold = data["threshold"]
        return data


class LevelConditionInline(ConsoleInline):
    model = LevelCondition
    form = LevelConditionForm
    formset = ConditionFormSet
    extra = 1
    fields = ("kind", "threshold")


class LevelRuleForm(forms.ModelForm):
    """The rule's own fields; the count of missed months before a downgrade may be left out (one)."""

    class Meta:
        model = LevelRule
        fields = ["level", "combine", "is_enabled", "downgrade_enabled", "downgrade_after_months", "protection_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["downgrade_after_months"].required = False

    def clean_downgrade_after_months(self):
        value = self.cleaned_data.get("downgrade_after_months")
        value = 1 if value is None else value
        if not 1 <= value <= 12:
            raise ValidationError(gettext("连续未达标月数必须是 1 到 12 的整数"))
        return value


@admin.register(LevelRule)
class LevelRuleAdmin(ConsoleAdmin):
    form = LevelRuleForm
    inlines = [LevelConditionInline]
    list_display = (
        "level",
        "combine",
        "is_enabled",
        "conditions_text",
        "downgrade_enabled",
        "downgrade_after_months",
        "protection_days",
        "updated_at",
    )
    fields = ("level", "combine", "is_enabled", "downgrade_enabled", "downgrade_after_months", "protection_days")
    ordering = ("level__rank",)

    @admin.display(description=_("条件"))
    def conditions_text(self, obj):
        return "；".join(str(c) for c in obj.conditions.all())

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("level").prefetch_related("conditions")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # The inline rows are rewritten through the service, with the same checks as the API.
        rule = form.instance
        conditions = []
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for f in formset.forms:
                data = getattr(f, "cleaned_data", None) or {}
                if data.get("kind") and not data.get("DELETE"):
                    conditions.append((data["kind"], data["threshold"]))
        try:
            services.save_rule(
                level_id=rule.level_id,
                combine=rule.combine,
                is_enabled=rule.is_enabled,
                downgrade_enabled=rule.downgrade_enabled,
                protection_days=rule.protection_days,
                downgrade_after_months=rule.downgrade_after_months,
                conditions=conditions,
                actor=request.user,
            )
        except GrowthError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "distributor", "from_level", "to_level", "is_upgrade", "reason", "period", "actor")
    list_filter = ("reason", "period", "is_upgrade", "to_level")
    search_fields = ("distributor__code", "distributor__user__phone", "period")
    list_select_related = ("distributor__user", "from_level", "to_level", "actor")
    readonly_fields = [f.name for f in LevelChange._meta.fields]
    change_list_template = "admin/growth/levelchange/change_list.html"

    def changelist_view(self, request, extra_context=None):
        extra = {"can_run": request.user.has_perm("growth.change_levelrule"), "default_month": services.previous_month()}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("user__phone", "title")
    list_select_related = ("user",)
