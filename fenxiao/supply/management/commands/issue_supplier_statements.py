from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from fenxiao.supply.settlement import selectors
from fenxiao.supply.settlement.services import issue_statements


class Command(BaseCommand):
    help = "为每个供应商出具其最近一个完整结算周期（周或月）的对账单；每期只出一次，可随时重复运行。随后核对应付账户与对账单。"

    def add_arguments(self, parser):
        parser.add_argument("--now", default="", help="以此时刻计算（ISO 8601，含时区），默认现在")

    def handle(self, *args, now="", **options):
        moment: datetime | None = None
        if now:
            moment = parse_datetime(now)
            if moment is None or moment.tzinfo is None:
                raise CommandError("--now: an ISO 8601 time with its offset, e.g. 2026-12-01T01:00+08:00")
        issued = issue_statements(now=moment)
        mismatches = selectors.reconcile()
        wrong_lines = selectors.line_mismatches()
        self.stdout.write(
            f"supplier_statements_issued={len(issued)} reconcile_mismatches={len(mismatches)} "
            f"statement_line_mismatches={len(wrong_lines)}"
        )
        for m in mismatches:
            self.stderr.write(f"supplier {m.supplier_id}: ledger {m.ledger_fen} != statements {m.expected_fen}")
        for number in wrong_lines:
            self.stderr.write(f"{number}: lines do not add up to the statement")
        if mismatches or wrong_lines:
            raise CommandError("supplier payables do not reconcile", returncode=1)
