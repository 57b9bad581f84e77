from django.core.management.base import BaseCommand

from fenxiao.commissions.services import accrue_pending


class Command(BaseCommand):
    help = "记录所有已付款但尚未入账订单的预估佣金（一次集中记账）。每笔订单只入账一次，可随时重复运行。"

    def handle(self, *args, **options):
        self.stdout.write(f"accrued={accrue_pending()}")
