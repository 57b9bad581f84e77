"""Payout batches: finance gathers approved withdrawals into a batch, exports the payout file for the
bank, and imports the results the bank sends back.

A result is recorded once per withdrawal (`PayoutResult`, unique): importing the same file again, or
a file that repeats a line, is reported as "already applied" and posts nothing; a line that
contradicts the recorded result (success after failed) is a conflict and changes nothing. Each line
is applied in its own transaction, so one bad line does not hold back the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fenxiao.approvals import selectors as approval_selectors
from fenxiao.approvals import services as approvals
from fenxiao.common.errors import DomainError
from fenxiao.common.money import yuan
from fenxiao.common.transitions import StateMachine
from fenxiao.distribution.models import Distributor

from .. import crypto, payout_files
from ..errors import WithdrawalCode, WithdrawalError
from ..models import Channel, PayoutBatch, PayoutBatchEvent, PayoutResult, TransferBill, Withdrawal, WithdrawalEvent
from .requests import new_number
from .review import mark_failed, mark_paid

B = PayoutBatch.Status
W = Withdrawal.Status

BATCH_TRANSITIONS: dict[str, set[str]] = {
    B.OPEN: {B.EXPORTED},
    B.EXPORTED: {B.CLOSED},
    B.CLOSED: set(),
}

BATCH_MACHINE = StateMachine(
    table=BATCH_TRANSITIONS,
    labels=B,
    error=WithdrawalError,
    event_model=PayoutBatchEvent,
    event_fk="batch",
    stamps={B.EXPORTED: "exported_at", B.CLOSED: "closed_at"},
    code=WithdrawalCode.INVALID_TRANSITION,
    what=gettext_lazy("批次"),
)

APPLIED = "applied"
ALREADY_APPLIED = "already_applied"
CONFLICT = "conflict"


def _note(batch: PayoutBatch, note: str, *, actor=None) -> None:
    """A line on the batch's timeline that changes no status (an approval, an export, an import)."""
    BATCH_MACHINE.record(batch, batch.status, batch.status, actor=actor, note=note)


def _locked_batch(batch_id: int) -> PayoutBatch:
    batch = PayoutBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise WithdrawalError(WithdrawalCode.BATCH_NOT_FOUND, gettext("打款批次不存在"), {"batch_id": batch_id}, status=404)
    return batch


# --- batches --------------------------------------------------------------------------------------


@transaction.atomic
def create_batch(*, actor, channel: str = "", withdrawal_ids=None) -> PayoutBatch:
    """A batch of every approved withdrawal that is in no batch yet (of one channel, or only of the
    given ids), numbered 1…n in the order they were made."""
    channel = channel or ""
    if channel and channel not in Channel.values:
        raise WithdrawalError(WithdrawalCode.INVALID_CHANNEL, gettext("提现方式无效"), {"field": "channel", "channel": channel})
    qs = Withdrawal.objects.select_for_update().filter(status=W.APPROVED, batch__isnull=True)
    qs = qs.exclude(pk__in=TransferBill.objects.values("withdrawal_id"))  # paid by WeChat merchant transfer
    if channel:
        qs = qs.filter(channel=channel)
    if withdrawal_ids is not None:
        qs = qs.filter(pk__in=[int(i) for i in withdrawal_ids])
    rows = list(qs.order_by("id"))
    if not rows:
        raise WithdrawalError(WithdrawalCode.NOTHING_TO_PAY, gettext("没有待打款（已审核且未入批次）的提现"), status=409)
    amount = sum(w.amount_fen for w in rows)
    fee = sum(w.fee_fen for w in rows)
    batch = PayoutBatch.objects.create(
        number=new_number("B"),
        channel=channel,
        line_count=len(rows),
        amount_fen=amount,
        fee_fen=fee,
        net_fen=amount - fee,
        created_by=actor if getattr(actor, "pk", None) is not None else None,
    )
    for line, withdrawal in enumerate(rows, start=1):
        withdrawal.batch = batch
        withdrawal.batch_line = line
    Withdrawal.objects.bulk_update(rows, ["batch", "batch_line"])
    WithdrawalEvent.objects.bulk_create(
        WithdrawalEvent(
            withdrawal=w,
            from_status=w.status,
            to_status=w.status,
            actor=actor,
            note=gettext("加入打款批次 %(batch)s") % {"batch": batch.number},
        )
        for w in rows
    )
    BATCH_MACHINE.record(
        batch, "", B.OPEN, actor=actor, note=gettext("%(n)s 笔，实付合计 ¥%(net)s") % {"n": len(rows), "net": yuan(batch.net_fen)}
    )
    owners = Distributor.objects.filter(pk__in={w.distributor_id for w in rows}).values_list("user_id", flat=True)
    approvals.propose(
        kind=BATCH_APPROVAL,
        reference=batch_reference(batch),
        amount_fen=batch.net_fen,
        summary=gettext("打款批次 %(batch)s：%(n)s 笔，实付合计 ¥%(net)s")
        % {"batch": batch.number, "n": len(rows), "net": yuan(batch.net_fen)},
        proposer=actor,
        payload={"batch_id": batch.pk},
        beneficiaries=list(owners),
    )
    return batch


# --- maker–checker: a batch is approved by a second finance member before its file is exported ----

BATCH_APPROVAL = "payout_batch"


def batch_reference(batch: PayoutBatch) -> str:
    return f"payout_batch:{batch.number}"


def batch_approved(batch: PayoutBatch) -> bool:
    return approval_selectors.is_approved(BATCH_APPROVAL, batch_reference(batch))


@transaction.atomic
def on_batch_approved(request, actor) -> dict:
    batch = _locked_batch(request.payload["batch_id"])
    if batch.status != B.OPEN or not batch.lines.exists():
        raise WithdrawalError(
            WithdrawalCode.INVALID_TRANSITION, gettext("该批次不能再审批"), {"status": batch.status}, status=409
        )
    _note(batch, gettext("复核通过，可以导出打款文件"), actor=actor)
    return {"batch": batch.number, "net_fen": batch.net_fen}


@transaction.atomic
def on_batch_rejected(request, actor) -> None:
    """A refused batch lets its withdrawals go: they are approved and in no batch again."""
    batch = _locked_batch(request.payload["batch_id"])
    rows = list(Withdrawal.objects.select_for_update().filter(batch=batch, status=W.APPROVED).order_by("id"))
    for withdrawal in rows:
        withdrawal.batch, withdrawal.batch_line = None, None
    Withdrawal.objects.bulk_update(rows, ["batch", "batch_line"])
    WithdrawalEvent.objects.bulk_create(
        WithdrawalEvent(
            withdrawal=w,
            from_status=w.status,
            to_status=w.status,
            actor=actor,
            note=gettext("打款批次 %(batch)s 复核未通过，移出批次") % {"batch": batch.number},
        )
        for w in rows
    )
    _note(batch, gettext("复核未通过：%(reason)s") % {"reason": request.decision_note}, actor=actor)


# --- export ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    content_type: str


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def payout_rows(batch: PayoutBatch) -> list[payout_files.PayoutRow]:
    """The batch's lines with the accounts decrypted: what the bank needs to pay."""
    rows = []
    for w in batch.lines.order_by("batch_line"):
        rows.append(
            payout_files.PayoutRow(
                line=w.batch_line,
                number=w.number,
                channel=str(Channel(w.channel).label),
                payee_name=w.payee_name,
                account=crypto.decrypt(w.account_encrypted),
                account_kind=str(Withdrawal.AccountKind(w.account_kind).label),
                bank_name=w.bank_name,
                amount_fen=w.amount_fen,
                fee_fen=w.fee_fen,
                net_fen=w.net_fen,
                reference=gettext("佣金提现 %(number)s") % {"number": w.number},
            )
        )
    return rows


@transaction.atomic
def export_batch(*, batch_id: int, actor, fmt: str) -> ExportFile:
    """The payout file of a batch, as CSV or .xlsx. The first export moves the batch to exported;
    every export is written to the batch's history, since the file carries full account numbers."""
    if fmt not in CONTENT_TYPES:
        raise WithdrawalError(WithdrawalCode.INVALID_FILE, gettext("导出格式只能是 csv 或 xlsx"), {"format": fmt})
    batch = _locked_batch(batch_id)
    if batch.status == B.OPEN and not batch_approved(batch):
        raise WithdrawalError(
            WithdrawalCode.BATCH_NOT_APPROVED,
            gettext("打款批次须由另一位财务人员复核通过后才能导出"),
            {"batch": batch.number},
            status=409,
        )
    rows = payout_rows(batch)
    content = payout_files.build_csv(rows) if fmt == "csv" else payout_files.build_xlsx(rows, title=batch.number)
    note = gettext("导出打款文件（%(format)s）") % {"format": fmt.upper()}
    if batch.status == B.OPEN:
        BATCH_MACHINE.move(batch, B.EXPORTED, actor=actor, note=note)
    else:
        _note(batch, note, actor=actor)
    return ExportFile(filename=f"payout-{batch.number}.{fmt}", content=content, content_type=CONTENT_TYPES[fmt])


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLine:
    row: int
    number: str
    outcome: str  # applied, already_applied, conflict, error
    message: str


@dataclass
class ImportSummary:
    batch: PayoutBatch
    lines: list[ImportLine] = field(default_factory=list)

    def _of(self, outcome: str) -> list[ImportLine]:
        return [line for line in self.lines if line.outcome == outcome]

    @property
    def applied(self) -> list[ImportLine]:
        return self._of(APPLIED)

    @property
    def already_applied(self) -> list[ImportLine]:
        return self._of(ALREADY_APPLIED)

    @property
    def conflicts(self) -> list[ImportLine]:
        return self._of(CONFLICT)

    @property
    def errors(self) -> list[ImportLine]:
        return self._of("error")

    def counts(self) -> dict[str, int]:
        return {
            "applied": len(self.applied),
            "already_applied": len(self.already_applied),
            "conflicts": len(self.conflicts),
            "errors": len(self.errors),
        }


def _outcome_label(outcome: str) -> str:
    return str(PayoutResult.Outcome(outcome).label)


@transaction.atomic
def apply_result(
    *,
    batch: PayoutBatch,
    number: str,
    outcome: str,
    external_reference: str = "",
    failure_reason: str = "",
    actor=None,
    source_name: str = "",
    source_row: int | None = None,
) -> tuple[str, str]:
    """Record the bank's result for one withdrawal of the batch and post it, unless a result is
    recorded already. Returns (applied / already_applied / conflict, message)."""
    if outcome not in PayoutResult.Outcome.values:
        raise WithdrawalError(WithdrawalCode.INVALID_RESULT, gettext("结果只能是成功或失败"), {"outcome": outcome})
    withdrawal = Withdrawal.objects.select_for_update().filter(number=str(number).strip()).first()
    if withdrawal is None:
        raise WithdrawalError(WithdrawalCode.WITHDRAWAL_NOT_FOUND, gettext("提现单号不存在"), {"number": number}, status=404)
    if withdrawal.batch_id != batch.pk:
        raise WithdrawalError(WithdrawalCode.NOT_IN_BATCH, gettext("该提现不在本批次中"), {"number": number})
    existing = PayoutResult.objects.filter(withdrawal=withdrawal).first()
    if existing is not None:
        if existing.outcome == outcome:
            return ALREADY_APPLIED, gettext("结果（%(outcome)s）已于 %(at)s 导入，未重复处理") % {
                "outcome": _outcome_label(existing.outcome),
                "at": timezone.localtime(existing.created_at).strftime("%Y-%m-%d %H:%M"),
            }
        return CONFLICT, gettext("与已导入的结果（%(outcome)s）矛盾，未做任何更改") % {
            "outcome": _outcome_label(existing.outcome)
        }
    PayoutResult.objects.create(
        withdrawal=withdrawal,
        batch=batch,
        outcome=outcome,
        external_reference=str(external_reference or "").strip()[:64],
        failure_reason=str(failure_reason or "").strip()[:200],
        source_name=str(source_name or "")[:120],
        source_row=source_row,
        created_by=actor if getattr(actor, "pk", None) is not None else None,
    )
    if outcome == PayoutResult.Outcome.SUCCESS:
        mark_paid(withdrawal_id=withdrawal.pk, actor=actor, external_reference=external_reference)
        return APPLIED, gettext("已到账，实付 ¥%(net)s") % {"net": yuan(withdrawal.net_fen)}
    mark_failed(withdrawal_id=withdrawal.pk, actor=actor, reason=failure_reason, external_reference=external_reference)
    return APPLIED, gettext("打款失败，¥%(amount)s 已退回可提现余额") % {"amount": yuan(withdrawal.amount_fen)}


def import_results(*, batch_id: int, actor, filename: str, content: bytes) -> ImportSummary:
    """Apply a result file (CSV or .xlsx) to a batch and say, line by line, what happened. The batch
    closes when every line has a result."""
    batch = PayoutBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise WithdrawalError(WithdrawalCode.BATCH_NOT_FOUND, gettext("打款批次不存在"), {"batch_id": batch_id}, status=404)
    if batch.status == B.OPEN:
        raise WithdrawalError(WithdrawalCode.BATCH_NOT_EXPORTED, gettext("请先导出打款文件并完成打款，再导入结果"), status=409)
    rows = payout_files.parse_results(filename, content)
    summary = ImportSummary(batch=batch)
    for row in rows:
        if row.error:
            summary.lines.append(ImportLine(row.row, row.number, "error", row.error))
            continue
        try:
            outcome, message = apply_result(
                batch=batch,
                number=row.number,
                outcome=row.outcome,
                external_reference=row.external_reference,
                failure_reason=row.failure_reason,
                actor=actor,
                source_name=filename,
                source_row=row.row,
            )
        except DomainError as exc:  # WithdrawalError, or own_object for a staff member's own withdrawal
            summary.lines.append(ImportLine(row.row, row.number, "error", exc.message))
        else:
            summary.lines.append(ImportLine(row.row, row.number, outcome, message))
    with transaction.atomic():
        batch = _locked_batch(batch.pk)
        counts = summary.counts()
        note = gettext("导入结果 %(name)s：新处理 %(applied)s，已处理 %(already)s，冲突 %(conflicts)s，错误 %(errors)s") % {
            "name": (filename or "")[:60],
            "applied": counts["applied"],
            "already": counts["already_applied"],
            "conflicts": counts["conflicts"],
            "errors": counts["errors"],
        }
        _note(batch, note, actor=actor)
        unresolved = batch.lines.filter(payout_result__isnull=True).exists()
        if batch.status == B.EXPORTED and not unresolved:
            BATCH_MACHINE.move(batch, B.CLOSED, actor=actor, note=gettext("所有提现均已回传结果"))
    summary.batch = batch
    return summary
