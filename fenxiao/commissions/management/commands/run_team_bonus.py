from django.core.management.base import BaseCommand, CommandError

from fenxiao.commissions.errors import CommissionError
from fenxiao.commissions.services import team_bonus
from fenxiao.distribution.models import Distributor


class Command(BaseCommand):
    help = "发放团队奖励（默认上一个自然月，按本地时间）。同一月份只发放一次，可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份 YYYY-MM，默认上个月；本月及以后的月份会被拒绝")

    def handle(self, *args, month=None, **options):
        try:
            run = team_bonus.run_team_bonus(month)
        except CommissionError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(run.summary())
        codes = dict(Distributor.objects.filter(pk__in=[b.distributor_id for b in run.bonuses]).values_list("pk", "code"))
        for bonus in run.bonuses:
            self.stdout.write(f"  {codes.get(bonus.distributor_id, bonus.distributor_id)}: {team_bonus.describe(bonus)}")
        if run.ledger_transaction_id:
            self.stdout.write(f"ledger_transaction={run.ledger_transaction_id}")
