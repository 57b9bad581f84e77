"""The task worker: every scheduled job of every app, in order, once or every N seconds.

Each job is an idempotent service function (running it twice, or killing it half-way and running it
again, changes nothing more than running it once), so the worker can be restarted at any moment and
several may even run side by side.
"""

import time

from django.core.management.base import BaseCommand

from fenxiao.commissions import tasks as commission_tasks
from fenxiao.growth import tasks as growth_tasks
from fenxiao.orders import tasks as order_tasks


def run_all() -> dict[str, int]:
    results: dict[str, int] = {}
    results.update(order_tasks.run_all())  # expire unpaid orders, auto-receive, complete
    results.update(commission_tasks.run_settlement())  # then settle what has completed
    results.update(commission_tasks.run_team_bonus())  # last month's team bonus, once
    results.update(growth_tasks.run_leaderboard_close())  # the last ended month / quarter's leaderboard prizes, once
    return results


class Command(BaseCommand):
    help = "运行全部定时任务：订单超时与完成、佣金结算批次、上月团队奖励、排行榜结榜发奖（均可重复执行）"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, metavar="SECONDS", help="keep running, once every SECONDS")

    def handle(self, *args, every=0, **options):
        while True:
            results = run_all()
            self.stdout.write(" ".join(f"{name}={count}" for name, count in results.items()))
            if every <= 0:
                return
            time.sleep(every)
