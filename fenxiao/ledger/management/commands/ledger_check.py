"""Verify the ledger's invariants; exit 1 and list each violation when one is broken."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fenxiao.common.money import yuan
from fenxiao.ledger import selectors


class Command(BaseCommand):
    help = "检查账本：每笔交易借贷平衡、缓存余额等于分录合计、不允许负余额的账户不低于零"

    def handle(self, *args: Any, **options: Any) -> None:
        found = 0
        for violation in selectors.violations():
            found += 1
            self.stderr.write(f"[{violation.code}] {violation.message}")
        totals = selectors.totals()
        if totals["debits_fen"] != totals["credits_fen"]:
            found += 1
            self.stderr.write(
                "[ledger_unbalanced] "
                + gettext("全部借方合计 %(debits)s 元，全部贷方合计 %(credits)s 元")
                % {"debits": yuan(totals["debits_fen"]), "credits": yuan(totals["credits_fen"])}
            )
        if found:
            raise CommandError(gettext("账本检查发现 %(count)d 处问题") % {"count": found}, returncode=1)
        self.stdout.write(
            gettext(
                "账本检查通过：%(accounts)d 个账户，%(transactions)d 笔交易，%(entries)d 条分录，"
                "借方合计 %(debits)s 元 = 贷方合计 %(credits)s 元"
            )
            % {
                "accounts": totals["accounts"],
                "transactions": totals["transactions"],
                "entries": totals["entries"],
                "debits": yuan(totals["debits_fen"]),
                "credits": yuan(totals["credits_fen"]),
            }
        )
