"""The supplier endpoints: a user's own application (`router`, /v1/supplier-applications) and the
operator's review, evaluation, suspension and reinstatement (`operator_router`, /v1/operator/suppliers,
供应链 staff with `suppliers.review_supplier`; the list and detail need `suppliers.view_supplier`)."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm

from . import selectors, services
from .errors import SupplierCode, SupplierError
from .models import Supplier
from .schemas import (
    OperatorSupplierFilter,
    OperatorSupplierOut,
    OperatorSupplierPageOut,
    SupplierApplicationIn,
    SupplierApplicationOut,
    SupplierEvaluationIn,
    SupplierNoteIn,
    SupplierReasonIn,
)

router = Router(tags=["供应商入驻 supplier applications"], auth=member_auth)
operator_router = Router(tags=["运营：供应商 operator suppliers"], auth=member_auth)

VIEW = "suppliers.view_supplier"
REVIEW = "suppliers.review_supplier"


def masked_account(number: str) -> str:
    return f"**** {number[-4:]}" if number else ""


def application_out(supplier: Supplier) -> dict:
    return {
        "id": supplier.pk,
        "name": supplier.name,
        "status": supplier.status,
        "status_label": supplier.get_status_display(),
        "status_reason": supplier.status_reason,
        "company_name": supplier.company_name,
        "credit_code": supplier.credit_code,
        "licence_number": supplier.licence_number,
        "category": supplier.category,
        "production_scale": supplier.production_scale,
        "quality_system": supplier.quality_system,
        "contact_name": supplier.contact_name,
        "contact_phone": supplier.contact_phone,
        "return_address": supplier.return_address,
        "bank_name": supplier.bank_name,
        "bank_account_masked": masked_account(supplier.bank_account_number),
        "settlement_cycle": supplier.settlement_cycle,
        "applied_at": supplier.applied_at,
        "reviewed_at": supplier.reviewed_at,
    }


def operator_out(supplier: Supplier, *, events: bool = False) -> dict:
    data = application_out(supplier)
    data.update(
        {
            "user_id": supplier.user_id,
            "return_receiver": supplier.return_receiver,
            "return_phone": supplier.return_phone,
            "bank_account_name": supplier.bank_account_name,
            "suspended_at": supplier.suspended_at,
            "created_at": supplier.created_at,
            "events": [],
        }
    )
    if events:
        data["events"] = [
            {
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "created_at": e.created_at,
                "actor": e.actor.display_name if e.actor is not None else None,
            }
            for e in supplier.events.all()
        ]
    return data


def _detail(supplier_id: int) -> dict:
    supplier = selectors.supplier_detail(supplier_id)
    if supplier is None:
        raise SupplierError(SupplierCode.SUPPLIER_NOT_FOUND, _("供应商不存在"), {"supplier_id": supplier_id}, status=404)
    return operator_out(supplier, events=True)


# --- the applicant ---------------------------------------------------------------------------------


@router.post("", response={201: SupplierApplicationOut}, summary="申请成为供应商（被拒绝后可重新申请）")
def apply(request, payload: SupplierApplicationIn):
    supplier = services.apply(current_user(request), **payload.dict())
    return Status(201, application_out(supplier))


@router.get("/mine", response=SupplierApplicationOut, summary="我的入驻申请（状态、拒绝原因）")
def mine(request):
    supplier = selectors.supplier_for_user(current_user(request))
    if supplier is None:
        raise SupplierError(SupplierCode.APPLICATION_NOT_FOUND, _("还没有入驻申请"), status=404)
    return application_out(supplier)


# --- the operator ----------------------------------------------------------------------------------


@operator_router.get("", response=OperatorSupplierPageOut, summary="供应商列表（按状态筛选，分页）")
def list_suppliers(request, filters: Query[OperatorSupplierFilter]):
    require_staff_perm(request, VIEW)
    qs = selectors.operator_suppliers(status=filters.status, q=filters.q)
    start = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [operator_out(s) for s in qs[start : start + filters.page_size]],
    }


@operator_router.get("/{supplier_id}", response=OperatorSupplierOut, summary="供应商详情（含记录）")
def read_supplier(request, supplier_id: int):
    require_staff_perm(request, VIEW)
    return _detail(supplier_id)


@operator_router.post("/{supplier_id}/approve", response=OperatorSupplierOut, summary="入驻审核通过")
def approve(request, supplier_id: int, payload: SupplierNoteIn):
    require_staff_perm(request, REVIEW)
    services.approve(supplier_id, current_user(request), payload.note)
    return _detail(supplier_id)


@operator_router.post("/{supplier_id}/reject", response=OperatorSupplierOut, summary="入驻审核拒绝（须填原因）")
def reject(request, supplier_id: int, payload: SupplierReasonIn):
    require_staff_perm(request, REVIEW)
    services.reject(supplier_id, current_user(request), payload.reason)
    return _detail(supplier_id)


@operator_router.post("/{supplier_id}/evaluate", response=OperatorSupplierOut, summary="供应商评估（0–100 分，可同时暂停）")
def evaluate(request, supplier_id: int, payload: SupplierEvaluationIn):
    require_staff_perm(request, REVIEW)
    services.evaluate(supplier_id, current_user(request), payload.score, payload.conclusion, suspend=payload.suspend)
    return _detail(supplier_id)


@operator_router.post("/{supplier_id}/suspend", response=OperatorSupplierOut, summary="暂停合作（须填原因；其商品停售）")
def suspend(request, supplier_id: int, payload: SupplierReasonIn):
    require_staff_perm(request, REVIEW)
    services.suspend(supplier_id, current_user(request), payload.reason)
    return _detail(supplier_id)


@operator_router.post("/{supplier_id}/reinstate", response=OperatorSupplierOut, summary="恢复合作")
def reinstate(request, supplier_id: int, payload: SupplierNoteIn):
    require_staff_perm(request, REVIEW)
    services.reinstate(supplier_id, current_user(request), payload.note)
    return _detail(supplier_id)
