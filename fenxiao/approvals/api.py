"""/api/v1/operator/approvals: finance's queue of payouts waiting for a second person."""

from ninja import Query, Router

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm

from . import registry, selectors, services
from .schemas import ApprovalFilter, ApprovalNoteIn, ApprovalOut, ApprovalReasonIn

operator_router = Router(tags=["运营：资金审批 operator"], auth=member_auth)
VIEW_PERMISSION = "approvals.view_approvalrequest"
MAX_PAGE = 10_000


def approval_dict(r) -> dict:
    return {
        "id": r.pk,
        "kind": r.kind,
        "kind_label": registry.label_for(r.kind),
        "reference": r.reference,
        "amount_fen": r.amount_fen,
        "summary": r.summary,
        "status": r.status,
        "status_label": r.get_status_display(),
        "proposed_by_id": r.proposed_by_id,
        "proposed_at": r.proposed_at,
        "decided_by_id": r.decided_by_id,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "result": r.result or {},
    }


@operator_router.get("", response=list[ApprovalOut], summary="资金审批列表（默认全部，status=pending 为待审批）")
def approvals(request, q: Query[ApprovalFilter]):
    require_staff_perm(request, VIEW_PERMISSION)
    size = max(1, min(q.page_size, 100))
    start = (max(1, min(q.page, MAX_PAGE)) - 1) * size
    return [approval_dict(r) for r in selectors.requests(status=q.status, kind=q.kind)[start : start + size]]


@operator_router.post("/{approval_id}/approve", response=ApprovalOut, summary="批准（执行发放；提交人不能批准）")
def approve(request, approval_id: int, payload: ApprovalNoteIn):
    require_staff_perm(request, services.DECIDE_PERMISSION)
    return approval_dict(services.approve(request_id=approval_id, actor=current_user(request), note=payload.note))


@operator_router.post("/{approval_id}/reject", response=ApprovalOut, summary="驳回（须填原因）")
def reject(request, approval_id: int, payload: ApprovalReasonIn):
    require_staff_perm(request, services.DECIDE_PERMISSION)
    return approval_dict(services.reject(request_id=approval_id, actor=current_user(request), reason=payload.reason))
