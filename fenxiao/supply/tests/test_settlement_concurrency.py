"""Settlement under concurrency, each thread with its own connection and transaction: two runs of the
statement job at once issue each statement once; confirming at once confirms once; the same result
file imported at once pays once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.ledger.models import Transaction
from fenxiao.supply.errors import SupplyError
from fenxiao.supply.models import StatementLine, SupplierStatement
from fenxiao.supply.settlement import payouts, postings, selectors, services

from .test_settlement import at, completed_line, finance_member, make_supplier, result_csv

pytestmark = pytest.mark.usefixtures("transactional_db")


def run_in_threads(count: int, work) -> list:
    """work(i) in `count` threads released together; each result or the exception raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return results


def test_two_runs_of_the_job_at_once_issue_each_statement_once():
    suppliers = [make_supplier() for _ in range(3)]
    for supplier in suppliers:
        for _ in range(3):
            completed_line(supplier, completed_at=at(2026, 11, 10))
    results = run_in_threads(4, lambda i: len(services.issue_statements(now=at(2026, 12, 1, 1, 0))))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 3
    assert SupplierStatement.objects.count() == 3 and StatementLine.objects.count() == 9
    assert Transaction.objects.filter(kind=postings.KIND_STATEMENT).count() == 1  # the three issued together
    assert selectors.reconcile() == []


def test_confirming_at_once_confirms_once():
    supplier = make_supplier()
    completed_line(supplier, completed_at=at(2026, 11, 10))
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    statement = SupplierStatement.objects.get()

    def confirm(i):
        try:
            services.confirm_statement(statement.pk, supplier, supplier.user)
        except SupplyError as exc:
            return exc.code
        return "ok"

    results = run_in_threads(4, confirm)
    assert sorted(results) == ["ok", "statement_already_confirmed", "statement_already_confirmed", "statement_already_confirmed"]
    assert statement.events.filter(to_status="confirmed").count() == 1


def test_the_same_result_file_imported_at_once_pays_once():
    supplier = make_supplier()
    completed_line(supplier, completed_at=at(2026, 11, 10))
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    statement = SupplierStatement.objects.get()
    services.confirm_statement(statement.pk, supplier, supplier.user)
    maker, checker = finance_member(), finance_member()
    batch = payouts.create_batch(actor=maker)
    approvals.approve(request_id=ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL).pk, actor=checker)
    payouts.export_batch(batch_id=batch.pk, actor=checker)
    content = result_csv([(statement.number, "成功", "")])

    results = run_in_threads(
        4, lambda i: payouts.import_results(batch_id=batch.pk, actor=checker, filename="r.csv", content=content).counts()
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["applied"] for r in results) == 1 and sum(r["already_applied"] for r in results) == 3
    assert Transaction.objects.filter(kind=postings.KIND_PAYOUT).count() == 1
    assert selectors.reconcile() == []
