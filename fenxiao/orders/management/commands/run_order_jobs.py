from django.core.management.base import BaseCommand

from fenxiao.orders import services, tasks

JOBS = {
    "expire": services.expire_unpaid_orders,
    "receive": services.auto_receive_orders,
    "complete": services.complete_orders,
}


class Command(BaseCommand):
    help = (
        "运行订单定时任务一次：超时未付款取消、超时自动收货、售后期结束完成（可重复执行）。"
        "持续运行由任务队列负责：manage.py run_scheduler + manage.py db_worker"
    )

    def add_arguments(self, parser):
        parser.add_argument("job", nargs="?", choices=[*JOBS, "all"], default="all")

    def handle(self, *args, job="all", **options):
        results = tasks.run_all() if job == "all" else {job: JOBS[job]()}
        self.stdout.write(" ".join(f"{name}={count}" for name, count in results.items()))
