import time

from django.core.management.base import BaseCommand

from fenxiao.orders import services, tasks

JOBS = {
    "expire": services.expire_unpaid_orders,
    "receive": services.auto_receive_orders,
    "complete": services.complete_orders,
}


class Command(BaseCommand):
    help = "运行订单定时任务：超时未付款取消、超时自动收货、售后期结束完成（可重复执行）"

    def add_arguments(self, parser):
        parser.add_argument("job", nargs="?", choices=[*JOBS, "all"], default="all")
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS", help="keep running, once every SECONDS (a simple worker)"
        )

    def handle(self, *args, job="all", every=0, **options):
        while True:
            results = tasks.run_all() if job == "all" else {job: JOBS[job]()}
            self.stdout.write(" ".join(f"{name}={count}" for name, count in results.items()))
            if every <= 0:
                return
            time.sleep(every)
