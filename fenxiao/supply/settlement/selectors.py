"""Reads of supplier settlement: statements for the supplier and for finance, batches, the
reconciliation of the statements with the ledger and of the statements with their lines."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from fenxiao.ledger.models import Account
from fenxiao.orders.models import OrderLine

from ..models import StatementEvent, StatementLine, SupplierPayoutBatch, SupplierStatement
from . import postings

S = SupplierStatement.Status


def supplier_statements(supplier_id: int, *, status: str | None = None) -> QuerySet[SupplierStatement]:
    qs = SupplierStatement.objects.filter(supplier_id=supplier_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-period_end", "-id")


def supplier_statement(supplier_id: int, statement_id: int) -> SupplierStatement | None:
    """One of the supplier's own statements with its lines; another supplier's is None, like a missing one."""
    return (
        SupplierStatement.objects.filter(pk=statement_id, supplier_id=supplier_id)
        .prefetch_related("lines", Prefetch("events", queryset=StatementEvent.objects.order_by("created_at", "id")))
        .first()
    )


def operator_statements(
    *, status: str | None = None, supplier_id: int | None = None, batch_id: int | None = None
) -> QuerySet[SupplierStatement]:
    qs = SupplierStatement.objects.select_related("supplier", "payout_batch")
    if status:
        qs = qs.filter(status=status)
    if supplier_id:
        qs = qs.filter(supplier_id=supplier_id)
    if batch_id:
        qs = qs.filter(payout_batch_id=batch_id)
    return qs.order_by("-period_end", "-id")


def operator_statement(statement_id: int) -> SupplierStatement | None:
    return (
        SupplierStatement.objects.select_related("supplier", "payout_batch")
        .prefetch_related(
            "lines", Prefetch("events", queryset=StatementEvent.objects.select_related("actor").order_by("created_at", "id"))
        )
        .filter(pk=statement_id)
        .first()
    )


def batches(*, status: str | None = None) -> QuerySet[SupplierPayoutBatch]:
    qs = SupplierPayoutBatch.objects.select_related("created_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def batch_detail(batch_id: int) -> SupplierPayoutBatch | None:
    return SupplierPayoutBatch.objects.prefetch_related("statements__supplier").filter(pk=batch_id).first()


# --- reconciliation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    supplier_id: int
    ledger_fen: int  # the payable's balance in the ledger
    expected_fen: int  # the statements' amounts issued minus the amounts paid

    @property
    def difference_fen(self) -> int:
        return self.ledger_fen - self.expected_fen


def reconcile() -> list[Mismatch]:
    """Each supplier's payable balance must equal what its statements issued minus what was paid
    (a negative statement's amount is netted into the next statement, so it is counted once). Returns
    the suppliers for which it does not; three queries whatever the number of suppliers."""
    issued = dict(
        SupplierStatement.objects.values("supplier_id")
        .annotate(total=Sum("amount_fen"))
        .order_by()
        .values_list("supplier_id", "total")
    )
    paid = dict(
        SupplierStatement.objects.filter(status=S.PAID)
        .values("supplier_id")
        .annotate(total=Sum("payable_fen"))
        .order_by()
        .values_list("supplier_id", "total")
    )
    balances: dict[int, int] = {
        owner_id: balance
        for owner_id, balance in Account.objects.filter(
            owner_type=postings.OWNER_TYPE, code__endswith=":payable", owner_id__isnull=False
        ).values_list("owner_id", "balance_fen")
        if owner_id is not None
    }
    mismatches = []
    for supplier_id in sorted(set(issued) | set(balances)):
        expected = (issued.get(supplier_id) or 0) - (paid.get(supplier_id) or 0)
        ledger = balances.get(supplier_id, 0)
        if ledger != expected:
            mismatches.append(Mismatch(supplier_id, ledger, expected))
    return mismatches


def line_mismatches() -> list[str]:
    """Statements whose lines do not add up to what the statement says (count, goods, deductions),
    and lines whose statement or order line is missing (the lines table has no foreign-key checks of
    the database: it is written in bulk). Returns statement numbers, and "line <id>" for a line
    without its rows; two queries."""
    sums = (
        StatementLine.objects.values("statement_id")
        .annotate(
            n=Count("id"),
            goods=Sum("amount_fen", filter=Q(amount_fen__gt=0), default=0),
            deductions=Sum("amount_fen", filter=Q(amount_fen__lt=0), default=0),
        )
        .order_by()
    )
    found = {row["statement_id"]: (row["n"], row["goods"], -row["deductions"]) for row in sums}
    wrong = [
        number
        for pk, number, n, goods, deductions in SupplierStatement.objects.order_by("pk").values_list(
            "pk", "number", "line_count", "goods_fen", "deduction_fen"
        )
        if found.pop(pk, (0, 0, 0)) != (n, goods, deductions)
    ]
    orphans = StatementLine.objects.filter(
        ~Exists(SupplierStatement.objects.filter(pk=OuterRef("statement_id")))
        | ~Exists(OrderLine.objects.filter(pk=OuterRef("order_line_id")))
    ).values_list("pk", flat=True)
    return wrong + [f"line {pk}" for pk in orphans]
