"""The scheduler: every few seconds, enqueue each periodic job once for its current period (the task
workers, `manage.py db_worker`, run them). Any number of schedulers may run, on any machines sharing
the database: each job and period is enqueued once. SIGTERM or Ctrl-C stops it between two ticks."""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from fenxiao.jobs import services

logger = logging.getLogger("fenxiao.jobs")


class Command(BaseCommand):
    help = "定时任务调度器：按计划把到期的任务放入队列（每个任务每个周期只入队一次），由 db_worker 执行"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue what is due now, then exit")
        parser.add_argument(
            "--interval", type=float, default=10.0, metavar="SECONDS", help="seconds between two ticks (default 10)"
        )

    def handle(self, *args, once=False, interval=10.0, **options):
        if interval <= 0:
            raise CommandError("--interval must be greater than 0")
        if once:
            self.tick()
            return
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"scheduler started, ticking every {interval:g}s")
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except DatabaseError as exc:  # the database went away: keep going, try again next tick
                    logger.warning("scheduler tick failed: %s", exc)
                stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("scheduler stopped")

    def tick(self) -> None:
        close_old_connections()
        for run in services.enqueue_due():
            self.stdout.write(f"enqueued {run.job} {run.period_key} task={run.task_id}")
        close_old_connections()
