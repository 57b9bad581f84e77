"""What settlement registers when the app loads: its ledger kinds and its approval kind."""

from django.utils.translation import pgettext_lazy


def ready() -> None:
    from fenxiao.approvals.registry import register_kind

    from . import payouts, postings

    postings.register()
    register_kind(
        payouts.BATCH_APPROVAL,
        label=pgettext_lazy("approval kind", "供应商打款批次"),
        on_approve=payouts.on_batch_approved,
        on_reject=payouts.on_batch_rejected,
    )
