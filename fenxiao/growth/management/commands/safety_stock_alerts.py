"""Tell the 供应链 staff about stock below its safety stock (the minute job `growth.stock_alerts`)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from fenxiao.growth.services.stock_alerts import safety_stock_alerts


class Command(BaseCommand):
    help = "安全库存预警：低于安全库存的库存通知供应链人员，每次跌破只通知一次（可重复执行）"

    def handle(self, *args: Any, **options: Any) -> None:
        result = safety_stock_alerts()
        self.stdout.write(
            gettext("新预警 %(stock_alerts_records)d 条库存，通知 %(stock_alerts_sent)d 人；恢复 %(stock_alerts_recovered)d 条")
            % result
        )
