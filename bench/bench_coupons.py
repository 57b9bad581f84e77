"""Coupon claims under a rush: claims per second when parallel clients claim one coupon with a total of
1,000 for more people than it has (`promotions.services.coupons.claim`, the coupon centre's service),
and a check that exactly 1,000 were issued; beside it, in the same run on the same database, the
same clients doing a bare `UPDATE … SET n = n + 1` on one row 1,000 times in all.

Each client is a thread with its own database connection (opened before the start, closed at the
end); every client claims for its own people, one after the other, until it is told the coupon is
sold out. There are more people than coupons (1,250 for 1,000 by default), each claiming once, so the
total stops the rush, not the per-person limit. The run exits non-zero when the issued rows, the
coupon's counter or the people holding one are not exactly the total, or when a claim failed for any
other reason than "sold out".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_coupons.py
    FENXIAO_TESTING=1 .venv/bin/python bench/bench_coupons.py          # SQLite, 8 clients by default
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import benchlib
from benchlib import ROOT, BenchDatabase, percentile

COUNTER_TABLE = "bench_counter"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=0, help="parallel clients (default 50 on PostgreSQL, 8 on SQLite)")
    parser.add_argument("--total", type=int, default=1000, help="the coupon's total (default 1000)")
    parser.add_argument("--people", type=int, default=1250, help="distinct people claiming (default 1250)")
    parser.add_argument("--runs", type=int, default=3, help="rushes, each on a new coupon, each after its baseline (default 3)")
    parser.add_argument("--database", default="fenxiao_bench_coupons", help="PostgreSQL database to create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "coupons.json"))
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log
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


@dataclass
class ClientResult:
    issued: int = 0
    sold_out: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)


def rush(n_clients: int, work) -> tuple[float, list[ClientResult]]:
    """`work(client_index, result)` in `n_clients` threads started together; the wall time from the
    start to the last one done. Each thread connects before the start and closes its connection at
    the end."""
    from django.db import connection, connections

    start_line = threading.Barrier(n_clients + 1)
    results = [ClientResult() for _ in range(n_clients)]

    def client(i: int) -> None:
        try:
            connection.ensure_connection()
        except Exception:
            start_line.abort()  # nobody starts without every client connected
            raise
        try:
            start_line.wait()
            work(i, results[i])
        except Exception as exc:  # counted and reported: the run fails on it
            results[i].errors[f"{type(exc).__name__}: {exc}"[:120]] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}") for i in range(n_clients)]
    for thread in threads:
        thread.start()
    try:
        start_line.wait()
    except threading.BrokenBarrierError:
        for thread in threads:
            thread.join()
        raise SystemExit("bench: a client could not connect to the database") from None
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, results


def run(args: argparse.Namespace, where: str) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fenxiao.accounts.models import User
    from fenxiao.promotions.errors import PromotionCode, PromotionError
    from fenxiao.promotions.models import Coupon, UserCoupon
    from fenxiao.promotions.services import coupons, rules

    vendor = connection.vendor
    n_clients = args.clients or (50 if vendor == "postgresql" else 8)
    print(f"fenxiao coupon claim benchmark · {where} · {os.cpu_count()} CPUs · {n_clients} clients")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if args.people <= args.total:
        raise SystemExit("bench: --people must exceed --total, so that the total stops the rush")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), current_setting('max_connections')")
            version, max_connections = cursor.fetchone()
        print(f"PostgreSQL {version}, max_connections {max_connections}")

    operator = User.objects.create(username="bench-operator", phone="13900000000", password="!", is_staff=True)
    User.objects.bulk_create(
        [User(username=f"bench-claim-{i}", phone=f"136{i:08d}", password="!") for i in range(args.people)], batch_size=1000
    )
    people = list(User.objects.filter(username__startswith="bench-claim-").order_by("pk"))
    share = [people[i::n_clients] for i in range(n_clients)]  # each client claims for its own people

    with connection.cursor() as cursor:
        table = connection.ops.quote_name(COUNTER_TABLE)
        cursor.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, n integer NOT NULL)")
    update_sql = f"UPDATE {table} SET n = n + 1 WHERE id = 1"

    def baseline() -> tuple[float, int]:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(f"INSERT INTO {table} (id, n) VALUES (1, 0)")
        per_client = [args.total // n_clients + (1 if i < args.total % n_clients else 0) for i in range(n_clients)]

        def work(i: int, result: ClientResult) -> None:
            with connection.cursor() as cursor:  # this thread's own connection
                for _ in range(per_client[i]):
                    cursor.execute(update_sql)
                    result.issued += cursor.rowcount

        wall, results = rush(n_clients, work)
        errors = sum(sum(r.errors.values()) for r in results)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT n FROM {table} WHERE id = 1")
            (n,) = cursor.fetchone()
        if errors or n != args.total:
            raise SystemExit(f"baseline: n = {n}, {errors} errors: {[r.errors for r in results if r.errors][:3]}")
        return wall, n

    def claims(run_index: int) -> dict:
        now = timezone.now()
        coupon = rules.save_coupon(
            actor=operator,
            name=f"抢券{run_index}",
            scope="all",
            kind="amount",
            amount_fen=1000,
            threshold_fen=5000,
            validity="dates",
            valid_from=now - timedelta(hours=1),
            valid_until=now + timedelta(days=7),
            total_quantity=args.total,
            per_person_limit=1,
        )

        def work(i: int, result: ClientResult) -> None:
            for user in share[i]:
                begun = time.perf_counter()
                try:
                    coupons.claim(user=user, coupon_id=coupon.pk)
                except PromotionError as exc:
                    if exc.code == PromotionCode.COUPON_SOLD_OUT:
                        result.sold_out += 1
                        return
                    result.errors[exc.code] += 1
                else:
                    result.latencies_ms.append((time.perf_counter() - begun) * 1000)
                    result.issued += 1

        wall, results = rush(n_clients, work)
        coupon.refresh_from_db()
        rows = UserCoupon.objects.filter(coupon=coupon)
        latencies = [ms for r in results for ms in r.latencies_ms]
        errors: Counter = Counter()
        for r in results:
            errors.update(r.errors)
        return {
            "wall_s": wall,
            "claimed": sum(r.issued for r in results),
            "rows": rows.count(),
            "holders": rows.values("user_id").distinct().count(),
            "issued_count": Coupon.objects.get(pk=coupon.pk).issued_count,
            "sold_out": sum(r.sold_out for r in results),
            "errors": dict(errors),
            "p50_ms": statistics.median(latencies) if latencies else 0.0,
            "p95_ms": percentile(latencies, 95) if latencies else 0.0,
        }

    statements = one_claim(operator)
    print(f"one claim, alone: {len(statements)} statements: {' · '.join(statements)}")

    runs = []
    for r in range(args.runs):
        base_wall, _n = baseline()
        outcome = claims(r)
        outcome["baseline_wall_s"] = base_wall
        runs.append(outcome)

    print(
        f"\n{args.total:,} coupons, {args.people:,} people, {n_clients} clients (threads, one connection each); "
        f"each run: the baseline, then the claims"
    )
    print(
        f"  {'run':<5}{'claims/s':>10}{'wall s':>9}{'issued':>8}{'rows':>7}{'holders':>9}{'counter':>9}"
        f"{'sold out':>10}{'p50 ms':>9}{'p95 ms':>9}{'bare UPDATE/s':>15}{'ratio':>8}"
    )
    failures = []
    for i, outcome in enumerate(runs, 1):
        rate = outcome["claimed"] / outcome["wall_s"]
        base_rate = args.total / outcome["baseline_wall_s"]
        outcome["claims_per_s"], outcome["baseline_updates_per_s"] = round(rate, 1), round(base_rate, 1)
        print(
            f"  {i:<5}{rate:>10.1f}{outcome['wall_s']:>9.2f}{outcome['claimed']:>8}{outcome['rows']:>7}{outcome['holders']:>9}"
            f"{outcome['issued_count']:>9}{outcome['sold_out']:>10}{outcome['p50_ms']:>9.1f}{outcome['p95_ms']:>9.1f}"
            f"{base_rate:>15.1f}{base_rate / rate:>7.1f}×"
        )
        exact = {outcome["claimed"], outcome["rows"], outcome["holders"], outcome["issued_count"]}
        if exact != {args.total}:
            failures.append(
                f"run {i}: issued {outcome['claimed']}, rows {outcome['rows']}, holders {outcome['holders']}, "
                f"counter {outcome['issued_count']}; expected {args.total} each"
            )
        if outcome["errors"]:
            failures.append(f"run {i}: claims failed otherwise than sold out: {outcome['errors']}")
    rates = [o["claims_per_s"] for o in runs]
    base_rates = [o["baseline_updates_per_s"] for o in runs]
    print(
        f"  median: {statistics.median(rates):.1f} claims/s, bare UPDATE {statistics.median(base_rates):.1f}/s "
        f"({statistics.median(base_rates) / statistics.median(rates):.1f}×)"
    )
    for failure in failures:
        print(f"  FAILED: {failure}")
    if not failures:
        print(f"  check: every run issued exactly {args.total:,} coupons (rows, distinct holders and the coupon's counter)")

    results = {
        "vendor": vendor,
        "database": where,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "clients": n_clients,
        "total": args.total,
        "people": args.people,
        "runs": runs,
        "median_claims_per_s": statistics.median(rates),
        "median_baseline_updates_per_s": statistics.median(base_rates),
    }
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 1 if failures else 0


def one_claim(user) -> list[str]:
    """The statements of one claim, by verb and table, on a coupon of its own."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from fenxiao.promotions.services import coupons, rules

    now = timezone.now()
    coupon = rules.save_coupon(
        actor=user,
        name="单张",
        scope="all",
        kind="amount",
        amount_fen=1000,
        validity="dates",
        valid_until=now + timedelta(days=7),
        total_quantity=1,
    )
    with CaptureQueriesContext(connection) as ctx:
        coupons.claim(user=user, coupon_id=coupon.pk)
    shapes = []
    for query in ctx.captured_queries:
        sql = query["sql"].strip()
        verb = sql.split()[0].upper()
        if verb in {"SAVEPOINT", "RELEASE"}:
            shapes.append(verb)
            continue
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
        shapes.append(f"{verb} {table.group(1) if table else ''}".strip())
    return shapes


if __name__ == "__main__":
    raise SystemExit(main())
