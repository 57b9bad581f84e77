"""Distributors in the console: review, suspension and level changes through the services, and the read-only
bindings, events and visits."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ConsoleInline, ReadOnlyAdmin
from fenxiao.common.admin_filters import RelatedIdFilter, range_filter

from .. import selectors, services
from ..errors import DistributionError
from ..models import Binding, BindingEvent, Distributor, DistributorEvent, Visit


class ReviewActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class DistributorEventInline(ConsoleInline):
    model = DistributorEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DistributorForm(forms.ModelForm):
    class Meta:
        model = Distributor
        fields = ("level",)


class InviterFilter(RelatedIdFilter):
    title = _("邀请人")
    parameter_name = "inviter"
    field_path = "inviter"
    any_label = _("有邀请人")
    none_label = _("无邀请人")


@admin.register(Distributor)
class DistributorAdmin(ConsoleAdmin):
    form = DistributorForm
    action_form = ReviewActionForm
    list_display = (
        "code",
        "member",
        "masked_phone",
        "level",
        "status",
        "inviter",
        "applied_at",
        "staff_flag",
    )
    list_filter = (
        "status",
        "level",
        range_filter("applied_at", _("申请日期")),
        range_filter("approved_at", _("通过日期")),
        InviterFilter,
        "user__is_staff",
    )
    search_fields = ("code", "user__phone", "user__nickname", "real_name", "inviter__code")
    search_help_text = _("分销商编码、手机号、昵称、真实姓名或邀请人编码")
    list_select_related = ("user", "level", "inviter")
    readonly_fields = (
        "user",
        "code",
        "status",
        "inviter",
        "upline",
        "depth",
        "real_name",
        "apply_note",
        "reject_reason",
        "applied_at",
        "approved_at",
        "status_changed_at",
        "orders_link",
    )
    fields = ("level", *readonly_fields)
    inlines = [DistributorEventInline]
    actions = ["approve", "reject", "suspend", "reinstate"]

    def has_add_permission(self, request):
        return False  # distributors apply from the pages or the API

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("会员"))
    def member(self, obj):
        return obj.user.nickname

    @admin.display(description=_("员工账号"))
    def staff_flag(self, obj):
        """Flags a distributor whose account became staff: allowed only when the settings say so."""
        if not obj.user.is_staff:
            return ""
        if services.get_settings().staff_may_distribute:
            return gettext("员工")
        return gettext("⚠ 员工（设置不允许）")

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return obj.user.masked_phone

    @admin.display(description=_("订单"))
    def orders_link(self, obj):
        """The orders attributed to this distributor: the order list's distributor filter."""
        url = f"{reverse('admin:orders_order_changelist')}?{urlencode({'distributor': obj.pk})}"
        return format_html('<a href="{}" id="distributor-orders">{}</a>', url, gettext("查看订单"))

    @admin.display(description=_("上级链"))
    def upline(self, obj):
        return " → ".join(d.code for d in selectors.upline_chain(obj)) or "—"

    def save_model(self, request, obj, form, change):
        level = form.cleaned_data["level"]
        fresh = Distributor.objects.select_related("level").get(pk=obj.pk)
        services.assign_level(distributor=fresh, level=level, actor=request.user)

    def _run(self, request, queryset, func, label, needs_reason=False):
        reason = request.POST.get("reason", "").strip()
        if needs_reason and not reason:
            self.message_user(request, gettext("%(action)s需要在“原因”中填写理由") % {"action": label}, messages.ERROR)
            return
        done = 0
        for distributor in queryset:
            try:
                func(distributor_id=distributor.pk, actor=request.user, reason=reason)
                done += 1
            except DistributionError as exc:
                self.message_user(
                    request,
                    gettext("%(code)s：%(message)s") % {"code": distributor.code, "message": exc.message},
                    messages.WARNING,
                )
        if done:
            self.message_user(
                request,
                ngettext("%(action)s %(count)d 个分销商", "%(action)s %(count)d 个分销商", done)
                % {"action": label, "count": done},
            )

    @admin.action(description=_("审核通过"))
    def approve(self, request, queryset):
        self._run(request, queryset, services.approve_distributor, gettext("已通过"))

    @admin.action(description=_("审核拒绝（填写原因）"))
    def reject(self, request, queryset):
        self._run(request, queryset, services.reject_distributor, gettext("已拒绝"), needs_reason=True)

    @admin.action(description=_("暂停（填写原因）"))
    def suspend(self, request, queryset):
        self._run(request, queryset, services.suspend_distributor, gettext("已暂停"), needs_reason=True)

    @admin.action(description=_("恢复"))
    def reinstate(self, request, queryset):
        self._run(request, queryset, services.reinstate_distributor, gettext("已恢复"))


@admin.register(Binding)
class BindingAdmin(ReadOnlyAdmin):
    list_display = ("customer", "distributor", "bound_at", "expires_at", "source")
    search_fields = ("customer__phone", "customer__nickname", "distributor__code")
    list_select_related = ("customer", "distributor__user")


@admin.register(BindingEvent)
class BindingEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "action", "old_distributor", "new_distributor", "source", "expires_at")
    list_filter = ("action",)
    search_fields = ("customer__phone", "customer__nickname", "new_distributor__code", "old_distributor__code")
    list_select_related = ("customer", "old_distributor", "new_distributor")


@admin.register(DistributorEvent)
class DistributorEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "distributor", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status",)
    list_select_related = ("distributor__user", "actor")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "distributor", "product_id", "visitor", "channel")
    list_filter = ("channel",)
    list_select_related = ("distributor", "visitor")
