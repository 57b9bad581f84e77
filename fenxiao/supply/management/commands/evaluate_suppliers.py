from django.core.management.base import BaseCommand, CommandError

from fenxiao.supply.errors import SupplyError
from fenxiao.supply.scorecard.services import evaluate_suppliers


class Command(BaseCommand):
    help = (
        "供应商月度考核（默认上一个自然月，按本地时间）：低于预警线记录预警，低于暂停线暂停合作。同一月份重复执行不会重复记录。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份 YYYY-MM，默认上个月")

    def handle(self, *args, month=None, **options):
        try:
            counts = evaluate_suppliers(month=month)
        except SupplyError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(" ".join(f"{name}={n}" for name, n in counts.items()))
