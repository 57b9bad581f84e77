"""The console's 待审批 list: finance approves or rejects proposed payouts, through the services."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ReadOnlyInline, act_on_each, labelled_filter
from fenxiao.common.money import yuan

from . import registry, services
from .models import ApprovalEvent, ApprovalRequest


class ApprovalActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=_("意见或驳回原因"), required=False, max_length=200)


class ApprovalEventInline(ReadOnlyInline):
    model = ApprovalEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class PendingFirst(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*ApprovalRequest.Status.choices, ("all", _("全部"))]

    def queryset(self, request, queryset):
        value = self.value() or ApprovalRequest.Status.PENDING
        return queryset if value == "all" else queryset.filter(status=value)

    def choices(self, changelist):
        current = self.value() or ApprovalRequest.Status.PENDING
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ConsoleAdmin):
    action_form = ApprovalActionForm
    list_display = ("id", "kind_label", "summary", "amount", "status", "proposed_by", "proposed_at", "decided_by", "decided_at")
    list_filter = (
        PendingFirst,
        labelled_filter("kind", _("类型"), lambda: [(k, registry.label_for(k)) for k in registry.registered_kinds()]),
    )
    search_fields = ("reference", "summary")
    list_select_related = ("proposed_by", "decided_by")
    inlines = [ApprovalEventInline]
    actions = ["approve", "reject"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ApprovalRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm(services.DECIDE_PERMISSION)

    @admin.display(description=_("类型"), ordering="kind")
    def kind_label(self, obj):
        return registry.label_for(obj.kind)

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount(self, obj):
        return f"¥{yuan(obj.amount_fen)}"

    def _each(self, request, queryset, func, **kwargs):
        act_on_each(
            self,
            request,
            queryset.order_by("id"),
            lambda item: func(request_id=item.pk, actor=request.user, **kwargs),
            name=lambda item: f"#{item.pk}",
            done_message=lambda n: gettext("已处理 %(n)d 项审批") % {"n": n},
        )

    @admin.action(description=_("批准所选（执行发放）"), permissions=["decide"])
    def approve(self, request, queryset):
        self._each(request, queryset, services.approve, note=request.POST.get("reason", ""))

    @admin.action(description=_("驳回所选（须填写原因）"), permissions=["decide"])
    def reject(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, gettext("驳回须填写原因"), messages.ERROR)
            return
        self._each(request, queryset, services.reject, reason=reason)
