"""Verify the points: for every user, balance row = sum of movements = sum of lot remainings (available
and frozen apart); exit 1 and list each user that differs."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from fenxiao.members import selectors


class Command(BaseCommand):
    help = "检查积分：每个用户的积分账户 = 积分明细合计 = 积分批次剩余合计（可用、冻结分别核对）"

    def handle(self, *args: Any, **options: Any) -> None:
        found = 0
        for mismatch in selectors.mismatches():
            found += 1
            self.stderr.write(f"[points_mismatch] {mismatch}")
        if found:
            raise CommandError(gettext("积分检查发现 %(count)d 处不一致") % {"count": found}, returncode=1)
        totals = selectors.totals()
        self.stdout.write(
            gettext(
                "积分检查通过：%(accounts)d 个账户，%(movements)d 条明细，%(lots)d 个批次，可用 %(available)d，冻结 %(frozen)d"
            )
            % totals
        )
