"""The only code that writes approval requests. Domain apps call `propose`; finance calls `approve` or
`reject` (the console and the API both come here). Approving runs the kind's handler in the same
transaction, so the money moves exactly when the request becomes approved, or not at all."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy

from fenxiao.common.duties import refuse_own, refuse_proposer
from fenxiao.common.transitions import NOTE_MAX, StateMachine

from . import registry
from .errors import ApprovalCode, ApprovalError
from .models import ApprovalEvent, ApprovalRequest

logger = logging.getLogger(__name__)
R = ApprovalRequest.Status
DECIDE_PERMISSION = "approvals.decide_approvalrequest"

# from-status → the statuses it may move to; decided requests never change again.
TRANSITIONS: dict[str, set[str]] = {
    R.PENDING: {R.APPROVED, R.REJECTED, R.WITHDRAWN},
    R.APPROVED: set(),
    R.REJECTED: set(),
    R.WITHDRAWN: set(),
}

APPROVAL_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=R,
    error=ApprovalError,
    event_model=ApprovalEvent,
    event_fk="request",
    stamps={R.APPROVED: "decided_at", R.REJECTED: "decided_at"},
    code=ApprovalCode.INVALID_TRANSITION,
    what=gettext_lazy("审批单"),
)


def _user_or_none(actor):
    return actor if getattr(actor, "pk", None) is not None else None


def _note(raw, *, required: bool) -> str:
    note = str(raw or "").strip()
    if required and not note:
        raise ApprovalError(ApprovalCode.REASON_REQUIRED, gettext("驳回须填写原因"), {"field": "reason"})
    return note[:NOTE_MAX]


def _check_amount(amount_fen) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise ApprovalError(ApprovalCode.INVALID_AMOUNT, gettext("金额必须是不小于 0 的整数（分）"), {"amount_fen": amount_fen})
    return amount_fen


def pending(kind: str, reference: str) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(kind=kind, reference=reference, status=R.PENDING).first()


def propose(
    *,
    kind: str,
    reference: str,
    amount_fen: int,
    summary: str,
    proposer=None,
    payload: dict[str, Any] | None = None,
    beneficiaries=(),
) -> ApprovalRequest:
    """Ask for a second person's approval. Proposing the same object again while a request is pending
    returns that request (a double click, a retried job): one pending request per object."""
    if registry.get_kind(kind) is None:
        raise ApprovalError(ApprovalCode.UNKNOWN_KIND, gettext("未知的审批类型"), {"kind": kind})
    amount_fen = _check_amount(amount_fen)
    existing = pending(kind, reference)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                kind=kind,
                reference=reference[:80],
                amount_fen=amount_fen,
                summary=str(summary)[:200],
                payload=payload or {},
                beneficiaries=sorted({int(b) for b in beneficiaries if b is not None}),
                proposed_by=_user_or_none(proposer),
            )
            APPROVAL_MACHINE.record(request, "", R.PENDING, actor=proposer, note=str(summary))
    except IntegrityError:
        existing = pending(kind, reference)
        if existing is None:
            raise
        return existing
    logger.info("approval %s proposed: %s %s, %s fen", request.pk, kind, reference, amount_fen)
    return request


def _locked(request_id: int) -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise ApprovalError(ApprovalCode.APPROVAL_NOT_FOUND, gettext("审批单不存在"), {"approval_id": request_id}, status=404)
    return request


def _transition(request: ApprovalRequest, to_status: str, *, actor, note: str) -> ApprovalRequest:
    fields: list[str] = []
    if to_status in (R.APPROVED, R.REJECTED):
        APPROVAL_MACHINE.check(request.status, to_status)
        request.decided_by, request.decision_note = _user_or_none(actor), note
        fields = ["decided_by", "decision_note"]
    APPROVAL_MACHINE.move(request, to_status, actor=actor, note=note, extra_fields=fields)
    return request


def _check_checker(request: ApprovalRequest, actor) -> None:
    """The checker is an active staff member with the decide permission who neither proposed the
    request nor receives its money."""
    if not (actor is not None and actor.is_active and actor.is_staff and actor.has_perm(DECIDE_PERMISSION)):
        raise ApprovalError(ApprovalCode.FORBIDDEN, gettext("需要财务审批权限"), {"permission": DECIDE_PERMISSION}, status=403)
    refuse_proposer(actor, request.proposed_by_id, what=f"approval:{request.pk}")
    for user_id in request.beneficiaries or ():
        refuse_own(actor, user_id, what=f"approval:{request.pk}")


@transaction.atomic
def approve(*, request_id: int, actor, note: str = "") -> ApprovalRequest:
    note = _note(note, required=False)
    request = _locked(request_id)
    _check_checker(request, actor)
    kind = registry.get_kind(request.kind)
    if kind is None:
        raise ApprovalError(ApprovalCode.UNKNOWN_KIND, gettext("未知的审批类型"), {"kind": request.kind}, status=409)
    _transition(request, R.APPROVED, actor=actor, note=note or gettext("批准"))
    result = kind.on_approve(request, actor) or {}
    request.result = result
    request.save(update_fields=["result"])
    logger.info("approval %s approved by %s: %s %s", request.pk, actor.pk, request.kind, request.reference)
    return request


@transaction.atomic
def reject(*, request_id: int, actor, reason: str) -> ApprovalRequest:
    reason = _note(reason, required=True)
    request = _locked(request_id)
    _check_checker(request, actor)
    _transition(request, R.REJECTED, actor=actor, note=reason)
    kind = registry.get_kind(request.kind)
    if kind is not None and kind.on_reject is not None:
        kind.on_reject(request, actor)
    return request


@transaction.atomic
def withdraw(*, request_id: int, actor=None, note: str = "") -> ApprovalRequest:
    """The proposing side takes a pending request back (e.g. the object it was about went away)."""
    request = _locked(request_id)
    return _transition(request, R.WITHDRAWN, actor=actor, note=_note(note, required=False) or gettext("撤回"))
