"""Supplier settlement: the owed rule, periods, issuing statements, refunds before and after, the
supplier's confirmation, payout batches with a second person, the payout file and its results, and
the ledger."""

from __future__ import annotations

import io
import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import F
from openpyxl import Workbook, load_workbook

from fenxiao.accounts.services import ensure_staff_groups
from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.common.errors import DomainError
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import Side, Transaction
from fenxiao.orders.models import OrderLine, Shipment
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.errors import SupplyError
from fenxiao.supply.models import StatementLine, SupplierPayoutBatch, SupplierStatement
from fenxiao.supply.settlement import payouts, postings, selectors, services
from tests.factories import OrderRecordFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")
S = SupplierStatement.Status
_names = itertools.count(1)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


# --- helpers (used by the other settlement test modules too) ----------------------------------------


def make_supplier(cycle: str = Supplier.Cycle.MONTHLY, *, bank: bool = True, **fields) -> Supplier:
    n = next(_names)
    values = {
        "name": f"结算供应商{n}",
        "user": UserFactory(),
        "status": Supplier.Status.APPROVED,
        "settlement_cycle": cycle,
        "company_name": f"杭州好物{n}有限公司",
    }
    if bank:
        values.update(
            bank_account_name=f"杭州好物{n}有限公司", bank_account_number="3301040160001234567", bank_name="工商银行杭州分行"
        )
    values.update(fields)
    return Supplier.objects.create(**values)


def completed_line(
    supplier, *, completed_at, cost=3000, quantity=2, price=5000, refunded=0, status=Shipment.Status.COMPLETED
) -> OrderLine:
    """An order line shipped by the supplier in a shipment completed at `completed_at`."""
    order = OrderRecordFactory(lines=[{"unit_cost_fen": cost, "quantity": quantity, "unit_price_fen": price}])
    shipment = Shipment.objects.create(
        order=order, route=f"supplier:{supplier.pk}", supplier=supplier, status=status, completed_at=completed_at
    )
    line = order.lines.get()
    OrderLine.objects.filter(pk=line.pk).update(shipment=shipment, refunded_fen=refunded)
    line.refresh_from_db()
    return line


def refund(line: OrderLine, amount_fen: int) -> None:
    OrderLine.objects.filter(pk=line.pk).update(refunded_fen=line.refunded_fen + amount_fen)
    line.refresh_from_db()


def finance_member():
    ensure_staff_groups()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="财务"))
    return type(user).objects.get(pk=user.pk)


def result_csv(rows) -> bytes:
    text = "对账单号,结果,失败原因\n" + "".join(f"{number},{outcome},{reason}\n" for number, outcome, reason in rows)
    return text.encode("utf-8")


def pay_all(statements, *, fail=()) -> SupplierPayoutBatch:
    """Confirm, batch, approve, export and import a result for every statement."""
    for statement in statements:
        if statement.status == S.ISSUED:
            services.confirm_statement(statement.pk, statement.supplier, statement.supplier.user)
    maker, checker = finance_member(), finance_member()
    batch = payouts.create_batch(actor=maker, statement_ids=[s.pk for s in statements])
    request = ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL, reference=payouts.batch_reference(batch))
    approvals.approve(request_id=request.pk, actor=checker)
    payouts.export_batch(batch_id=batch.pk, actor=checker)
    rows = [(s.number, "失败" if s.pk in fail else "成功", "账号有误" if s.pk in fail else "") for s in statements]
    payouts.import_results(batch_id=batch.pk, actor=checker, filename="r.csv", content=result_csv(rows))
    return batch


def payable(supplier) -> int:
    return ledger_selectors.balance(postings.payable_account(supplier.pk))


# --- the owed rule and periods ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cost", "quantity", "paid", "refunded", "owed"),
    [
        (3000, 2, 10000, 0, 6000),
        (3000, 2, 10000, 5000, 3000),  # half refunded
        (333, 3, 1000, 1, 998),  # 999 × 999 / 1000 = 998.001 → rounded down
        (333, 3, 1000, 999, 0),  # 999 × 1 / 1000 = 0.999 → 0
        (3000, 2, 10000, 10000, 0),  # refunded in full
        (3000, 2, 0, 0, 6000),  # a gift or a sample: its full cost
    ],
)
def test_owed_rule(cost, quantity, paid, refunded, owed):
    assert services.owed_fen(unit_cost_fen=cost, quantity=quantity, paid_fen=paid, refunded_fen=refunded) == owed


def test_weekly_periods_run_monday_to_monday_in_shanghai():
    weekly = Supplier.Cycle.WEEKLY
    assert services.last_full_period(weekly, at(2026, 12, 7, 0, 0)) == (at(2026, 11, 30), at(2026, 12, 7))
    assert services.last_full_period(weekly, at(2026, 12, 6, 23, 59, 59)) == (at(2026, 11, 23), at(2026, 11, 30))
    # 2026-12-06 16:00 UTC is already Monday in Shanghai
    utc = datetime(2026, 12, 6, 16, 0, tzinfo=ZoneInfo("UTC"))
    assert services.last_full_period(weekly, utc) == (at(2026, 11, 30), at(2026, 12, 7))


def test_monthly_periods_run_first_to_first_in_shanghai():
    monthly = Supplier.Cycle.MONTHLY
    assert services.last_full_period(monthly, at(2026, 12, 1, 0, 0)) == (at(2026, 11, 1), at(2026, 12, 1))
    assert services.last_full_period(monthly, at(2026, 11, 30, 23, 59)) == (at(2026, 10, 1), at(2026, 11, 1))
    assert services.last_full_period(monthly, at(2027, 1, 15)) == (at(2026, 12, 1), at(2027, 1, 1))
    utc = datetime(2026, 11, 30, 16, 0, tzinfo=ZoneInfo("UTC"))  # 2026-12-01 00:00 in Shanghai
    assert services.last_full_period(monthly, utc) == (at(2026, 11, 1), at(2026, 12, 1))


# --- issuing ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_statement_counts_lines_completed_in_or_before_the_period_at_cost():
    supplier = make_supplier()
    inside = completed_line(supplier, completed_at=at(2026, 11, 30, 23, 59, 59), cost=3000, quantity=2)
    earlier = completed_line(supplier, completed_at=at(2026, 10, 20), cost=1000, quantity=1)
    completed_line(supplier, completed_at=at(2026, 12, 1, 0, 0), cost=999, quantity=1)  # the next period
    completed_line(supplier, completed_at=None, status=Shipment.Status.SHIPPED)  # not completed
    other = make_supplier()
    completed_line(other, completed_at=at(2026, 11, 5), cost=700, quantity=1)

    issued = services.issue_statements(now=at(2026, 12, 3, 2, 0))

    mine = SupplierStatement.objects.get(supplier=supplier)
    assert {s.pk for s in issued} == {mine.pk, SupplierStatement.objects.get(supplier=other).pk}
    assert (mine.period_start, mine.period_end) == (at(2026, 11, 1), at(2026, 12, 1))
    assert mine.number == f"ST20261101M{supplier.pk:06d}"
    assert (mine.status, mine.line_count, mine.goods_fen, mine.deduction_fen) == (S.ISSUED, 2, 7000, 0)
    assert (mine.amount_fen, mine.carried_fen, mine.payable_fen) == (7000, 0, 7000)
    lines = {line.order_line_id: line for line in mine.lines.all()}
    assert set(lines) == {inside.pk, earlier.pk}
    row = lines[inside.pk]
    assert (row.quantity, row.unit_cost_fen, row.owed_fen, row.amount_fen) == (2, 3000, 6000, 6000)
    assert row.order_number == inside.order.number and row.sku_code == inside.sku.code
    assert mine.events.get().to_status == S.ISSUED
    assert payable(supplier) == 7000
    assert ledger_selectors.balance(postings.COST_ACCOUNT) == 7700


@pytest.mark.django_db
def test_issuing_is_idempotent_and_skips_suppliers_with_nothing_new():
    supplier = make_supplier()
    completed_line(supplier, completed_at=at(2026, 11, 10))
    first = services.issue_statements(now=at(2026, 12, 1, 1, 0))
    assert len(first) == 1
    transactions = Transaction.objects.count()
    assert services.issue_statements(now=at(2026, 12, 2, 1, 0)) == []
    assert SupplierStatement.objects.count() == 1 and Transaction.objects.count() == transactions
    # December: nothing new, so no statement
    assert services.issue_statements(now=at(2027, 1, 1, 1, 0)) == []
    assert SupplierStatement.objects.count() == 1


@pytest.mark.django_db
def test_weekly_and_monthly_suppliers_get_their_own_periods():
    weekly, monthly = make_supplier(Supplier.Cycle.WEEKLY), make_supplier(Supplier.Cycle.MONTHLY)
    completed_line(weekly, completed_at=at(2026, 12, 1, 9, 0))
    completed_line(monthly, completed_at=at(2026, 12, 1, 9, 0))
    services.issue_statements(now=at(2026, 12, 7, 0, 30))  # a Monday: the week is over, the month is not
    statement = SupplierStatement.objects.get()
    assert statement.supplier_id == weekly.pk
    assert (statement.period_start, statement.period_end) == (at(2026, 11, 30), at(2026, 12, 7))
    assert statement.number == f"ST20261130W{weekly.pk:06d}"
    services.issue_statements(now=at(2027, 1, 1, 0, 30))
    assert SupplierStatement.objects.get(supplier=monthly).period_end == at(2027, 1, 1)


@pytest.mark.django_db
def test_issuing_writes_a_fixed_number_of_queries_whatever_the_lines(django_assert_max_num_queries):
    supplier = make_supplier()
    for _ in range(30):
        completed_line(supplier, completed_at=at(2026, 11, 10))
    with django_assert_max_num_queries(30):
        services.issue_statements(now=at(2026, 12, 1, 1, 0))
    assert SupplierStatement.objects.get().line_count == 30


# --- refunds ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_refund_before_the_statement_reduces_what_is_owed():
    supplier = make_supplier()
    completed_line(supplier, completed_at=at(2026, 11, 10), cost=3000, quantity=2, price=5000, refunded=2500)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    statement = SupplierStatement.objects.get()
    # paid 10000, refunded 2500: 6000 × 7500 / 10000
    assert (statement.goods_fen, statement.deduction_fen, statement.amount_fen) == (4500, 0, 4500)


@pytest.mark.django_db
def test_refund_after_the_statement_is_a_deduction_on_the_next_one():
    supplier = make_supplier()
    line = completed_line(supplier, completed_at=at(2026, 11, 10), cost=3000, quantity=2, price=5000)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    november = SupplierStatement.objects.get()
    assert november.amount_fen == 6000
    refund(line, 5000)  # half of what was paid, after the statement was issued
    completed_line(supplier, completed_at=at(2026, 12, 10), cost=2000, quantity=1)

    services.issue_statements(now=at(2027, 1, 1, 1, 0))
    december = SupplierStatement.objects.exclude(pk=november.pk).get()
    assert (december.goods_fen, december.deduction_fen, december.amount_fen, december.payable_fen) == (2000, 3000, -1000, -1000)
    deduction = december.lines.get(order_line=line)
    assert (deduction.owed_fen, deduction.amount_fen) == (3000, -3000)
    assert payable(supplier) == 5000  # 6000 − 3000 + 2000
    assert selectors.reconcile() == []
    # nothing more changes: the next month has nothing
    assert services.issue_statements(now=at(2027, 2, 1, 1, 0)) == []


@pytest.mark.django_db
def test_refund_after_payment_is_deducted_and_a_negative_statement_is_carried_forward():
    supplier = make_supplier()
    line = completed_line(supplier, completed_at=at(2026, 11, 10), cost=3000, quantity=2, price=5000)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    november = SupplierStatement.objects.get()
    pay_all([november])
    november.refresh_from_db()
    assert november.status == S.PAID and payable(supplier) == 0

    refund(line, 10000)  # refunded in full after the supplier was paid
    services.issue_statements(now=at(2027, 1, 1, 1, 0))
    december = SupplierStatement.objects.get(period_end=at(2027, 1, 1))
    assert (december.goods_fen, december.deduction_fen, december.amount_fen, december.payable_fen) == (0, 6000, -6000, -6000)
    assert payable(supplier) == -6000  # the supplier owes the platform
    services.confirm_statement(december.pk, supplier, supplier.user)
    with pytest.raises(SupplyError) as refused:
        payouts.create_batch(actor=finance_member(), statement_ids=[december.pk])
    assert refused.value.code == "nothing_to_pay"

    completed_line(supplier, completed_at=at(2027, 1, 10), cost=4000, quantity=2)
    services.issue_statements(now=at(2027, 2, 1, 1, 0))
    january = SupplierStatement.objects.get(period_end=at(2027, 2, 1))
    assert (january.amount_fen, january.carried_fen, january.payable_fen) == (8000, -6000, 2000)
    pay_all([january])
    assert payable(supplier) == 0
    assert selectors.reconcile() == []


# --- confirmation ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_confirm_once_then_409_and_another_suppliers_statement_is_404():
    supplier, other = make_supplier(), make_supplier()
    completed_line(supplier, completed_at=at(2026, 11, 10))
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    statement = SupplierStatement.objects.get()
    with pytest.raises(SupplyError) as missing:
        services.confirm_statement(statement.pk, other, other.user)
    assert (missing.value.status, missing.value.code) == (404, "statement_not_found")
    confirmed = services.confirm_statement(statement.pk, supplier, supplier.user)
    assert confirmed.status == S.CONFIRMED and confirmed.confirmed_by == supplier.user and confirmed.confirmed_at
    with pytest.raises(SupplyError) as twice:
        services.confirm_statement(statement.pk, supplier, supplier.user)
    assert (twice.value.status, twice.value.code) == (409, "statement_already_confirmed")


# --- batches, approval, the file and its results --------------------------------------------------------


def _issued(count=2):
    statements = []
    for _ in range(count):
        supplier = make_supplier()
        completed_line(supplier, completed_at=at(2026, 11, 10), cost=3000, quantity=2)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    for statement in SupplierStatement.objects.select_related("supplier"):
        services.confirm_statement(statement.pk, statement.supplier, statement.supplier.user)
        statements.append(statement)
    return statements


@pytest.mark.django_db
def test_a_batch_needs_a_second_finance_member_before_its_file_is_exported():
    a, b = _issued(2)
    unconfirmed_supplier = make_supplier()
    completed_line(unconfirmed_supplier, completed_at=at(2026, 11, 12))
    no_bank = make_supplier(bank=False)
    completed_line(no_bank, completed_at=at(2026, 11, 12))
    services.issue_statements(now=at(2026, 12, 1, 2, 0))
    nb = SupplierStatement.objects.get(supplier=no_bank)
    services.confirm_statement(nb.pk, no_bank, no_bank.user)

    maker, checker = finance_member(), finance_member()
    batch = payouts.create_batch(actor=maker)
    assert set(batch.statements.values_list("pk", flat=True)) == {a.pk, b.pk}  # confirmed, with bank details
    assert (batch.statement_count, batch.amount_fen, batch.status) == (2, 12000, SupplierPayoutBatch.Status.OPEN)
    assert set(SupplierStatement.objects.filter(payout_batch=batch).values_list("status", flat=True)) == {S.IN_BATCH}

    with pytest.raises(SupplyError) as early:
        payouts.export_batch(batch_id=batch.pk, actor=maker)
    assert (early.value.status, early.value.code) == (409, "batch_not_approved")
    request = ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL)
    assert request.amount_fen == 12000
    with pytest.raises(DomainError) as own:
        approvals.approve(request_id=request.pk, actor=maker)
    assert own.value.code == "own_proposal"
    approvals.approve(request_id=request.pk, actor=checker)

    exported = payouts.export_batch(batch_id=batch.pk, actor=checker)
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["付款批次号", "对账单号", "收款户名", "收款账号", "开户银行", "金额（元）", "用途"]
    first = {r[1]: r for r in rows[1:]}[a.number]
    assert first[0] == batch.number
    assert first[2] == a.supplier.bank_account_name and first[3] == "3301040160001234567" and first[4] == "工商银行杭州分行"
    assert float(first[5]) == 60.0
    batch.refresh_from_db()
    assert batch.status == SupplierPayoutBatch.Status.EXPORTED


@pytest.mark.django_db
def test_results_are_posted_once_and_the_same_file_twice_changes_nothing():
    a, b = _issued(2)
    maker, checker = finance_member(), finance_member()
    batch = payouts.create_batch(actor=maker)
    approvals.approve(request_id=ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL).pk, actor=checker)
    payouts.export_batch(batch_id=batch.pk, actor=checker)
    content = result_csv([(a.number, "成功", ""), (b.number, "失败", "户名不符"), ("ST-NOPE", "成功", "")])

    summary = payouts.import_results(batch_id=batch.pk, actor=checker, filename="r.csv", content=content)
    assert summary.counts() == {"applied": 2, "already_applied": 0, "conflicts": 0, "errors": 1}
    assert [line.code for line in summary.of("error")] == ["unknown_statement"]
    a.refresh_from_db(), b.refresh_from_db(), batch.refresh_from_db()
    assert a.status == S.PAID and a.paid_at is not None
    assert b.status == S.FAILED and b.failure_reason == "户名不符"
    assert batch.status == SupplierPayoutBatch.Status.CLOSED
    assert payable(a.supplier) == 0 and payable(b.supplier) == 6000
    transactions = Transaction.objects.count()

    again = payouts.import_results(batch_id=batch.pk, actor=checker, filename="r.csv", content=content)
    assert again.counts() == {"applied": 0, "already_applied": 2, "conflicts": 0, "errors": 1}
    assert Transaction.objects.count() == transactions
    contradicting = result_csv([(a.number, "失败", ""), (b.number, "成功", "")])
    third = payouts.import_results(batch_id=batch.pk, actor=checker, filename="c.csv", content=contradicting)
    assert third.counts()["conflicts"] == 2 and Transaction.objects.count() == transactions

    # the failed statement goes into a new batch and is paid there
    second = payouts.create_batch(actor=maker)
    assert list(second.statements.values_list("pk", flat=True)) == [b.pk]
    approvals.approve(request_id=ApprovalRequest.objects.get(reference=payouts.batch_reference(second)).pk, actor=checker)
    exported = payouts.export_batch(batch_id=second.pk, actor=checker)
    results = load_workbook(io.BytesIO(exported.content)).worksheets[1]
    table = [list(r) for r in results.iter_rows(values_only=True)]
    assert table == [["对账单号", "结果", "失败原因"], [b.number, None, None]]
    table[1][1] = "成功"
    book = Workbook()
    for row in table:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    payouts.import_results(batch_id=second.pk, actor=checker, filename="r.xlsx", content=out.getvalue())
    b.refresh_from_db()
    assert b.status == S.PAID and payable(b.supplier) == 0
    assert selectors.reconcile() == []


@pytest.mark.django_db
def test_a_file_of_unknown_statements_is_refused_and_results_wait_for_the_export():
    _issued(1)
    maker, checker = finance_member(), finance_member()
    batch = payouts.create_batch(actor=maker)
    with pytest.raises(SupplyError) as not_exported:
        payouts.import_results(batch_id=batch.pk, actor=checker, filename="r.csv", content=result_csv([("X", "成功", "")]))
    assert (not_exported.value.status, not_exported.value.code) == (409, "batch_not_exported")
    approvals.approve(request_id=ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL).pk, actor=checker)
    payouts.export_batch(batch_id=batch.pk, actor=checker)
    with pytest.raises(SupplyError) as unknown:
        payouts.import_results(
            batch_id=batch.pk, actor=checker, filename="r.csv", content=result_csv([("ST1", "成功", ""), ("ST2", "失败", "")])
        )
    assert (unknown.value.status, unknown.value.code) == (422, "unknown_statement")
    assert len(unknown.value.detail["rows"]) == 2
    with pytest.raises(SupplyError) as bad:
        payouts.import_results(batch_id=batch.pk, actor=checker, filename="r.csv", content=b"a,b\n1,2\n")
    assert (bad.value.status, bad.value.code) == (422, "invalid_file")
    assert SupplierStatement.objects.get().status == S.IN_BATCH


@pytest.mark.django_db
def test_a_rejected_batch_lets_its_statements_go():
    (statement,) = _issued(1)
    maker, checker = finance_member(), finance_member()
    batch = payouts.create_batch(actor=maker)
    approvals.reject(request_id=ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL).pk, actor=checker, reason="金额待核")
    statement.refresh_from_db()
    assert statement.status == S.CONFIRMED and statement.payout_batch_id is None
    with pytest.raises(SupplyError):
        payouts.export_batch(batch_id=batch.pk, actor=checker)
    assert payouts.create_batch(actor=maker).statements.get() == statement


# --- the ledger -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ledger_is_balanced_ledger_check_passes_and_reconcile_finds_a_stray_posting():
    supplier = make_supplier()
    line = completed_line(supplier, completed_at=at(2026, 11, 10), cost=3000, quantity=2)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    pay_all(list(SupplierStatement.objects.all()))
    refund(line, 3000)
    services.issue_statements(now=at(2027, 1, 1, 1, 0))
    kinds = set(Transaction.objects.values_list("kind", flat=True))
    assert {postings.KIND_STATEMENT, postings.KIND_PAYOUT} <= kinds
    totals = ledger_selectors.totals()
    assert totals["debits_fen"] == totals["credits_fen"]
    call_command("ledger_check", stdout=io.StringIO(), stderr=io.StringIO())  # raises CommandError when broken
    assert selectors.reconcile() == []

    ledger.post(
        idempotency_key="test:stray",
        kind="test",
        entries=[(postings.COST_ACCOUNT, Side.DEBIT, 100), (postings.payable_account(supplier.pk), Side.CREDIT, 100)],
    )
    (mismatch,) = selectors.reconcile()
    assert (mismatch.supplier_id, mismatch.difference_fen) == (supplier.pk, 100)


@pytest.mark.django_db
def test_statement_lines_are_written_once_per_line_and_statement():
    supplier = make_supplier()
    line = completed_line(supplier, completed_at=at(2026, 11, 10))
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    refund(line, 100)
    services.issue_statements(now=at(2027, 1, 1, 1, 0))
    refund(line, 100)
    services.issue_statements(now=at(2027, 2, 1, 1, 0))
    amounts = list(StatementLine.objects.filter(order_line=line).order_by("id").values_list("amount_fen", flat=True))
    # 6000 × 9900/10000 = 5940, then × 9800/10000 = 5880
    assert amounts == [6000, -60, -60]
    assert sum(amounts) == services.owed_fen(unit_cost_fen=3000, quantity=2, paid_fen=10000, refunded_fen=200)


@pytest.mark.django_db
def test_the_database_applies_the_same_rule_as_python():
    supplier = make_supplier()
    cases = [(333, 3, 1000, 1), (333, 3, 1000, 999), (1999, 7, 12345, 6789), (3000, 2, 0, 0), (1, 1, 3, 1), (250, 4, 999, 0)]
    lines = {}
    for cost, quantity, paid, refunded in cases:
        line = completed_line(supplier, completed_at=at(2026, 11, 10), cost=cost, quantity=quantity, price=0, refunded=0)
        OrderLine.objects.filter(pk=line.pk).update(
            unit_price_fen=paid // quantity, line_total_fen=paid, discount_fen=0, paid_fen=paid, refunded_fen=refunded
        )
        lines[line.pk] = services.owed_fen(unit_cost_fen=cost, quantity=quantity, paid_fen=paid, refunded_fen=refunded)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    written = dict(StatementLine.objects.values_list("order_line_id", "owed_fen"))
    assert written == {pk: owed for pk, owed in lines.items() if owed}  # a line owed nothing has no row


@pytest.mark.django_db
def test_the_command_issues_then_reconciles():
    supplier = make_supplier()
    completed_line(supplier, completed_at=at(2026, 11, 10))
    out = io.StringIO()
    call_command("issue_supplier_statements", now="2026-12-01T01:00+08:00", stdout=out)
    assert out.getvalue().strip() == "supplier_statements_issued=1 reconcile_mismatches=0 statement_line_mismatches=0"
    out = io.StringIO()
    call_command("issue_supplier_statements", now="2026-12-01T02:00+08:00", stdout=out)
    assert out.getvalue().strip() == "supplier_statements_issued=0 reconcile_mismatches=0 statement_line_mismatches=0"


@pytest.mark.django_db
def test_line_mismatches_finds_lines_that_do_not_add_up_or_lost_their_rows():
    supplier = make_supplier()
    completed_line(supplier, completed_at=at(2026, 11, 10))
    completed_line(supplier, completed_at=at(2026, 11, 11))
    (statement,) = services.issue_statements(now=at(2026, 12, 1, 1, 0))
    assert selectors.line_mismatches() == []
    first, second = StatementLine.objects.filter(statement=statement).order_by("pk")
    StatementLine.objects.filter(pk=first.pk).update(amount_fen=F("amount_fen") + 1)
    assert selectors.line_mismatches() == [statement.number]
    StatementLine.objects.filter(pk=first.pk).update(amount_fen=F("amount_fen") - 1)
    StatementLine.objects.filter(pk=second.pk).update(order_line_id=second.order_line_id + 10_000)
    assert selectors.line_mismatches() == [f"line {second.pk}"]
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("issue_supplier_statements", now="2026-12-01T02:00+08:00", stdout=out, stderr=err)
    assert "statement_line_mismatches=1" in out.getvalue()
