"""Supplier payout batches: finance gathers confirmed statements into a batch, a second finance member
approves it (the approvals app), the payout file is exported for the bank, and the results the bank
sends back are imported.

A result is recorded once per statement: the statement is then paid (the payout posted to the ledger
under the statement's own key) or failed (nothing posted). Importing the same file again answers
"already applied" and changes nothing; a line that contradicts the recorded result is a conflict and
changes nothing either. A failed statement may go into a new batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from fenxiao.approvals import selectors as approval_selectors
from fenxiao.approvals import services as approvals
from fenxiao.common.errors import DomainError
from fenxiao.common.money import yuan
from fenxiao.common.numbers import business_number
from fenxiao.common.transitions import StateMachine

from ..errors import SupplyCode, SupplyError
from ..models import SupplierPayoutBatch, SupplierPayoutBatchEvent, SupplierStatement
from . import files, postings
from .services import STATEMENT_MACHINE

B = SupplierPayoutBatch.Status
S = SupplierStatement.Status

BATCH_MACHINE = StateMachine(
    table={B.OPEN: {B.EXPORTED}, B.EXPORTED: {B.CLOSED}, B.CLOSED: set()},
    labels=B,
    error=SupplyError,
    event_model=SupplierPayoutBatchEvent,
    event_fk="batch",
    stamps={B.EXPORTED: "exported_at", B.CLOSED: "closed_at"},
    code=SupplyCode.INVALID_TRANSITION,
    what=gettext_lazy("打款批次"),
)

BATCH_APPROVAL = "supplier_payout_batch"
APPLIED, ALREADY_APPLIED, CONFLICT, ERROR = "applied", "already_applied", "conflict", "error"
# The bank needs all three to transfer to a company account.
BANK_COMPLETE = (
    ~Q(supplier__bank_account_number="")
    & ~Q(supplier__bank_name="")
    & (~Q(supplier__bank_account_name="") | ~Q(supplier__company_name=""))
)


def batch_reference(batch: SupplierPayoutBatch) -> str:
    return f"supplier_payout_batch:{batch.number}"


def batch_approved(batch: SupplierPayoutBatch) -> bool:
    return approval_selectors.is_approved(BATCH_APPROVAL, batch_reference(batch))


def _note(batch: SupplierPayoutBatch, note: str, *, actor=None) -> None:
    BATCH_MACHINE.record(batch, batch.status, batch.status, actor=actor, note=note)


def _locked_batch(batch_id: int) -> SupplierPayoutBatch:
    batch = SupplierPayoutBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise SupplyError(SupplyCode.BATCH_NOT_FOUND, gettext("打款批次不存在"), {"batch_id": batch_id}, status=404)
    return batch


def eligible_statements():
    """Statements finance may put into a batch: confirmed (or failed before), a positive amount to pay,
    complete bank details, in no open batch."""
    return SupplierStatement.objects.filter(status__in=(S.CONFIRMED, S.FAILED), payable_fen__gt=0).filter(BANK_COMPLETE)


@transaction.atomic
def create_batch(*, actor, statement_ids=None) -> SupplierPayoutBatch:
    """A batch of every eligible statement (or of the eligible ones among `statement_ids`), proposed
    for a second finance member's approval."""
    qs = eligible_statements().select_for_update(of=("self",)).select_related("supplier")
    if statement_ids is not None:
        qs = qs.filter(pk__in=[int(i) for i in statement_ids])
    rows = list(qs.order_by("id"))
    if not rows:
        raise SupplyError(
            SupplyCode.NOTHING_TO_PAY, gettext("没有可打款的对账单（须已确认、应付大于 0、银行信息完整）"), status=409
        )
    amount = sum(s.payable_fen for s in rows)
    batch = SupplierPayoutBatch.objects.create(
        number=business_number("SB", random_digits=8),
        statement_count=len(rows),
        amount_fen=amount,
        created_by=actor if getattr(actor, "pk", None) is not None else None,
    )
    note = gettext("加入打款批次 %(batch)s") % {"batch": batch.number}
    for statement in rows:
        statement.payout_batch = batch
        statement.failure_reason = ""
        STATEMENT_MACHINE.move(statement, S.IN_BATCH, actor=actor, note=note, extra_fields=["payout_batch", "failure_reason"])
    summary = gettext("供应商打款批次 %(batch)s：%(n)s 笔，合计 ¥%(amount)s") % {
        "batch": batch.number,
        "n": len(rows),
        "amount": yuan(amount),
    }
    BATCH_MACHINE.record(batch, "", B.OPEN, actor=actor, note=summary)
    approvals.propose(
        kind=BATCH_APPROVAL,
        reference=batch_reference(batch),
        amount_fen=amount,
        summary=summary,
        proposer=actor,
        payload={"batch_id": batch.pk},
        beneficiaries=sorted({s.supplier.user_id for s in rows}),
    )
    return batch


@transaction.atomic
def on_batch_approved(request, actor) -> dict:
    batch = _locked_batch(request.payload["batch_id"])
    if batch.status != B.OPEN or not batch.statements.filter(status=S.IN_BATCH).exists():
        raise SupplyError(SupplyCode.INVALID_TRANSITION, gettext("该批次不能再审批"), {"status": batch.status}, status=409)
    _note(batch, gettext("复核通过，可以导出打款文件"), actor=actor)
    return {"batch": batch.number, "amount_fen": batch.amount_fen}


@transaction.atomic
def on_batch_rejected(request, actor) -> None:
    """A refused batch lets its statements go: confirmed and in no batch again."""
    batch = _locked_batch(request.payload["batch_id"])
    note = gettext("打款批次 %(batch)s 复核未通过，移出批次") % {"batch": batch.number}
    for statement in SupplierStatement.objects.select_for_update().filter(payout_batch=batch, status=S.IN_BATCH).order_by("id"):
        statement.payout_batch = None
        STATEMENT_MACHINE.move(statement, S.CONFIRMED, actor=actor, note=note, extra_fields=["payout_batch"])
    _note(batch, gettext("复核未通过：%(reason)s") % {"reason": request.decision_note}, actor=actor)


# --- export -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    content_type: str


def payout_rows(batch: SupplierPayoutBatch) -> list[files.PayoutRow]:
    rows = []
    for s in batch.statements.select_related("supplier").order_by("id"):
        supplier = s.supplier
        rows.append(
            files.PayoutRow(
                batch_number=batch.number,
                statement_number=s.number,
                payee_name=supplier.bank_account_name or supplier.company_name,
                account=supplier.bank_account_number,
                bank_name=supplier.bank_name,
                amount_fen=s.payable_fen,
                purpose=gettext("货款 %(number)s") % {"number": s.number},
            )
        )
    return rows


@transaction.atomic
def export_batch(*, batch_id: int, actor) -> ExportFile:
    """The payout file (.xlsx, full account numbers). Only after a second finance member approved the
    batch; the first export moves it to exported, every export is written to its history."""
    batch = _locked_batch(batch_id)
    if batch.status == B.OPEN and not batch_approved(batch):
        raise SupplyError(
            SupplyCode.BATCH_NOT_APPROVED,
            gettext("打款批次须由另一位财务人员复核通过后才能导出"),
            {"batch": batch.number},
            status=409,
        )
    content = files.build_xlsx(payout_rows(batch), title=batch.number)
    note = gettext("导出打款文件（XLSX）")
    if batch.status == B.OPEN:
        BATCH_MACHINE.move(batch, B.EXPORTED, actor=actor, note=note)
    else:
        _note(batch, note, actor=actor)
    return ExportFile(filename=f"supplier-payout-{batch.number}.xlsx", content=content, content_type=files.XLSX_CONTENT_TYPE)


# --- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLine:
    row: int
    number: str
    outcome: str  # applied, already_applied, conflict, error
    message: str
    code: str = ""


@dataclass
class ImportSummary:
    batch: SupplierPayoutBatch
    lines: list[ImportLine] = field(default_factory=list)

    def of(self, outcome: str) -> list[ImportLine]:
        return [line for line in self.lines if line.outcome == outcome]

    def counts(self) -> dict[str, int]:
        return {
            "applied": len(self.of(APPLIED)),
            "already_applied": len(self.of(ALREADY_APPLIED)),
            "conflicts": len(self.of(CONFLICT)),
            "errors": len(self.of(ERROR)),
        }


@transaction.atomic
def apply_result(
    *, batch: SupplierPayoutBatch, number: str, outcome: str, failure_reason: str = "", actor=None
) -> tuple[str, str]:
    """Record the bank's result for one statement of the batch, unless one is recorded already."""
    if outcome not in ("success", "failed"):
        raise SupplyError(SupplyCode.INVALID_RESULT, gettext("结果只能是成功或失败"), {"outcome": outcome})
    statement = SupplierStatement.objects.select_for_update().filter(number=str(number).strip()).first()
    if statement is None:
        raise SupplyError(SupplyCode.UNKNOWN_STATEMENT, gettext("对账单号不存在"), {"number": number}, status=422)
    if statement.payout_batch_id != batch.pk:
        raise SupplyError(SupplyCode.NOT_IN_BATCH, gettext("该对账单不在本批次中"), {"number": number})
    outcomes: dict[str, str] = {S.PAID: "success", S.FAILED: "failed"}
    recorded = outcomes.get(statement.status)
    if recorded == outcome:
        return ALREADY_APPLIED, gettext("结果（%(status)s）已导入，未重复处理") % {"status": statement.get_status_display()}
    if recorded is not None:
        return CONFLICT, gettext("与已导入的结果（%(status)s）矛盾，未做任何更改") % {"status": statement.get_status_display()}
    if statement.status != S.IN_BATCH:
        raise SupplyError(SupplyCode.NOT_IN_BATCH, gettext("该对账单不在打款中"), {"number": number, "status": statement.status})
    if outcome == "success":
        STATEMENT_MACHINE.move(statement, S.PAID, actor=actor, note=gettext("银行回传：打款成功"))
        postings.post_payout(statement, actor=actor)
        return APPLIED, gettext("已付款 ¥%(amount)s") % {"amount": yuan(statement.payable_fen)}
    statement.failure_reason = str(failure_reason or "").strip()[:200]
    STATEMENT_MACHINE.move(
        statement,
        S.FAILED,
        actor=actor,
        note=gettext("银行回传：打款失败 %(reason)s") % {"reason": statement.failure_reason},
        extra_fields=["failure_reason"],
    )
    return APPLIED, gettext("打款失败，可放入新的打款批次")


def import_results(*, batch_id: int, actor, filename: str, content: bytes) -> ImportSummary:
    """Apply a result file to a batch, each line in its own transaction, and say line by line what
    happened. A file whose every line is an error changes nothing and is refused (422); the batch
    closes when every statement in it has a result."""
    batch = SupplierPayoutBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise SupplyError(SupplyCode.BATCH_NOT_FOUND, gettext("打款批次不存在"), {"batch_id": batch_id}, status=404)
    if batch.status == B.OPEN:
        raise SupplyError(SupplyCode.BATCH_NOT_EXPORTED, gettext("请先导出打款文件并完成打款，再导入结果"), status=409)
    summary = ImportSummary(batch=batch)
    for row in files.parse_results(filename, content):
        if row.error:
            summary.lines.append(ImportLine(row.row, row.number, ERROR, row.error, SupplyCode.INVALID_RESULT))
            continue
        try:
            outcome, message = apply_result(
                batch=batch, number=row.number, outcome=row.outcome, failure_reason=row.failure_reason, actor=actor
            )
        except DomainError as exc:
            summary.lines.append(ImportLine(row.row, row.number, ERROR, exc.message, exc.code))
        else:
            summary.lines.append(ImportLine(row.row, row.number, outcome, message))
    errors = summary.of(ERROR)
    if len(errors) == len(summary.lines):
        unknown = any(line.code == SupplyCode.UNKNOWN_STATEMENT for line in errors)
        raise SupplyError(
            SupplyCode.UNKNOWN_STATEMENT if unknown else SupplyCode.INVALID_FILE,
            gettext("结果文件中没有一行可以处理") if not unknown else gettext("结果文件中的对账单号都不存在或有误"),
            {"rows": [{"row": line.row, "number": line.number, "message": line.message} for line in errors[:50]]},
            status=422,
        )
    with transaction.atomic():
        batch = _locked_batch(batch.pk)
        counts = summary.counts()
        _note(
            batch,
            gettext("导入结果 %(name)s：新处理 %(applied)s，已处理 %(already)s，冲突 %(conflicts)s，错误 %(errors)s")
            % {
                "name": (filename or "")[:60],
                "applied": counts["applied"],
                "already": counts["already_applied"],
                "conflicts": counts["conflicts"],
                "errors": counts["errors"],
            },
            actor=actor,
        )
        open_left = batch.statements.filter(status=S.IN_BATCH).exists()
        if batch.status == B.EXPORTED and not open_left:
            BATCH_MACHINE.move(batch, B.CLOSED, actor=actor, note=gettext("所有对账单均已回传结果"))
    summary.batch = batch
    return summary
