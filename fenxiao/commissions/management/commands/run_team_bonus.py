from django.core.management.base import BaseCommand, CommandError

from fenxiao.commissions.errors import CommissionError
from fenxiao.commissions.services import team_bonus
from fenxiao.distribution.models import Distributor


class Command(BaseCommand):
    help = "提交团队奖励发放（默认上一个自然月，按本地时间），由财务在“待审批”中批准后发放。同一月份只发放一次，可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份 YYYY-MM，默认上个月；本月及以后的月份会被拒绝")

    def handle(self, *args, month=None, **options):
        try:
            proposal = team_bonus.propose_team_bonus(month)
        except CommissionError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if proposal.approval is not None:
            self.stdout.write(f"approval={proposal.approval.pk} {proposal.approval.status}: {proposal.approval.summary}")
            codes = dict(
                Distributor.objects.filter(pk__in=[f.distributor_id for f in proposal.figures]).values_list("pk", "code")
            )
            for f in proposal.figures:
                self.stdout.write(f"  {codes.get(f.distributor_id, f.distributor_id)}: ¥{f.amount_fen / 100:.2f}")
            return
        if proposal.run is None:
            self.stdout.write(f"{proposal.month}: nothing to pay")
            return
        run = proposal.run
        self.stdout.write(run.summary())
        codes = dict(Distributor.objects.filter(pk__in=[b.distributor_id for b in run.bonuses]).values_list("pk", "code"))
        for bonus in run.bonuses:
            self.stdout.write(f"  {codes.get(bonus.distributor_id, bonus.distributor_id)}: {team_bonus.describe(bonus)}")
        if run.ledger_transaction_id:
            self.stdout.write(f"ledger_transaction={run.ledger_transaction_id}")
