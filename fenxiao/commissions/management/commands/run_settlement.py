from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fenxiao.commissions.services import settlement
from fenxiao.common.money import yuan


class Command(BaseCommand):
    help = "运行佣金结算批次（按结算设置：每日 T+N、每周或每月）。同一结算期只结算一次，可随时中断后重跑。"

    def add_arguments(self, parser):
        parser.add_argument("--now", help="以此时间运行（ISO 8601，如 2026-11-23T02:00+08:00），默认现在")

    def handle(self, *args, now=None, **options):
        when: datetime | None = None
        if now:
            when = parse_datetime(now)
            if when is None:
                raise CommandError(f"无法解析时间：{now}")
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        batch = settlement.run_settlement(now=when)
        if batch is None:
            period = settlement.current_period(settlement.settlement_settings(), when or timezone.now())
            self.stdout.write(f"period={period.key} already settled; nothing to do")
            return
        self.stdout.write(
            f"period={batch.period} commissions={batch.commission_count} distributors={batch.distributor_count} "
            f"amount=¥{yuan(batch.amount_fen)} seconds={(batch.finished_at - batch.started_at).total_seconds():.2f}"
        )
