from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from fenxiao.analytics import services
from fenxiao.common.periods import local_today


class Command(BaseCommand):
    help = "计算控制台首页的每日经营数据（已结束的自然日）。默认重算最近两天；--from/--to 补算一段日期，可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="起始日期（含），如 2026-01-01")
        parser.add_argument("--to", dest="last", help="结束日期（含），默认昨天")

    def handle(self, *args, first=None, last=None, **options):
        if first is None and last is None:
            self.stdout.write(f"days={services.roll_up_recent()}")
            return
        end = self._day(last, "--to") if last else local_today() - timedelta(days=1)
        start = self._day(first, "--from") if first else end
        if start > end:
            raise CommandError("--from 不能晚于 --to")
        self.stdout.write(f"days={services.roll_up_days(start, end)}")

    def _day(self, text: str, option: str) -> date:
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            raise CommandError(f"{option}：无法解析日期 {text}")
        return day
