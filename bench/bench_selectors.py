"""Benchmark of the distributor-network selectors on a 100,000-node tree.

Runs against a database of its own: a temporary SQLite file, or, when DATABASE_URL points at
PostgreSQL, a fresh database `fenxiao_bench` on that server that is dropped afterwards. Builds the
tree, then times the direct downline page, the indirect downline page, downline_counts and
upline_chain over random nodes, next to the bare SQL baseline (a raw `COUNT(*) … WHERE inviter_id`)
measured in the same run, and prints median / p95 milliseconds and the ratio to the baseline.

    FENXIAO_TESTING=1 .venv/bin/python bench/bench_selectors.py [--size 100000] [--samples 200]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

from benchlib import ROOT, BenchDatabase, percentile

PAGE = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="distributors in the tree (default 100000)")
    parser.add_argument("--samples", type=int, default=200, help="random approved nodes to time (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the sample (default 3)")
    parser.add_argument("--hubs", type=int, default=20, help="largest teams timed separately (default 20)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument(
        "--json",
        default=str(ROOT / "bench" / "results" / "selectors.json"),
        help="where to write the figures; the database vendor is added to the name; '' writes none",
    )
    return parser.parse_args()


def time_operations(nodes, operations, rounds: int) -> dict[str, list[float]]:
    """Interleaved: for every node, every operation once, so that drift hits all alike."""
    timings: dict[str, list[float]] = {name: [] for name in operations}
    clock = time.perf_counter
    for _ in range(rounds):
        for node in nodes:
            for name, op in operations.items():
                start = clock()
                op(node)
                timings[name].append((clock() - start) * 1000)
    return timings


def summarise(timings: dict[str, list[float]]) -> list[dict]:
    base = statistics.median(timings["baseline"])
    rows = []
    for name, values in timings.items():
        median = statistics.median(values)
        rows.append(
            {
                "operation": name,
                "median_ms": round(median, 4),
                "p95_ms": round(percentile(values, 95), 4),
                "ratio": round(median / base, 2) if base else None,
                "n": len(values),
            }
        )
    return rows


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"  {'operation':<24}{'median ms':>11}{'p95 ms':>10}{'× baseline':>12}")
    for row in rows:
        print(f"  {row['operation']:<24}{row['median_ms']:>11.3f}{row['p95_ms']:>10.3f}{row['ratio']:>12.1f}")


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    sys.path.insert(0, str(ROOT))
    bench_db = BenchDatabase(keep=args.keep)
    where = bench_db.create()

    import django

    django.setup()
    try:
        return run(args, where)
    finally:
        bench_db.drop()


def run(args: argparse.Namespace, where: str) -> int:
    from django.core.management import call_command
    from django.db import connection

    from fenxiao.distribution import selectors
    from fenxiao.distribution.models import Distributor
    from fenxiao.distribution.tests.bigtree import build_tree

    print(f"fenxiao selector benchmark · {where}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started

    started = time.perf_counter()
    tree = build_tree(args.size, seed=args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    build_s = time.perf_counter() - started
    deepest = max(tree.path[i].count("/") - 1 for i in tree.ids)
    biggest = max(len(c) for c in tree.children.values())
    print(
        f"tree: {len(tree.ids):,} distributors, depth up to {deepest}, biggest team {biggest:,} direct "
        f"· migrate {migrate_s:.1f} s, build {build_s:.1f} s"
    )

    rng = random.Random(args.seed + 1)
    approved = [i for i in tree.ids if tree.status[i] == Distributor.Status.APPROVED]
    sample_ids = rng.sample(approved, min(args.samples, len(approved)))
    hub_ids = sorted(tree.children, key=lambda i: len(tree.children[i]), reverse=True)[: args.hubs]
    by_id = Distributor.objects.in_bulk(sample_ids + hub_ids)
    sample = [by_id[i] for i in sample_ids]
    hubs = [by_id[i] for i in hub_ids]

    table = connection.ops.quote_name(Distributor._meta.db_table)
    baseline_sql = f"SELECT COUNT(*) FROM {table} WHERE inviter_id = %s"

    def baseline(d):
        with connection.cursor() as cursor:
            cursor.execute(baseline_sql, [d.pk])
            return cursor.fetchone()[0]

    operations = {
        "baseline": baseline,
        f"direct page ({PAGE})": lambda d: list(selectors.direct_downline(d)[:PAGE]),
        f"indirect page ({PAGE})": lambda d: list(selectors.indirect_downline(d)[:PAGE]),
        "downline_counts": selectors.downline_counts,
        "upline_chain": selectors.upline_chain,
    }
    time_operations(sample[:20], operations, 1)  # warm caches and connections

    results = {
        "vendor": connection.vendor,
        "database": where,
        "python": platform.python_version(),
        "size": len(tree.ids),
        "max_depth": deepest,
        "biggest_team": biggest,
        "build_seconds": round(build_s, 2),
        "rounds": args.rounds,
        "baseline_sql": baseline_sql,
        "groups": {},
    }
    for label, nodes in (
        (f"{len(sample)} random approved nodes × {args.rounds} rounds", sample),
        (f"{len(hubs)} largest teams (≥{min(len(tree.children[i]) for i in hub_ids):,} direct) × {args.rounds} rounds", hubs),
    ):
        rows = summarise(time_operations(nodes, operations, args.rounds))
        results["groups"][label] = rows
        print_table(label, rows)
    print(f"\nbaseline = raw cursor: {baseline_sql}")

    if args.json:
        base = Path(args.json)
        base.parent.mkdir(parents=True, exist_ok=True)
        target = base.with_name(f"{base.stem}-{connection.vendor}{base.suffix or '.json'}")
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"figures written to {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
