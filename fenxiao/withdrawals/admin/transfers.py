"""WeChat merchant transfers of withdrawals: what WeChat Pay said about each bill, and an action that
asks it again now (the job does the same every few minutes). The result is applied by the services,
once, like a payout file's result."""

from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.money import yuan
from fenxiao.payments import wechatpay

from ..models import TransferBill
from ..services import transfers


@admin.register(TransferBill)
class TransferBillAdmin(ConsoleAdmin):
    list_display = (
        "out_bill_no",
        "withdrawal_link",
        "state",
        "amount",
        "real_name_sent",
        "transfer_bill_no",
        "attempts",
        "last_error",
        "created_at",
        "settled_at",
    )
    list_filter = ("state", "real_name_sent", ("settled_at", admin.EmptyFieldListFilter))
    search_fields = ("out_bill_no", "transfer_bill_no", "withdrawal__distributor__code", "withdrawal__payee_name")
    list_select_related = ("withdrawal",)
    date_hierarchy = "created_at"
    exclude = ("openid_encrypted", "package_info")
    actions = ["refresh"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in TransferBill._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("转账金额"), ordering="amount_fen")
    def amount(self, obj):
        return f"¥{yuan(obj.amount_fen)}"

    @admin.display(description=_("提现"), ordering="withdrawal__number")
    def withdrawal_link(self, obj):
        return obj.withdrawal.number

    @admin.action(description=_("向微信支付查询所选转账并处理结果"), permissions=["change"])
    def refresh(self, request, queryset):
        done = 0
        for bill in queryset.filter(settled_at__isnull=True).order_by("id"):
            try:
                transfers.refresh_bill(bill.pk)
            except (wechatpay.NotConfigured, wechatpay.ProviderUnavailable) as exc:
                self.message_user(request, f"{bill.out_bill_no}: {exc}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, ngettext("已查询 %(n)d 笔转账", "已查询 %(n)d 笔转账", done) % {"n": done})
        else:
            self.message_user(request, gettext("没有需要查询的转账"), messages.INFO)
