"""Distributor growth at scale, measured against bare SQL in the same run on the same database.

1. Monthly level evaluation: a random distributor tree (default 1,000,000 on PostgreSQL, 50,000 on
   SQLite; random fan-out, depth up to 30) with levels, rules and a month of completed orders.
   `run_monthly_evaluation(month)` is timed next to one bare SQL statement computing the same team
   figures for everybody (direct invites, personal sales, team size and team sales within two
   levels), then timed again as a rerun of the same month, which must change nothing.
2. Team page: `analytics.selectors.team_page` of a distributor with 100, 1,000 and 10,000 team
   members, its query count and time at each size.

Generation is timed apart and not part of any figure.

    FENXIAO_TESTING=1 .venv/bin/python bench/bench_growth.py [--distributors 50000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_growth.py
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import benchlib
from benchlib import ROOT, BenchDatabase

MAX_DEPTH = 30
ORDERS_PER_DISTRIBUTOR = 0.8
TWO_LINES_IN = 10  # every third order of ten has two lines
LEVEL_SHARES = (("regular", 0.90), ("senior", 0.08), ("partner", 0.02))
STRIKE_SHARE = 0.4  # seniors that already missed the month before
PROTECTED_SHARE = 0.05  # seniors and partners upgraded ten days ago
PENDING_SHARE = 0.03
CHUNK = 20_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--distributors", type=int, default=0, help="tree size (default 1,000,000 on PostgreSQL, 50,000 on SQLite)"
    )
    parser.add_argument(
        "--team-sizes", default="100,1000,10000", help="team sizes of the team-page part (default 100,1000,10000)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed calls per team page (default 5)")
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--database", default="fenxiao_bench_growth", help="PostgreSQL database to create and drop")
    parser.add_argument("--no-check", action="store_true", help="skip comparing the evaluation's figures with the bare SQL sums")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--generate-only", action="store_true", help="stop after generating (with --keep: a database to study)")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "growth.json"))
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log (a .env for the demo may turn it on)
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

    print(f"fenxiao growth benchmark · {where} · {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem')"
            )
            version, buffers, work_mem = cursor.fetchone()
        print(f"PostgreSQL {version}, shared_buffers {buffers}, work_mem {work_mem}")
    size = args.distributors or (1_000_000 if connection.vendor == "postgresql" else 50_000)
    results = {"vendor": connection.vendor, "database": where, "python": platform.python_version(), "cpus": os.cpu_count()}
    world = build_world(size, args.seed)
    if args.generate_only:
        return 0
    results["evaluation"] = bench_evaluation(world, check=not args.no_check)
    results["team_page"] = bench_team_page(world, [int(s) for s in args.team_sizes.split(",") if s.strip()], args.rounds)
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{connection.vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


# --- the world -------------------------------------------------------------------------------------


def layer_sizes(n: int) -> list[int]:
    """Distributors per depth 0..29: few roots, most members around depth 8 to 14, a thin tail to 29."""
    weights = [math.exp(-((d - 11) ** 2) / (2 * 5.0**2)) for d in range(MAX_DEPTH)]
    total = sum(weights)
    sizes = [max(1, int(n * w / total)) for w in weights]
    sizes[11] += n - sum(sizes)
    return sizes


def build_world(n: int, seed: int) -> dict:
    """Levels and rules through the services; users, the tree, orders and their lines, last month's
    streaks and recent upgrades through set-based SQL. Not measured."""
    from django.db import connection
    from django.utils import timezone

    from fenxiao.catalog.models import Category, Product, Sku
    from fenxiao.common.periods import month_index, month_label, month_start
    from fenxiao.distribution.models import DistributionSettings, Level
    from fenxiao.growth import services
    from fenxiao.growth.models import LevelCondition

    K = LevelCondition.Kind
    started = time.perf_counter()
    now = timezone.now()
    month, window = services.month_period(None, now=now)
    before = month_label(month_start(month_index(window.month_start.date()) - 1))
    DistributionSettings.objects.get_or_create(pk=1)
    regular = Level.objects.create(name="普通分销商", rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    senior = Level.objects.create(name="高级分销商", rank=2, direct_rate_bp=1500, indirect_rate_bp=500)
    partner = Level.objects.create(name="合伙人", rank=3, direct_rate_bp=2000, indirect_rate_bp=500, team_bonus_bp=300)
    services.save_rule(
        level_id=senior.pk,
        conditions=[(K.DIRECT_INVITES, 3), (K.PERSONAL_SALES_MONTH, 30_000)],
        downgrade_enabled=True,
        protection_days=30,
        downgrade_after_months=2,
    )
    services.save_rule(
        level_id=partner.pk,
        conditions=[(K.TEAM_SIZE, 30), (K.TEAM_SALES_MONTH, 500_000)],
        downgrade_enabled=True,
        protection_days=30,
        downgrade_after_months=1,
    )
    category = Category.objects.create(name="美妆", slug="beauty")
    product = Product.objects.create(category=category, name="精华液", is_on_shelf=True)
    sku = Sku.objects.create(
        product=product, code="S1", spec="30ml", cost_fen=5000, retail_fen=15000, suggested_retail_fen=15000, control_fen=12900
    )
    world = {
        "n": n,
        "now": now,
        "month": month,
        "window": window,
        "before": before,
        "sku": sku,
        "levels": {"regular": regular.pk, "senior": senior.pk, "partner": partner.pk},
    }
    sizes = layer_sizes(n)
    if connection.vendor == "postgresql":
        generate_pg(world, sizes, seed)
    else:
        generate_sqlite(world, sizes, seed)
    reset_sequences()
    counts = world_counts(world)
    world.update(counts)
    print(
        f"\ngenerated in {time.perf_counter() - started:.1f} s: {n:,} distributors in {len(sizes)} layers "
        f"(largest {max(sizes):,}), {counts['orders']:,} completed orders with {counts['lines']:,} lines in {month}, "
        f"{counts['strikes']:,} streaks from {before}, {counts['protected']:,} recent upgrades"
    )
    world["generation_s"] = round(time.perf_counter() - started, 1)
    return world


def _level_case(levels: dict, expr: str) -> str:
    """SQL choosing a level by a uniform number in [0, 1)."""
    low = LEVEL_SHARES[0][1]
    mid = low + LEVEL_SHARES[1][1]
    return (
        f"CASE WHEN {expr} < {low} THEN {levels['regular']} WHEN {expr} < {mid} THEN {levels['senior']} "
        f"ELSE {levels['partner']} END"
    )


def generate_pg(world: dict, sizes: list[int], seed: int) -> None:
    """PostgreSQL: every table filled by INSERT … SELECT over generate_series, one statement per layer
    of the tree (a child joins its parent, chosen at random in the layer above, for its path)."""
    from django.db import connection, transaction

    n, now, window, levels = world["n"], world["now"], world["window"], world["levels"]
    month_start, month_end = window.month_start, window.end
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(
            "INSERT INTO accounts_user (id, password, username, first_name, last_name, email, is_superuser, is_staff, is_active, "
            "date_joined, phone, nickname) SELECT g, '!', 'g' || g, '', '', '', false, false, true, %s, '13' || lpad(g::text, 9, '0'), "
            "'成员' || g FROM generate_series(1, %s) AS g",
            [now, n],
        )
        common = (
            "INSERT INTO distribution_distributor (id, user_id, code, inviter_id, path, depth, level_id, status, real_name, "
            "apply_note, reject_reason, applied_at, approved_at, status_changed_at) "
        )
        status = (
            f"CASE WHEN c.r < {PENDING_SHARE} THEN 'pending' ELSE 'approved' END",
            f"CASE WHEN c.r < {PENDING_SHARE} THEN NULL ELSE %(start)s - (c.r * interval '300 days') - interval '1 day' END",
        )
        first, last = 1, sizes[0]
        cursor.execute(
            common
            + f"SELECT c.id, c.id, 'G' || lpad(c.id::text, 9, '0'), NULL, '/' || c.id || '/', 0, {_level_case(levels, 'c.l')}, "
            f"{status[0]}, '', '', '', %(start)s - interval '400 days', {status[1]}, %(start)s "
            "FROM (SELECT g AS id, random() AS r, random() AS l FROM generate_series(%(first)s, %(last)s) AS g) AS c",
            {"start": month_start, "first": first, "last": last},
        )
        for depth, size in enumerate(sizes[1:], start=1):
            above_first, above_size = first, last - first + 1
            first, last = last + 1, last + size
            # power(random(), 2) favours the first members of the layer above: a few hubs, many small teams.
            cursor.execute(
                common + f"SELECT c.id, c.id, 'G' || lpad(c.id::text, 9, '0'), p.id, p.path || c.id || '/', %(depth)s, "
                f"{_level_case(levels, 'c.l')}, {status[0]}, '', '', '', %(start)s - interval '400 days', {status[1]}, %(start)s "
                "FROM (SELECT g AS id, %(above)s + floor(power(random(), 2) * %(above_size)s)::bigint AS parent, random() AS r, "
                "random() AS l FROM generate_series(%(first)s, %(last)s) AS g) AS c "
                "JOIN distribution_distributor p ON p.id = c.parent",
                {
                    "depth": depth,
                    "start": month_start,
                    "first": first,
                    "last": last,
                    "above": above_first,
                    "above_size": above_size,
                },
            )
        n_orders = int(n * ORDERS_PER_DISTRIBUTOR)
        span = (month_end - month_start).total_seconds() - 1
        # Unit price ¥20-¥400; k = 2 lines in three orders of ten; one order in twenty half refunded on its first line.
        cursor.execute(
            "INSERT INTO orders_order (id, number, user_id, distributor_id, is_self_purchase, status, receiver, receiver_phone, "
            "province, city, district, address_detail, note, goods_fen, discount_fen, shipping_fen, total_fen, paid_fen, "
            "refunded_fen, price_breakdown, payment_provider, tracking_company, tracking_number, created_at, paid_at, "
            "completed_at, cancel_reason) "
            "SELECT g, 'GR' || lpad(g::text, 12, '0'), 1 + floor(random() * %(n)s)::bigint, 1 + floor(random() * %(n)s)::bigint, "
            "false, 'completed', '压测', '13800000000', '浙江省', '杭州市', '西湖区', '文三路 1 号', '', u * k, 0, 0, u * k, u * k, "
            "CASE WHEN g %% 20 = 0 THEN u / 2 ELSE 0 END, '{}', 'dev', '', '', at - interval '6 days', at - interval '5 days', at, '' "
            "FROM (SELECT g, (20 + floor(random() * 381))::bigint * 100 AS u, CASE WHEN g %% 10 < 3 THEN 2 ELSE 1 END AS k, "
            "%(start)s + random() * %(span)s * interval '1 second' AS at FROM generate_series(1, %(orders)s) AS g) AS o",
            {"n": n, "start": month_start, "span": span, "orders": n_orders},
        )
        cursor.execute(
            "INSERT INTO orders_orderline (order_id, sku_id, product_id, category_id, product_name, sku_spec, unit_price_fen, "
            "unit_cost_fen, quantity, line_total_fen, discount_fen, paid_fen, refunded_fen) "
            "SELECT o.id, %s, %s, %s, '精华液', '30ml', o.goods_fen / k.n, 5000, 1, o.goods_fen / k.n, 0, o.goods_fen / k.n, "
            "CASE WHEN line.i = 1 THEN o.refunded_fen ELSE 0 END "
            "FROM orders_order o CROSS JOIN LATERAL (SELECT CASE WHEN o.id %% 10 < 3 THEN 2 ELSE 1 END AS n) AS k "
            "CROSS JOIN LATERAL generate_series(1, k.n) AS line (i)",
            [world["sku"].pk, world["sku"].product_id, world["sku"].product.category_id],
        )
        _streaks_and_upgrades(cursor, world)
        for table in (
            "accounts_user",
            "distribution_distributor",
            "orders_order",
            "orders_orderline",
            "growth_levelchange",
            "growth_levelstrike",
        ):
            cursor.execute(f"ANALYZE {table}")


def _streaks_and_upgrades(cursor, world: dict) -> None:
    """Some seniors missed last month already (their second miss takes them down); some seniors and
    partners were upgraded ten days ago (protected). Chosen by a hash of the id, the same on both
    databases."""
    levels = world["levels"]
    cursor.execute(
        "INSERT INTO growth_levelstrike (distributor_id, level_id, misses, last_period) "
        "SELECT id, level_id, 1, %s FROM distribution_distributor WHERE level_id = %s AND status = 'approved' "
        "AND (id * 7919) %% 1000 < %s",
        [world["before"], levels["senior"], int(STRIKE_SHARE * 1000)],
    )
    cursor.execute(
        "INSERT INTO growth_levelchange (distributor_id, from_level_id, to_level_id, is_upgrade, reason, figures, period, note, "
        "created_at) SELECT id, %s, level_id, true, 'instant', '{}', '', '', %s FROM distribution_distributor "
        "WHERE level_id IN (%s, %s) AND (id * 104729) %% 1000 < %s",
        [
            levels["regular"],
            _db_time(world["now"] - timedelta(days=10)),
            levels["senior"],
            levels["partner"],
            int(PROTECTED_SHARE * 1000),
        ],
    )


def _db_time(value):
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(value)


def generate_sqlite(world: dict, sizes: list[int], seed: int) -> None:
    """SQLite: the same shapes drawn in Python and written with executemany."""
    from django.db import connection, transaction

    rng = random.Random(seed)
    n, now, window, levels = world["n"], world["now"], world["window"], world["levels"]
    start = window.month_start
    shares = [(levels[name], share) for name, share in LEVEL_SHARES]

    def level() -> int:
        x = rng.random()
        for pk, share in shares:
            if x < share:
                return pk
            x -= share
        return shares[-1][0]

    with transaction.atomic(), connection.cursor() as cursor:
        joined = _db_time(now)
        cursor.executemany(
            "INSERT INTO accounts_user (id, password, username, first_name, last_name, email, is_superuser, is_staff, is_active, "
            "date_joined, phone, nickname) VALUES (%s, '!', %s, '', '', '', 0, 0, 1, %s, %s, %s)",
            [(i, f"g{i}", joined, f"13{i:09d}", f"成员{i}") for i in range(1, n + 1)],
        )
        paths: dict[int, str] = {}
        rows = []
        first, last = 1, 0
        for depth, size in enumerate(sizes):
            above_first, above_size = first, last - first + 1
            first, last = last + 1, last + size
            for pk in range(first, last + 1):
                parent = above_first + int(rng.random() ** 2 * above_size) if depth else None
                paths[pk] = f"{paths[parent] if parent else '/'}{pk}/"
                pending = rng.random() < PENDING_SHARE
                approved = None if pending else _db_time(start - timedelta(days=1 + rng.random() * 300))
                rows.append(
                    (
                        pk,
                        pk,
                        f"G{pk:09d}",
                        parent,
                        paths[pk],
                        depth,
                        level(),
                        "pending" if pending else "approved",
                        _db_time(start - timedelta(days=400)),
                        approved,
                        _db_time(start),
                    )
                )
        for part in range(0, len(rows), CHUNK):
            cursor.executemany(
                "INSERT INTO distribution_distributor (id, user_id, code, inviter_id, path, depth, level_id, status, real_name, "
                "apply_note, reject_reason, applied_at, approved_at, status_changed_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', '', '', %s, %s, %s)",
                rows[part : part + CHUNK],
            )
        span = (window.end - start).total_seconds() - 1
        orders, lines = [], []
        sku = world["sku"]
        for pk in range(1, int(n * ORDERS_PER_DISTRIBUTOR) + 1):
            unit, k = (20 + rng.randrange(381)) * 100, 2 if pk % 10 < 3 else 1
            refunded = unit // 2 if pk % 20 == 0 else 0
            at = start + timedelta(seconds=rng.random() * span)
            orders.append(
                (
                    pk,
                    f"GR{pk:012d}",
                    rng.randrange(n) + 1,
                    rng.randrange(n) + 1,
                    unit * k,
                    unit * k,
                    unit * k,
                    refunded,
                    _db_time(at - timedelta(days=6)),
                    _db_time(at - timedelta(days=5)),
                    _db_time(at),
                )
            )
            lines += [
                (pk, sku.pk, sku.product_id, sku.product.category_id, unit, unit, unit, refunded if i == 0 else 0)
                for i in range(k)
            ]
        for part in range(0, len(orders), CHUNK):
            cursor.executemany(
                "INSERT INTO orders_order (id, number, user_id, distributor_id, is_self_purchase, status, receiver, receiver_phone, "
                "province, city, district, address_detail, note, goods_fen, discount_fen, shipping_fen, total_fen, paid_fen, "
                "refunded_fen, price_breakdown, payment_provider, tracking_company, tracking_number, created_at, paid_at, "
                "completed_at, cancel_reason) VALUES (%s, %s, %s, %s, 0, 'completed', '压测', '13800000000', '浙江省', '杭州市', "
                "'西湖区', '文三路 1 号', '', %s, 0, 0, %s, %s, %s, '{}', 'dev', '', '', %s, %s, %s, '')",
                orders[part : part + CHUNK],
            )
        for part in range(0, len(lines), CHUNK):
            cursor.executemany(
                "INSERT INTO orders_orderline (order_id, sku_id, product_id, category_id, product_name, sku_spec, unit_price_fen, "
                "unit_cost_fen, quantity, line_total_fen, discount_fen, paid_fen, refunded_fen) "
                "VALUES (%s, %s, %s, %s, '精华液', '30ml', %s, 5000, 1, %s, 0, %s, %s)",
                lines[part : part + CHUNK],
            )
        _streaks_and_upgrades(cursor, world)
        cursor.execute("ANALYZE")


def reset_sequences() -> None:
    """Explicit ids do not move PostgreSQL's sequences; set them past the new rows."""
    from django.core.management.color import no_style
    from django.db import connection

    from fenxiao.accounts.models import User
    from fenxiao.distribution.models import Distributor
    from fenxiao.orders.models import Order, OrderLine

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [User, Distributor, Order, OrderLine]):
            cursor.execute(sql)


def world_counts(world: dict) -> dict:
    from fenxiao.growth.models import LevelChange, LevelStrike
    from fenxiao.orders.models import Order, OrderLine

    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "strikes": LevelStrike.objects.count(),
        "protected": LevelChange.objects.count(),
    }


# --- 1. the monthly evaluation ---------------------------------------------------------------------

BARE_FIGURES = """
WITH sold AS (
    SELECT o.distributor_id AS id, SUM(l.paid_fen - l.refunded_fen) AS fen
    FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
    WHERE o.status = 'completed' AND o.completed_at >= %(start)s AND o.completed_at < %(end)s
    GROUP BY o.distributor_id
), member AS (
    SELECT d.id, d.inviter_id AS up1, p.inviter_id AS up2, COALESCE(s.fen, 0) AS fen
    FROM distribution_distributor d
    LEFT JOIN distribution_distributor p ON p.id = d.inviter_id
    LEFT JOIN sold s ON s.id = d.id
    WHERE d.status = 'approved' AND d.approved_at < %(end)s
), upline AS (
    SELECT up1 AS id, 1 AS direct, fen FROM member WHERE up1 IS NOT NULL
    UNION ALL
    SELECT up2, 0, fen FROM member WHERE up2 IS NOT NULL
), team AS (
    SELECT id, SUM(direct) AS direct, COUNT(*) AS size, SUM(fen) AS fen FROM upline GROUP BY id
)
SELECT COUNT(*), SUM(COALESCE(t.direct, 0)), SUM(COALESCE(s.fen, 0)), SUM(COALESCE(t.size, 0)), SUM(COALESCE(t.fen, 0))
FROM distribution_distributor d
LEFT JOIN team t ON t.id = d.id
LEFT JOIN sold s ON s.id = d.id
WHERE d.status = 'approved'
"""


def bare_figures(window) -> tuple[float, tuple]:
    """One statement: every approved distributor's direct invites, personal sales, team size and team
    sales of the month, summed in the same statement so that only one row comes back."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(BARE_FIGURES, {"start": _db_time(window.month_start), "end": _db_time(window.end)})
        row = cursor.fetchone()
    return time.perf_counter() - started, tuple(int(v or 0) for v in row)


def figures_sums(window) -> tuple:
    """The same sums over the figures the evaluation works from (`everyone_figures_sql`)."""
    from django.db import connection

    from fenxiao.growth.selectors import everyone_figures_sql

    sql, params = everyone_figures_sql(window)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(direct_invites), SUM(personal_sales_month), SUM(team_size), SUM(team_sales_month) "
            f"FROM ({sql}) f",
            params,
        )
        return tuple(int(v or 0) for v in cursor.fetchone())


def bench_evaluation(world: dict, *, check: bool) -> dict:
    from django.db import connection

    from fenxiao.growth import services
    from fenxiao.growth.models import LevelChange, LevelStrike, Notification

    month, window = world["month"], world["window"]
    bare_s, sums = bare_figures(window)  # warms the caches for both
    bare_s, sums = bare_figures(window)
    levels_before = _levels()

    started = time.perf_counter()
    first = services.run_monthly_evaluation(month, now=world["now"])
    service_s = time.perf_counter() - started

    snapshot = _state()
    started = time.perf_counter()
    again = services.run_monthly_evaluation(month, now=world["now"] + timedelta(minutes=5))
    rerun_s = time.perf_counter() - started
    unchanged = _state() == snapshot and again.upgraded == again.downgraded == 0

    agree = None
    if check:
        agree = figures_sums(window) == sums
    levels_after = _levels()
    print(f"\n1. monthly evaluation of {month}: {world['n']:,} distributors, {first.evaluated:,} approved and evaluated")
    print(f"  {'path':<66}{'seconds':>10}")
    print(f"  {'generation (set-up, not counted)':<66}{world['generation_s']:>10.1f}")
    print(f"  {'bare SQL: one statement computing the four team figures':<66}{bare_s:>10.2f}")
    print(f"  {'run_monthly_evaluation (figures, decisions, changes, notices)':<66}{service_s:>10.2f}")
    print(f"  {'rerun of the same month':<66}{rerun_s:>10.2f}")
    print(f"  ratio service / bare: {service_s / bare_s:.1f}×")
    print(
        f"  upgraded {first.upgraded:,}, downgraded {first.downgraded:,}; rerun upgraded {again.upgraded}, downgraded "
        f"{again.downgraded}, already done {again.already_done:,}; {'nothing changed' if unchanged else 'CHANGED SOMETHING'}"
    )
    print(
        f"  level changes {LevelChange.objects.filter(period=month).count():,}, notices {Notification.objects.count():,}, "
        f"streaks now {LevelStrike.objects.count():,}; levels before {levels_before} after {levels_after}"
    )
    if agree is not None:
        print(f"  the evaluation's figures agree with the bare SQL sums: {'yes' if agree else 'NO'} {sums}")
    return {
        "month": month,
        "distributors": world["n"],
        "evaluated": first.evaluated,
        "upgraded": first.upgraded,
        "downgraded": first.downgraded,
        "generation_s": world["generation_s"],
        "bare_sql_s": round(bare_s, 2),
        "service_s": round(service_s, 2),
        "ratio": round(service_s / bare_s, 2),
        "rerun_s": round(rerun_s, 2),
        "rerun_unchanged": unchanged,
        "figures_agree": agree,
        "vendor": connection.vendor,
    }


def _levels() -> dict[str, int]:
    from django.db.models import Count

    from fenxiao.distribution.models import Distributor

    rows = Distributor.objects.filter(status="approved").order_by().values("level__name").annotate(n=Count("pk"))
    return {row["level__name"]: row["n"] for row in rows}


def _state() -> tuple:
    from django.db.models import Max, Sum

    from fenxiao.distribution.models import Distributor
    from fenxiao.growth.models import LevelChange, LevelStrike, Notification

    return (
        Distributor.objects.aggregate(s=Sum("level_id"))["s"],
        LevelChange.objects.aggregate(m=Max("pk"))["m"],
        Notification.objects.aggregate(m=Max("pk"))["m"],
        tuple(LevelStrike.objects.order_by("pk").values_list("pk", "misses", "last_period")),
    )


# --- 2. the team page ------------------------------------------------------------------------------


def build_team(world: dict, members: int, tag: str):
    """A new distributor with `members` approved team members, half direct and half indirect, a third
    of them with a completed order this month."""
    from django.utils import timezone

    from fenxiao.accounts.models import User
    from fenxiao.distribution.models import Distributor
    from fenxiao.orders.models import Order, OrderLine

    now = timezone.now()
    regular, sku = world["levels"]["regular"], world["sku"]

    def make(count: int, inviters: list[Distributor | None], depth: int) -> list[Distributor]:
        users = User.objects.bulk_create(
            [User(username=f"{tag}-{depth}-{i}", phone=None, password="!", nickname=f"队员{i}") for i in range(count)]
        )
        made = Distributor.objects.bulk_create(
            [
                Distributor(
                    user=u,
                    code=f"{tag}{depth}{i:06d}",
                    inviter=inviters[i % len(inviters)],
                    level_id=regular,
                    status="approved",
                    applied_at=now,
                    approved_at=now - timedelta(minutes=i),
                    status_changed_at=now,
                    depth=depth,
                )
                for i, u in enumerate(users)
            ]
        )
        return made

    (root,) = make(1, [None], 0)
    direct = make(max(1, members // 2), [root], 1)
    indirect = make(members - len(direct), direct, 2)
    buyer = User.objects.create(username=f"{tag}-buyer", password="!")
    sellers = (direct + indirect)[::3]
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"{tag}{i:010d}",
                user=buyer,
                distributor=d,
                status="completed",
                receiver="压测",
                receiver_phone="13800000000",
                province="浙江省",
                city="杭州市",
                district="西湖区",
                address_detail="文三路 1 号",
                goods_fen=9900 + i,
                total_fen=9900 + i,
                paid_fen=9900 + i,
                payment_provider="dev",
                paid_at=now - timedelta(hours=1),
                completed_at=now - timedelta(minutes=30),
            )
            for i, d in enumerate(sellers)
        ]
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=o,
                sku=sku,
                product_id=sku.product_id,
                category_id=sku.product.category_id,
                product_name="精华液",
                sku_spec="30ml",
                unit_price_fen=o.paid_fen,
                unit_cost_fen=5000,
                quantity=1,
                line_total_fen=o.paid_fen,
                paid_fen=o.paid_fen,
            )
            for o in orders
        ]
    )
    return Distributor.objects.get(pk=root.pk)


def bench_team_page(world: dict, sizes: list[int], rounds: int) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fenxiao.analytics.selectors import team_page

    rows = []
    for index, size in enumerate(sizes):
        root = build_team(world, size, f"T{index}")
        for kind in ("direct", "indirect"):
            for sort in ("joined", "sales", "orders"):
                team_page(root, kind=kind, sort=sort)  # warm-up
                timings, slowest = [], []
                for _ in range(rounds):
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        page = team_page(root, kind=kind, sort=sort)
                        timings.append((time.perf_counter() - started) * 1000)
                    slowest.append(max(float(q["time"]) for q in captured.captured_queries) * 1000)
                rows.append(
                    {
                        "members": size,
                        "kind": kind,
                        "sort": sort,
                        "total": page.total,
                        "queries": len(captured.captured_queries),
                        "median_ms": round(statistics.median(timings), 2),
                        "slowest_query_ms": round(statistics.median(slowest), 2),
                    }
                )
    print(f"\n2. team page (first page of 20, this month's figures), median of {rounds} calls")
    print(f"  {'members':>8}  {'list':<9}{'sort':<8}{'in list':>8}{'queries':>9}{'ms':>10}{'slowest query ms':>18}")
    for row in rows:
        print(
            f"  {row['members']:>8,}  {row['kind']:<9}{row['sort']:<8}{row['total']:>8,}{row['queries']:>9}{row['median_ms']:>10.2f}"
            f"{row['slowest_query_ms']:>18.2f}"
        )
    counts = {row["queries"] for row in rows}
    print(f"  queries per page: {sorted(counts)} at every size")
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
