"""Run every scheduled job once, now, in this process: what the scheduler and the task workers do over
time, done at once (for the demo, tests, and an operator catching up by hand).

Each job is an idempotent service function (running it twice, or killing it half-way and running it
again, changes nothing more than running it once), so this may run beside the workers at any moment.
Production runs the jobs with `manage.py db_worker` (the workers) and `manage.py run_scheduler`.
"""

from django.core.management.base import BaseCommand, CommandError

from fenxiao.jobs.schedule import scheduled


def run_all() -> dict[str, int]:
    """Every job of the schedule for its current period, in the schedule's order: the order sweeps,
    settlement, last month's team bonus (proposed for approval) and level evaluation, the leaderboards' prizes, the pruning."""
    results: dict[str, int] = {}
    for job in scheduled():
        results.update(job.run_now())
    return results


class Command(BaseCommand):
    help = (
        "立即在本进程运行全部定时任务：订单超时与完成、佣金结算批次、上月团队奖励与等级评估、排行榜结榜发奖"
        "（均可重复执行）。生产环境请运行 db_worker 与 run_scheduler。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, metavar="SECONDS", help="removed: see run_scheduler and db_worker")

    def handle(self, *args, every=0, **options):
        if every:
            raise CommandError(
                "run_jobs --every is no longer supported: run `manage.py db_worker` (the task workers) and "
                "`manage.py run_scheduler` (enqueues each job when it is due); `run_jobs` runs everything once."
            )
        results = run_all()
        self.stdout.write(" ".join(f"{name}={count}" for name, count in results.items()))
