"""Finance's commission reconciliation (佣金对账) from the command line: the same figures as the
console page; exit 1 when it does not reconcile. `--json` prints the figures for a machine to compare."""

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fenxiao.commissions.selectors import reconciliation
from fenxiao.common.money import yuan


class Command(BaseCommand):
    help = "佣金对账：费用 = 应付 + 已付 + 手续费（按分录与缓存余额），佣金记录与记账逐项核对；不平时退出码为 1"

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **options):
        result = reconciliation()
        figures = {
            "ok": result.ok,
            "derived": asdict(result.derived),
            "cached": asdict(result.cached),
            "checks": {check.key: {"rows_fen": check.rows_fen, "ledger_fen": check.ledger_fen} for check in result.checks},
        }
        if options.get("json"):
            self.stdout.write(json.dumps(figures, sort_keys=True))
        else:
            derived = result.derived
            self.stdout.write(
                gettext("费用 %(expense)s 元 = 应付 %(payable)s 元 + 已付 %(paid)s 元 + 手续费 %(fees)s 元")
                % {
                    "expense": yuan(derived.expense_fen),
                    "payable": yuan(derived.payable_fen),
                    "paid": yuan(derived.paid_out_fen),
                    "fees": yuan(derived.fees_fen),
                }
            )
            for check in result.checks:
                mark = "ok" if check.ok else "DIFF"
                self.stdout.write(f"[{mark}] {check.label}: {yuan(check.rows_fen)} / {yuan(check.ledger_fen)}")
        if not result.ok:
            raise CommandError(gettext("佣金对账不平"), returncode=1)
