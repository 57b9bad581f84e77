from django.core.management.base import BaseCommand, CommandError

from fenxiao.growth import services
from fenxiao.growth.errors import GrowthError


class Command(BaseCommand):
    help = "月度分销等级评估（默认上一个自然月，按本地时间）：升级、按规则降级。同一月份可重复执行，不会重复变动。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份 YYYY-MM，默认上个月；本月及以后的月份会被拒绝")

    def handle(self, *args, month=None, **options):
        try:
            run = services.run_monthly_evaluation(month)
        except GrowthError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(run.summary())
