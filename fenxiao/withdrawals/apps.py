from django.apps import AppConfig
from django.utils.translation import gettext_lazy, pgettext_lazy


class WithdrawalsConfig(AppConfig):
    name = "fenxiao.withdrawals"
    label = "withdrawals"
    verbose_name = pgettext_lazy("app name", "提现")

    def ready(self) -> None:
        from django.core import checks

        from fenxiao.approvals.registry import register_kind
        from fenxiao.commissions import postings

        from . import crypto
        from .services import payouts

        checks.register(crypto.check_field_key, checks.Tags.security)
        from .services.postings import KIND_PAID, KIND_REQUEST, KIND_RETURN

        payout = postings.PostingGroup.PAYOUT
        postings.register(KIND_REQUEST, gettext_lazy("申请提现"), group=payout)
        postings.register(KIND_RETURN, gettext_lazy("提现退回"), group=payout)
        postings.register(KIND_PAID, gettext_lazy("提现打款"), group=payout)
        register_kind(
            payouts.BATCH_APPROVAL,
            label=pgettext_lazy("approval kind", "打款批次"),
            on_approve=payouts.on_batch_approved,
            on_reject=payouts.on_batch_rejected,
        )
