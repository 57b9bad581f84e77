"""Supplier statements over the API.

- `/api/v1/supplier/statements`: the signed-in supplier's own statements (list, detail with lines,
  confirm); anyone who is not an approved or suspended supplier gets 403 `not_supplier`; another
  supplier's statement answers 404 like a missing one.
- `/api/v1/operator/supplier-statements`: finance's view of every statement, and the payout batches
  (create, export the bank file once a second finance member approved, import the results).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm

from ..errors import SupplyCode, SupplyError
from ..portal.access import current_supplier
from . import files, payouts, selectors, services
from .schemas import (
    SupplierSettlementBatchFilter,
    SupplierSettlementBatchIn,
    SupplierSettlementBatchOut,
    SupplierSettlementImportSummaryOut,
    SupplierSettlementOperatorStatementDetailOut,
    SupplierSettlementOperatorStatementFilter,
    SupplierSettlementOperatorStatementOut,
    SupplierSettlementStatementDetailOut,
    SupplierSettlementStatementFilter,
    SupplierSettlementStatementOut,
)

router = Router(tags=["供应商门户 supplier"], auth=member_auth)
operator_router = Router(tags=["运营：供应商结算 operator"], auth=member_auth)

VIEW_STATEMENT = "supply.view_supplierstatement"
VIEW_BATCH = "supply.view_supplierpayoutbatch"
ADD_BATCH = "supply.add_supplierpayoutbatch"
EXPORT_BATCH = "supply.export_supplierpayoutbatch"
CHANGE_BATCH = "supply.change_supplierpayoutbatch"


def statement_dict(s, *, detail: bool = False, operator: bool = False) -> dict:
    data = {
        "id": s.pk,
        "number": s.number,
        "status": s.status,
        "status_label": s.get_status_display(),
        "period_start": s.period_start,
        "period_end": s.period_end,
        "line_count": s.line_count,
        "goods_fen": s.goods_fen,
        "deduction_fen": s.deduction_fen,
        "amount_fen": s.amount_fen,
        "carried_fen": s.carried_fen,
        "payable_fen": s.payable_fen,
        "issued_at": s.issued_at,
        "confirmed_at": s.confirmed_at,
        "paid_at": s.paid_at,
        "failure_reason": s.failure_reason,
    }
    if operator:
        data.update(
            {
                "supplier_id": s.supplier_id,
                "supplier_name": s.supplier.name,
                "batch_id": s.payout_batch_id,
                "batch_number": s.payout_batch.number if s.payout_batch_id else None,
            }
        )
    if detail:
        data["lines"] = [
            {
                "order_number": line.order_number,
                "sku_code": line.sku_code,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "unit_cost_fen": line.unit_cost_fen,
                "owed_fen": line.owed_fen,
                "amount_fen": line.amount_fen,
            }
            for line in s.lines.all()
        ]
        data["events"] = [
            {"from_status": e.from_status, "to_status": e.to_status, "note": e.note, "created_at": e.created_at}
            for e in s.events.all()
        ]
    return data


def batch_dict(batch) -> dict:
    return {
        "id": batch.pk,
        "number": batch.number,
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "statement_count": batch.statement_count,
        "amount_fen": batch.amount_fen,
        "approved": payouts.batch_approved(batch),
        "created_at": batch.created_at,
        "created_by": batch.created_by.display_name if batch.created_by_id else None,
        "exported_at": batch.exported_at,
        "closed_at": batch.closed_at,
        "statements": [
            statement_dict(s, operator=True) for s in batch.statements.select_related("supplier", "payout_batch").order_by("id")
        ],
    }


def _page(qs, page: int, page_size: int):
    start = (page - 1) * page_size
    return qs[start : start + page_size]


def _not_found(statement_id: int):
    return SupplyError(SupplyCode.STATEMENT_NOT_FOUND, _("对账单不存在"), {"statement_id": statement_id}, status=404)


# --- the supplier ----------------------------------------------------------------------------------


@router.get("", response=list[SupplierSettlementStatementOut], summary="我的对账单（新的在前）")
def my_statements(request, q: Query[SupplierSettlementStatementFilter]):
    supplier = current_supplier(current_user(request))
    return [statement_dict(s) for s in _page(selectors.supplier_statements(supplier.pk, status=q.status), q.page, q.page_size)]


@router.get("/{statement_id}", response=SupplierSettlementStatementDetailOut, summary="对账单详情（含明细与记录）")
def my_statement(request, statement_id: int):
    supplier = current_supplier(current_user(request))
    statement = selectors.supplier_statement(supplier.pk, statement_id)
    if statement is None:
        raise _not_found(statement_id)
    return statement_dict(statement, detail=True)


@router.post("/{statement_id}/confirm", response=SupplierSettlementStatementDetailOut, summary="确认对账单（确认后财务才能打款）")
def confirm(request, statement_id: int):
    """409 `statement_already_confirmed` when it was confirmed before."""
    user = current_user(request)
    supplier = current_supplier(user)
    services.confirm_statement(statement_id, supplier, user)
    return statement_dict(selectors.supplier_statement(supplier.pk, statement_id), detail=True)


# --- finance ---------------------------------------------------------------------------------------


@operator_router.get("", response=list[SupplierSettlementOperatorStatementOut], summary="供应商对账单")
def operator_list(request, q: Query[SupplierSettlementOperatorStatementFilter]):
    require_staff_perm(request, VIEW_STATEMENT)
    qs = selectors.operator_statements(status=q.status, supplier_id=q.supplier_id, batch_id=q.batch_id)
    return [statement_dict(s, operator=True) for s in _page(qs, q.page, q.page_size)]


@operator_router.get("/batches", response=list[SupplierSettlementBatchOut], summary="供应商打款批次")
def batches(request, q: Query[SupplierSettlementBatchFilter]):
    require_staff_perm(request, VIEW_BATCH)
    return [batch_dict(b) for b in selectors.batches(status=q.status)[:100]]


@operator_router.post(
    "/batches", response={201: SupplierSettlementBatchOut}, summary="用已确认的对账单新建打款批次（须另一位财务复核）"
)
def create_batch(request, payload: SupplierSettlementBatchIn):
    require_staff_perm(request, ADD_BATCH)
    batch = payouts.create_batch(actor=current_user(request), statement_ids=payload.statement_ids)
    return Status(201, batch_dict(selectors.batch_detail(batch.pk)))


def _batch(batch_id: int):
    batch = selectors.batch_detail(batch_id)
    if batch is None:
        raise SupplyError(SupplyCode.BATCH_NOT_FOUND, _("打款批次不存在"), {"batch_id": batch_id}, status=404)
    return batch


@operator_router.get("/batches/{batch_id}", response=SupplierSettlementBatchOut, summary="供应商打款批次详情")
def batch_detail(request, batch_id: int):
    require_staff_perm(request, VIEW_BATCH)
    return batch_dict(_batch(batch_id))


@operator_router.get("/batches/{batch_id}/export.xlsx", summary="导出打款文件 Excel（含完整收款账号；须复核通过）")
def export_xlsx(request, batch_id: int):
    require_staff_perm(request, EXPORT_BATCH)
    exported = payouts.export_batch(batch_id=batch_id, actor=current_user(request))
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@operator_router.post(
    "/batches/{batch_id}/results",
    response=SupplierSettlementImportSummaryOut,
    summary="导入打款结果（xlsx 或 CSV；重复导入不会重复入账）",
)
def import_results(request, batch_id: int, file: File[UploadedFile]):
    """422 `unknown_statement` when no line of the file names a statement that can be handled."""
    require_staff_perm(request, CHANGE_BATCH)
    summary = payouts.import_results(
        batch_id=batch_id, actor=current_user(request), filename=file.name or "", content=file.read(files.MAX_UPLOAD_BYTES + 1)
    )
    return {
        "batch": batch_dict(_batch(summary.batch.pk)),
        **summary.counts(),
        "lines": [
            {"row": line.row, "number": line.number, "outcome": line.outcome, "message": line.message} for line in summary.lines
        ],
    }


@operator_router.get(
    "/{statement_id}", response=SupplierSettlementOperatorStatementDetailOut, summary="供应商对账单详情（含明细）"
)
def operator_detail(request, statement_id: int):
    require_staff_perm(request, VIEW_STATEMENT)
    statement = selectors.operator_statement(statement_id)
    if statement is None:
        raise _not_found(statement_id)
    return statement_dict(statement, detail=True, operator=True)
