"""Finance's review of a withdrawal and what happens to it after: approve, reject, cancel (by the
distributor), paid, failed. Every move is checked against TRANSITIONS by one state machine, written
to the withdrawal's timeline with its actor, and posted to the ledger once (see `postings`)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from fenxiao.common.duties import refuse_own
from fenxiao.common.transitions import NOTE_MAX, StateMachine
from fenxiao.distribution.models import Distributor

from ..errors import WithdrawalCode, WithdrawalError
from ..models import Withdrawal, WithdrawalEvent
from .postings import post_paid, post_return

W = Withdrawal.Status

# The only moves a withdrawal makes.
TRANSITIONS: dict[str, set[str]] = {
    W.REQUESTED: {W.APPROVED, W.REJECTED, W.CANCELLED},
    W.APPROVED: {W.PAID, W.FAILED},
    W.PAID: set(),
    W.REJECTED: set(),
    W.FAILED: set(),
    W.CANCELLED: set(),
}

WITHDRAWAL_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=W,
    error=WithdrawalError,
    event_model=WithdrawalEvent,
    event_fk="withdrawal",
    stamps={
        W.APPROVED: "approved_at",
        W.PAID: "paid_at",
        W.REJECTED: "rejected_at",
        W.FAILED: "failed_at",
        W.CANCELLED: "cancelled_at",
    },
    code=WithdrawalCode.INVALID_TRANSITION,
    detail_key="number",
    what=gettext_lazy("提现"),
)

REASON_MAX = NOTE_MAX


def _locked(withdrawal_id: int, *, distributor=None) -> Withdrawal:
    qs = Withdrawal.objects.select_for_update().filter(pk=withdrawal_id)
    if distributor is not None:
        qs = qs.filter(distributor=distributor)
    withdrawal = qs.first()
    if withdrawal is None:
        raise WithdrawalError(
            WithdrawalCode.WITHDRAWAL_NOT_FOUND, gettext("提现记录不存在"), {"withdrawal_id": withdrawal_id}, status=404
        )
    return withdrawal


def _refuse_own(withdrawal: Withdrawal, actor) -> None:
    owner_id = Distributor.objects.filter(pk=withdrawal.distributor_id).values_list("user_id", flat=True).first()
    refuse_own(actor, owner_id, what=f"withdrawal:{withdrawal.number}")


def _reason(raw, *, required: bool) -> str:
    reason = str(raw or "").strip()
    if required and not reason:
        raise WithdrawalError(WithdrawalCode.REASON_REQUIRED, gettext("请填写原因"), {"field": "reason"})
    if len(reason) > REASON_MAX:
        raise WithdrawalError(WithdrawalCode.REASON_REQUIRED, gettext("原因最多 200 个字"), {"field": "reason"})
    return reason


@transaction.atomic
def approve_withdrawal(*, withdrawal_id: int, actor, note: str = "") -> Withdrawal:
    """Finance agrees to pay; the withdrawal waits for a payout batch, or, to WeChat change with WeChat
    Pay's merchant transfer configured, gets its transfer bill (see `transfers`)."""
    note = _reason(note, required=False)
    withdrawal = _locked(withdrawal_id)
    _refuse_own(withdrawal, actor)
    WITHDRAWAL_MACHINE.move(withdrawal, W.APPROVED, actor=actor, note=note or gettext("审核通过"))
    from .transfers import open_transfer  # transfers settles through this module

    open_transfer(withdrawal)
    return withdrawal


@transaction.atomic
def reject_withdrawal(*, withdrawal_id: int, actor, reason: str) -> Withdrawal:
    """Finance refuses, with a reason the distributor sees; the money goes back to available."""
    reason = _reason(reason, required=True)
    withdrawal = _locked(withdrawal_id)
    _refuse_own(withdrawal, actor)
    withdrawal.reject_reason = reason
    WITHDRAWAL_MACHINE.move(withdrawal, W.REJECTED, actor=actor, note=reason, extra_fields=("reject_reason",))
    post_return(withdrawal, "reject", actor=actor)
    return withdrawal


@transaction.atomic
def cancel_withdrawal(*, withdrawal_id: int, distributor, actor=None) -> Withdrawal:
    """The distributor takes back its own request before review; the money goes back to available."""
    withdrawal = _locked(withdrawal_id, distributor=distributor)
    WITHDRAWAL_MACHINE.move(withdrawal, W.CANCELLED, actor=actor, note=gettext("分销商取消了申请"))
    post_return(withdrawal, "cancel", actor=actor)
    return withdrawal


@transaction.atomic
def mark_paid(*, withdrawal_id: int, actor=None, external_reference: str = "") -> Withdrawal:
    """The money reached the distributor: the withdrawing amount leaves as cash (net) and fee income."""
    reference = str(external_reference or "").strip()[:64]
    withdrawal = _locked(withdrawal_id)
    _refuse_own(withdrawal, actor)
    withdrawal.external_reference = reference
    note = gettext("打款成功") + (f" {reference}" if reference else "")
    WITHDRAWAL_MACHINE.move(withdrawal, W.PAID, actor=actor, note=note, extra_fields=("external_reference",))
    post_paid(withdrawal, actor=actor)
    return withdrawal


@transaction.atomic
def mark_failed(*, withdrawal_id: int, actor=None, reason: str = "", external_reference: str = "") -> Withdrawal:
    """The payout did not go through (wrong account, closed card…): the money goes back to available
    and the distributor may ask again."""
    reason = _reason(reason, required=False) or gettext("打款失败")
    withdrawal = _locked(withdrawal_id)
    _refuse_own(withdrawal, actor)
    withdrawal.failure_reason = reason
    withdrawal.external_reference = str(external_reference or "").strip()[:64]
    WITHDRAWAL_MACHINE.move(withdrawal, W.FAILED, actor=actor, note=reason, extra_fields=("failure_reason", "external_reference"))
    post_return(withdrawal, "fail", actor=actor)
    return withdrawal
