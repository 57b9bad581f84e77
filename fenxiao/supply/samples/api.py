"""The samples API: the distributor's requests and quota (/api/v1/distribution/samples) and supply
chain's review (/api/v1/operator/sample-requests)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.common import periods
from fenxiao.common.phone import mask_phone
from fenxiao.distribution.selectors import require_distributor

from ..errors import SupplyCode, SupplyError
from ..models import SampleRequest
from ..scorecard.selectors import parse_month_or_error
from . import selectors, services
from .schemas import (
    OperatorSampleRequestOut,
    SampleFilter,
    SampleListOut,
    SampleMonthQuery,
    SampleMonthTotalsOut,
    SampleQuotaOut,
    SampleRejectIn,
    SampleRequestIn,
    SampleRequestOut,
    SampleReviewIn,
)

router = Router(tags=["样品 samples"], auth=member_auth)
operator_router = Router(tags=["运营：样品申请 operator"], auth=member_auth)

VIEW_PERM = "supply.view_samplerequest"
REVIEW_PERM = "supply.review_samplerequest"


def quota_dict(quota: selectors.Quota) -> dict:
    return {"month": quota.month_label, "quota": quota.quota, "used": quota.used, "left": quota.left}


def request_dict(r: SampleRequest, *, events: bool = False, operator: bool = False) -> dict:
    data = {
        "id": r.pk,
        "status": r.status,
        "status_label": r.get_status_display(),
        "sku_id": r.sku_id,
        "sku_code": r.sku.code,
        "product_name": r.sku.product.name,
        "sku_spec": r.sku.spec,
        "quantity": r.quantity,
        "reason": r.reason,
        "month": periods.month_label(r.month),
        "reject_reason": r.reject_reason,
        "receiver": r.receiver,
        "receiver_phone_masked": mask_phone(r.receiver_phone),
        "address": f"{r.province}{r.city}{r.district}{r.address_detail}",
        "order_id": r.order_id,
        "order_number": r.order.number if r.order is not None else None,
        "created_at": r.created_at,
        "decided_at": r.decided_at,
        "events": [
            {"from_status": e.from_status, "to_status": e.to_status, "note": e.note, "created_at": e.created_at}
            for e in r.events.all()
        ]
        if events
        else [],
    }
    if operator:
        d = r.distributor
        data.update(
            {
                "distributor_id": d.pk,
                "distributor_code": d.code,
                "distributor_name": d.real_name or d.user.display_name,
                "level_name": d.level.name,
            }
        )
    return data


def _distributor(request):
    return require_distributor(current_user(request))


def _own(distributor, request_id: int) -> SampleRequest:
    found = selectors.request_of(distributor, request_id)
    if found is None:
        raise SupplyError(SupplyCode.SAMPLE_REQUEST_NOT_FOUND, _("样品申请不存在"), {"request_id": request_id}, status=404)
    return found


def _status_or_error(status: str | None) -> str | None:
    if status and status not in SampleRequest.Status.values:
        raise SupplyError(SupplyCode.INVALID_SAMPLE_REQUEST, _("状态不正确"), {"field": "status", "status": status}, status=422)
    return status or None


# --- distributor ----------------------------------------------------------------------------------


@router.get("", response=SampleListOut, summary="我的样品申请与本月额度")
def my_samples(request, q: Query[SampleFilter]):
    distributor = _distributor(request)
    size = q.page_size
    start = (q.page - 1) * size
    qs = selectors.requests_of(distributor, status=_status_or_error(q.status))
    return {"quota": quota_dict(selectors.quota_of(distributor)), "requests": [request_dict(r) for r in qs[start : start + size]]}


@router.post("", response={201: SampleRequestOut}, summary="申请样品（本月额度内）")
def request_sample(request, payload: SampleRequestIn):
    """超出本月额度返回 422 `sample_quota_exceeded`（detail：quota、used、asked）；
    商品不可售返回 404 `sample_not_sellable`；地址不是我的地址簿中的返回 404 `address_not_found`。"""
    distributor = _distributor(request)
    created = services.request_sample(
        distributor=distributor,
        sku_id=payload.sku_id,
        quantity=payload.quantity,
        address_id=payload.address_id,
        reason=payload.reason,
        actor=current_user(request),
    )
    return Status(201, request_dict(_own(distributor, created.pk), events=True))


@router.get("/quota", response=SampleQuotaOut, summary="本月样品额度与已用")
def my_quota(request):
    return quota_dict(selectors.quota_of(_distributor(request)))


@router.get("/{request_id}", response=SampleRequestOut, summary="样品申请详情")
def my_request(request, request_id: int):
    return request_dict(_own(_distributor(request), request_id), events=True)


@router.post("/{request_id}/withdraw", response=SampleRequestOut, summary="撤销样品申请（仅待审核）")
def withdraw(request, request_id: int):
    distributor = _distributor(request)
    services.withdraw_request(distributor=distributor, request_id=request_id, actor=current_user(request))
    return request_dict(_own(distributor, request_id), events=True)


# --- supply chain ----------------------------------------------------------------------------------


def _detail(request_id: int) -> dict:
    found = selectors.request_detail(request_id)
    if found is None:
        raise SupplyError(SupplyCode.SAMPLE_REQUEST_NOT_FOUND, _("样品申请不存在"), {"request_id": request_id}, status=404)
    return request_dict(found, events=True, operator=True)


@operator_router.get("", response=list[OperatorSampleRequestOut], summary="样品申请列表")
def review_list(request, q: Query[SampleFilter]):
    require_staff_perm(request, VIEW_PERM)
    month = parse_month_or_error(q.month) if q.month else None
    qs = selectors.requests_for_review(status=_status_or_error(q.status), month=month)
    start = (q.page - 1) * q.page_size
    return [request_dict(r, operator=True) for r in qs[start : start + q.page_size]]


@operator_router.get("/totals", response=SampleMonthTotalsOut, summary="每位分销商的月度样品数量")
def month_totals(request, q: Query[SampleMonthQuery]):
    require_staff_perm(request, VIEW_PERM)
    month = parse_month_or_error(q.month)
    rows = [
        {
            "distributor_id": r["distributor_id"],
            "distributor_code": r["distributor__code"],
            "distributor_name": r["distributor__real_name"],
            "requests": r["requests"],
            "units": r["units"] or 0,
            "approved_units": r["approved_units"] or 0,
        }
        for r in selectors.monthly_totals(month)
    ]
    return {"month": periods.month_label(month), "rows": rows}


@operator_router.get("/{request_id}", response=OperatorSampleRequestOut, summary="样品申请详情（含记录）")
def review_detail(request, request_id: int):
    require_staff_perm(request, VIEW_PERM)
    return _detail(request_id)


@operator_router.post("/{request_id}/approve", response=OperatorSampleRequestOut, summary="批准样品申请：生成 0 元样品单")
def approve(request, request_id: int, payload: SampleReviewIn):
    """从样品库存（samples）占用并立即视为已付款，由平台仓发货。样品库存不足返回 409 `sold_out`，申请保持待审核；
    不能审批自己的申请（403 `own_object`）。"""
    require_staff_perm(request, REVIEW_PERM)
    services.approve_request(request_id=request_id, actor=current_user(request), note=payload.note)
    return _detail(request_id)


@operator_router.post("/{request_id}/reject", response=OperatorSampleRequestOut, summary="拒绝样品申请（须填原因）")
def reject(request, request_id: int, payload: SampleRejectIn):
    require_staff_perm(request, REVIEW_PERM)
    services.reject_request(request_id=request_id, actor=current_user(request), reason=payload.reason)
    return _detail(request_id)
