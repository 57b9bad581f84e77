from django.core.management.base import BaseCommand

from fenxiao.orders.services.tracking import POLL_LIMIT, poll_tracking


class Command(BaseCommand):
    help = (
        "查询一次已发货包裹的物流轨迹（每个单号在查询间隔内只查一次），签收的发货单记录签收时间、"
        "开始自动收货计时（可重复执行）。持续运行由任务队列负责：manage.py run_scheduler + manage.py db_worker"
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=POLL_LIMIT, help="本次最多查询的发货单数")

    def handle(self, *args, limit=POLL_LIMIT, **options):
        results = poll_tracking(limit=limit)
        self.stdout.write(" ".join(f"{name}={count}" for name, count in results.items()))
