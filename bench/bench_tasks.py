"""Throughput of the task queue (Django's task API on the database backend, `db_worker`).

For each kind of task and each number of worker processes (default 1 and 2):
1. enqueue N tasks from this process (timed: enqueues per second, each its own transaction, as the
   scheduler does);
2. start the worker processes (`manage.py db_worker --batch`, which exits once the queue is empty)
   and wait for them; the run rate is N divided by the span from the first task started to the last
   finished, as recorded by the workers (process start-up is not counted; it is shown apart).

Kinds: `noop` (the queue's own cost: claim, run nothing, record the result) and `sweep_orders`
(the every-minute order job, on a database with nothing due: its steady-state cost).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_tasks.py
    FENXIAO_TESTING=1 .venv/bin/python bench/bench_tasks.py            # SQLite, for comparison

A fresh database of its own (`fenxiao_bench_tasks`, or a temporary SQLite file), dropped at the end.
Bounded: about a minute with the defaults.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import benchlib
from benchlib import ROOT, BenchDatabase

KINDS = ("noop", "sweep_orders")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=600, help="no-op tasks per run (default 600)")
    parser.add_argument("--real-tasks", type=int, default=200, help="sweep_orders tasks per run (default 200)")
    parser.add_argument("--workers", default="1,2", help="worker process counts to try (default 1,2)")
    parser.add_argument("--database", default="fenxiao_bench_tasks", help="PostgreSQL database to create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    os.environ["DJANGO_DEBUG"] = "0"  # no query log, no autoreloading worker
    sys.path.insert(0, str(ROOT))
    benchlib.BENCH_DB = args.database  # a name of its own, so that other benchmarks may run at the same time
    bench_db = BenchDatabase(keep=args.keep)
    where = bench_db.create()

    import django

    django.setup()
    try:
        return run(args, where)
    finally:
        bench_db.drop()


def run(args, where: str) -> int:
    from django.core.management import call_command
    from django.db import connection

    print(f"fenxiao task-queue benchmark · {where} · {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version')")
            print(f"PostgreSQL {cursor.fetchone()[0]}")
    print(f"{'task':<14}{'workers':>8}{'tasks':>7}{'enqueue/s':>11}{'run/s':>9}{'start-up s':>12}{'failed':>8}")
    for kind in KINDS:
        count = args.tasks if kind == "noop" else args.real_tasks
        for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
            row = measure(kind, count, workers)
            print(
                f"{kind:<14}{workers:>8}{count:>7}{row['enqueue_rate']:>11.0f}{row['run_rate']:>9.0f}"
                f"{row['startup']:>12.2f}{row['failed']:>8}"
            )
    return 0


def measure(kind: str, count: int, workers: int) -> dict:
    from django.db.models import Max, Min
    from django_tasks_db.models import DBTaskResult

    from fenxiao.jobs import tasks

    task = getattr(tasks, kind)
    DBTaskResult.objects.all().delete()
    started = time.perf_counter()
    for _ in range(count):
        task.enqueue()
    enqueue_seconds = time.perf_counter() - started

    launched = time.perf_counter()
    command = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch", "--no-reload", "--no-startup-delay"]
    command += ["--interval", "0", "--verbosity", "0"]
    processes = [
        subprocess.Popen([*command, "--worker-id", f"bench-{kind}-{workers}-{i}"], cwd=ROOT, env=os.environ.copy())
        for i in range(workers)
    ]
    for process in processes:
        process.wait(timeout=300)
    span = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
    run_seconds = (span["last"] - span["first"]).total_seconds()
    wall = time.perf_counter() - launched
    finished = DBTaskResult.objects.finished().count()
    if finished != count:
        raise SystemExit(f"bench: {finished} of {count} {kind} tasks finished")
    return {
        "enqueue_rate": count / enqueue_seconds,
        "run_rate": count / run_seconds if run_seconds else float("inf"),
        "startup": wall - run_seconds,
        "failed": DBTaskResult.objects.failed().count(),
    }


if __name__ == "__main__":
    sys.exit(main())
