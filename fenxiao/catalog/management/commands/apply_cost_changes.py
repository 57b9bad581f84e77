"""Apply the cost price changes due now (the minute job `catalog.cost_changes`)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from fenxiao.catalog.costs import apply_cost_changes


class Command(BaseCommand):
    help = "使到期的成本价调整生效（已下的订单保留下单时的成本价；可重复执行）"

    def handle(self, *args: Any, **options: Any) -> None:
        result = apply_cost_changes()
        self.stdout.write(gettext("生效 %(cost_changes_applied)d 条成本价调整，涉及 %(cost_change_skus)d 个 SKU") % result)
