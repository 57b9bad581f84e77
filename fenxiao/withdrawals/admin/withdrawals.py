"""Finance's review of withdrawals: the list with approve / reject / batch actions, the timeline."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ReadOnlyInline, act_on_each
from fenxiao.common.admin_filters import range_filter
from fenxiao.common.errors import DomainError
from fenxiao.common.money import yuan

from .. import services
from ..models import (
    Withdrawal,
    WithdrawalEvent,
)
from ..services import payouts


def money_cell(fen) -> str:
    return f"¥{yuan(fen)}"


class ReasonActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class WithdrawalEventInline(ReadOnlyInline):
    model = WithdrawalEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


@admin.register(Withdrawal)
class WithdrawalAdmin(ConsoleAdmin):
    action_form = ReasonActionForm
    list_display = (
        "number",
        "distributor",
        "status",
        "channel",
        "amount",
        "net",
        "payee_name",
        "batch",
        "requested_at",
    )
    list_filter = (
        "status",
        "channel",
        range_filter("requested_at", _("申请日期")),
        range_filter("paid_at", _("到账日期")),
        range_filter("amount_fen", _("提现金额（元）"), kind="yuan"),
        "batch",
    )
    search_fields = ("number", "distributor__code", "=distributor__user__phone", "payee_name", "external_reference")
    search_help_text = _("提现单号、分销商编码或手机号、收款人、打款流水号")
    list_select_related = ("distributor__user", "batch")
    date_hierarchy = "requested_at"
    inlines = [WithdrawalEventInline]
    actions = ["approve", "reject", "make_batch"]
    exclude = ("account_encrypted", "request_digest")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Withdrawal._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("提现金额"), ordering="amount_fen")
    def amount(self, obj):
        return money_cell(obj.amount_fen)

    @admin.display(description=_("手续费"))
    def fee(self, obj):
        return money_cell(obj.fee_fen) if obj.fee_fen else "—"

    @admin.display(description=_("实际到账"))
    def net(self, obj):
        return money_cell(obj.net_fen)

    def _each(self, request, queryset, func, **kwargs):
        act_on_each(
            self,
            request,
            queryset.order_by("id"),
            lambda w: func(withdrawal_id=w.pk, actor=request.user, **kwargs),
            name=lambda w: w.number,
            done_message=lambda n: ngettext("已处理 %(n)d 笔提现", "已处理 %(n)d 笔提现", n) % {"n": n},
        )

    @admin.action(description=_("审核通过所选提现"), permissions=["change"])
    def approve(self, request, queryset):
        self._each(request, queryset, services.approve_withdrawal, note=request.POST.get("reason", ""))

    @admin.action(description=_("驳回所选提现（须在上方填写原因；金额退回可提现）"), permissions=["change"])
    def reject(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, gettext("驳回须填写原因"), messages.ERROR)
            return
        self._each(request, queryset, services.reject_withdrawal, reason=reason)

    @admin.action(description=_("用所选的待打款提现新建打款批次"), permissions=["batch"])
    def make_batch(self, request, queryset):
        try:
            batch = payouts.create_batch(actor=request.user, withdrawal_ids=list(queryset.values_list("pk", flat=True)))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.WARNING)
            return None
        self.message_user(
            request, gettext("已创建打款批次 %(n)s（%(count)s 笔）") % {"n": batch.number, "count": batch.line_count}
        )
        return redirect("admin:withdrawals_payoutbatch_change", batch.pk)

    def has_batch_permission(self, request):
        return request.user.has_perm("withdrawals.add_payoutbatch")


# --- payout batches ---------------------------------------------------------------------------------
