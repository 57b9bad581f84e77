"""The console's home at scale, beside the bare SQL of its figures in the same run (PostgreSQL).

A year of business: 1,000,000 orders, 100,000 distributors, 250,000 users, 1,000,000 share-link visits,
600,000 commissions, after-sales, withdrawals, payout batches and 1,000 stock records, all written by
`INSERT … SELECT` over `generate_series`. The home (`GET /admin/` as a superuser, who sees every part:
to-dos, today's and this month's figures, the 30-day trend) is timed through Django's test client,
middleware and template included, after the daily figures of every closed day and the visitors of each
month have been written as the periodic job and its backfill write them, next to the same figures
computed by hand-written SQL from the raw rows on the same connection, the two taking turns. The script also prints the home's statement count, which the tests
hold constant.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_console_home.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import benchlib
from benchlib import ROOT, BenchDatabase


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--distributors", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=250_000, help="accounts (at least the distributors)")
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=40, help="timed home pages (and as many bare-SQL rounds)")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--database", default="fenxiao_bench_console", help="PostgreSQL database to create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards (for EXPLAIN)")
    parser.add_argument("--reuse", action="store_true", help="measure a database left by --keep again, without generating")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "console_home.json"))
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log
    sys.path.insert(0, str(ROOT))
    benchlib.BENCH_DB = args.database
    bench_db = BenchDatabase(keep=args.keep or args.reuse)
    if not bench_db.is_postgres:
        print("bench_console_home: PostgreSQL only (set DATABASE_URL=postgres://…); skipped")
        return 0
    if args.reuse:
        parts = urlsplit(bench_db.url)
        given = parts.path.strip("/")
        name = f"{given}_bench" if given and given != "postgres" else args.database
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        where = f"PostgreSQL database {name} on {parts.hostname} (reused)"
    else:
        where = bench_db.create()

    import django

    django.setup()
    try:
        return run(args, where)
    finally:
        bench_db.drop()


def run(args, where: str) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    print(f"fenxiao console home benchmark · {where} · {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem')")
        version, buffers, work_mem = cursor.fetchone()
    print(f"PostgreSQL {version}, shared_buffers {buffers}, work_mem {work_mem}")
    if not args.reuse:
        started = time.perf_counter()
        generate(args)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    rolled = roll_up()
    # Plain static URLs (no manifest to build) and the test client's host: what is timed is the page.
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages, ALLOWED_HOSTS=["testserver"], DEBUG=False):
        results = measure(args)
    results["daily_rows"] = rolled
    results.update({"database": where, "python": platform.python_version(), "cpus": os.cpu_count(), "postgres": version})
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{connection.vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


# --- the data --------------------------------------------------------------------------------------


def generate(args) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from fenxiao.catalog.models import Category, Product, Sku
    from fenxiao.distribution.models import Level

    now = timezone.now()
    level = Level.objects.order_by("rank").first() or Level.objects.create(
        name="普通", rank=1, direct_rate_bp=1000, indirect_rate_bp=500
    )
    category = Category.objects.create(name="压测", slug="bench")
    product = Product.objects.create(category=category, name="压测商品", is_on_shelf=True)
    skus = Sku.objects.bulk_create(
        Sku(product=product, code=f"BENCH{i:05d}", cost_fen=5000, retail_fen=15000, suggested_retail_fen=15000, control_fen=12000)
        for i in range(1000)
    )
    first_sku = min(sku.pk for sku in skus)
    p = {
        "now": now,
        "users": max(args.users, args.distributors),
        "distributors": args.distributors,
        "orders": args.orders,
        "visits": args.visits,
        "level": level.pk,
        "sku": first_sku,
        "product": product.pk,
        "category": category.pk,
    }
    year = "random() * interval '365 days'"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(args.seed % 1000) / 1000])
        cursor.execute(
            "INSERT INTO accounts_user (id, password, username, first_name, last_name, email, is_superuser, is_staff, is_active, "
            "date_joined, phone, nickname) SELECT g, '!', 'b' || g, '', '', '', false, false, true, "
            f"%(now)s - {year}, '13' || lpad(g::text, 9, '0'), '成员' || g FROM generate_series(1, %(users)s) AS g",
            p,
        )
        # 2 % waiting for review, 1 % for their first purchase, 2 % rejected, the rest approved.
        cursor.execute(
            "INSERT INTO distribution_distributor (id, user_id, code, inviter_id, path, depth, level_id, status, real_name, "
            "apply_note, reject_reason, applied_at, approved_at, status_changed_at) "
            "SELECT g, g, 'B' || lpad(g::text, 9, '0'), CASE WHEN g <= 100 THEN NULL ELSE 1 + floor(random() * (g - 1))::bigint END, "
            "'/' || g || '/', 0, %(level)s, "
            "CASE WHEN r < 0.02 THEN 'pending' WHEN r < 0.03 THEN 'awaiting_purchase' WHEN r < 0.05 THEN 'rejected' "
            "ELSE 'approved' END, '', '', '', at, CASE WHEN r >= 0.05 THEN LEAST(at + interval '2 hours', %(now)s) END, at "
            f"FROM (SELECT g, random() AS r, %(now)s - {year} AS at FROM generate_series(1, %(distributors)s) AS g) AS d",
            p,
        )
        # Paid over the last year, one in fifty never paid and one in fifty cancelled; paid in the last
        # three days: seven in ten still to ship.
        cursor.execute(
            "INSERT INTO orders_order (id, number, user_id, distributor_id, is_self_purchase, status, receiver, receiver_phone, "
            "province, city, district, address_detail, note, goods_fen, discount_fen, shipping_fen, total_fen, paid_fen, "
            "refunded_fen, price_breakdown, payment_provider, tracking_company, tracking_number, created_at, paid_at, "
            "commissions_accrued_at, cancel_reason) "
            "SELECT g, 'BH' || lpad(g::text, 12, '0'), 1 + floor(random() * %(users)s)::bigint, "
            "CASE WHEN g %% 5 <> 0 THEN 1 + floor(random() * %(distributors)s)::bigint END, false, "
            "CASE WHEN g %% 50 = 0 THEN 'pending_payment' WHEN g %% 50 = 1 THEN 'cancelled' "
            "WHEN at > %(now)s - interval '3 days' AND g %% 10 < 7 THEN 'paid' "
            "WHEN at > %(now)s - interval '10 days' THEN 'shipped' ELSE 'completed' END, "
            "'压测', '13800000000', '浙江省', '杭州市', '西湖区', '文三路 1 号', '', u, 0, 0, u, "
            "CASE WHEN g %% 50 IN (0, 1) THEN 0 ELSE u END, 0, '{}', 'dev', '', '', at - interval '5 minutes', "
            "CASE WHEN g %% 50 IN (0, 1) THEN NULL ELSE at END, CASE WHEN g %% 50 IN (0, 1) THEN NULL ELSE at END, '' "
            "FROM (SELECT g, (20 + floor(random() * 381))::bigint * 100 AS u, "
            f"%(now)s - {year} AS at FROM generate_series(1, %(orders)s) AS g) AS o",
            p,
        )
        cursor.execute(
            "INSERT INTO orders_orderline (id, order_id, sku_id, product_id, category_id, product_name, sku_spec, unit_price_fen, "
            "unit_cost_fen, quantity, line_total_fen, discount_fen, paid_fen, refunded_fen) "
            "SELECT id, id, %(sku)s, %(product)s, %(category)s, '压测商品', '', goods_fen, 5000, 1, goods_fen, 0, goods_fen, 0 "
            "FROM orders_order",
            p,
        )
        cursor.execute(
            "INSERT INTO commissions_commission (order_id, order_line_id, distributor_id, depth, base_fen, source, mode, rate_bp, "
            "uncapped_fen, amount_fen, cancelled_fen, clawed_back_fen, status, capped, capped_note, created_at) "
            "SELECT id, id, distributor_id, 1, paid_fen, 'level', 'rate', 1000, paid_fen / 10, paid_fen / 10, 0, 0, "
            "CASE WHEN status = 'completed' THEN 'settled' ELSE 'pending' END, false, '', "
            "LEAST(paid_at + interval '1 minute', %(now)s) "
            "FROM orders_order WHERE distributor_id IS NOT NULL AND paid_at IS NOT NULL AND id %% 4 <> 0",
            p,
        )
        cursor.execute(
            "INSERT INTO distribution_visit (distributor_id, product_id, visitor_id, session_key, channel, created_at) "
            "SELECT 1 + floor(random() * %(distributors)s)::bigint, NULL, "
            "CASE WHEN g %% 4 = 0 THEN 1 + floor(random() * %(users)s)::bigint END, md5((floor(random() * 400000))::text), "
            f"'wx_chat', %(now)s - {year} FROM generate_series(1, %(visits)s) AS g",
            p,
        )
        cursor.execute(
            "INSERT INTO orders_aftersale (line_id, order_id, kind, amount_fen, quantity, reason, status, reject_reason, "
            "return_tracking_number, created_at, updated_at) "
            "SELECT id, id, 'return_refund', 100, 1, '压测', "
            "(ARRAY['requested', 'awaiting_return', 'returned', 'refunded', 'rejected', 'refunded'])[1 + id %% 6], '', '', "
            "created_at, created_at FROM orders_order WHERE paid_at IS NOT NULL ORDER BY id LIMIT 3000",
            p,
        )
        cursor.execute(
            "INSERT INTO withdrawals_payoutbatch (number, status, channel, line_count, amount_fen, fee_fen, net_fen, created_at) "
            "SELECT 'PB' || lpad(g::text, 8, '0'), CASE WHEN g %% 20 = 0 THEN 'exported' ELSE 'closed' END, '', 1, 100, 0, 100, "
            "%(now)s - g * interval '1 day' FROM generate_series(1, 200) AS g",
            p,
        )
        cursor.execute(
            "INSERT INTO withdrawals_withdrawal (number, distributor_id, status, channel, amount_fen, fee_bp, fee_fen, net_fen, "
            "payee_name, bank_name, account_kind, account_masked, account_encrypted, idempotency_key, request_digest, "
            "requested_at, requested_on, reject_reason, failure_reason, external_reference, requested_in) "
            "SELECT 'BW' || lpad(g::text, 10, '0'), 1 + floor(random() * %(distributors)s)::bigint, "
            "CASE WHEN g %% 50 = 0 THEN 'requested' ELSE 'paid' END, 'bank', 10000, 0, 0, 10000, '压测', '', 'card', "
            "'6222****0000', '', '', '', at, (at AT TIME ZONE 'Asia/Shanghai')::date, '', '', '', '' "
            f"FROM (SELECT g, %(now)s - {year} AS at FROM generate_series(1, 20000) AS g) AS w",
            p,
        )
        cursor.execute(
            "INSERT INTO inventory_stockrecord (sku_id, location, on_hand, reserved, safety_stock) "
            "SELECT id, 'main', CASE WHEN id %% 25 = 0 THEN 3 ELSE 500 END, 0, 10 FROM catalog_sku WHERE product_id = %(product)s",
            p,
        )
        for table in ("accounts_user", "distribution_distributor", "orders_order", "orders_orderline", "commissions_commission"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    # What autovacuum does on a live database: statistics and the visibility map (index-only scans).
    with connection.cursor() as cursor:
        for table in (
            "accounts_user",
            "distribution_distributor",
            "distribution_visit",
            "orders_order",
            "orders_orderline",
            "orders_aftersale",
            "commissions_commission",
            "withdrawals_withdrawal",
            "withdrawals_payoutbatch",
            "inventory_stockrecord",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def roll_up() -> dict:
    """The daily figures of every closed day of the year and the visitors of each month, as the periodic
    job and its backfill write them."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from fenxiao.analytics import services
    from fenxiao.analytics.models import MonthVisitor
    from fenxiao.common.periods import local_today

    today = local_today(timezone.now())
    started = time.perf_counter()
    days = services.roll_up_days(today - timedelta(days=366), today - timedelta(days=1))
    backfill_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in ("analytics_dailyfigures", "analytics_monthvisitor"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    started = time.perf_counter()
    services.roll_up_recent()
    recent_ms = (time.perf_counter() - started) * 1000
    month_visitors = MonthVisitor.objects.count()
    print(
        f"daily figures: {days} closed days and {month_visitors:,} month visitors backfilled in {backfill_s:.1f} s; "
        f"the periodic run (last 2 days) {recent_ms:.0f} ms"
    )
    return {"days": days, "month_visitors": month_visitors, "backfill_s": backfill_s, "periodic_run_ms": recent_ms}


# --- the measurement -------------------------------------------------------------------------------


def bare_statements(now):
    """The home's figures in hand-written SQL: the to-do counts, each figure over its four windows,
    and the trend."""
    from datetime import timedelta

    from fenxiao.common.figures import comparison_windows
    from fenxiao.common.periods import local_midnight, local_today

    windows = comparison_windows(now)
    low = min(start for start, _end in windows.values())
    bounds = []
    for start, end in windows.values():
        bounds += [start, end]

    def per_window(expression: str, column: str) -> str:
        return ", ".join(f"{expression} FILTER (WHERE {column} >= %s AND {column} < %s)" for _ in windows)

    last = local_today(now)
    trend_start, trend_end = local_midnight(last - timedelta(days=29)), local_midnight(last + timedelta(days=1))
    return [
        ("SELECT count(*) FROM distribution_distributor WHERE status = 'pending'", []),
        (
            "SELECT count(*) FILTER (WHERE status = 'requested'), count(*) FILTER (WHERE status = 'returned') "
            "FROM orders_aftersale WHERE status IN ('requested', 'returned')",
            [],
        ),
        ("SELECT count(*) FROM withdrawals_withdrawal WHERE status = 'requested'", []),
        ("SELECT count(*) FROM withdrawals_payoutbatch WHERE status = 'exported'", []),
        (
            "SELECT count(*), count(*) FILTER (WHERE paid_at < %s) FROM orders_order WHERE status = 'paid'",
            [now - timedelta(hours=48)],
        ),
        (
            "SELECT count(*) FROM inventory_stockrecord WHERE location = 'main' AND safety_stock > 0 "
            "AND on_hand - reserved < safety_stock",
            [],
        ),
        ("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'", []),
        ("SELECT count(*) FROM console_backgroundjob WHERE status = 'failed'", []),
        (
            f"SELECT {per_window('sum(paid_fen)', 'paid_at')}, {per_window('count(*)', 'paid_at')} FROM orders_order "
            "WHERE paid_at >= %s AND paid_at < %s",
            bounds + bounds + [low, now],
        ),
        (
            f"SELECT {per_window('count(*)', 'created_at')}, "
            f"{per_window('count(DISTINCT coalesce(visitor_id::text, session_key))', 'created_at')} "
            "FROM distribution_visit WHERE created_at >= %s AND created_at < %s",
            bounds + bounds + [low, now],
        ),
        (
            f"SELECT {per_window('count(*)', 'date_joined')} FROM accounts_user "
            "WHERE NOT is_staff AND date_joined >= %s AND date_joined < %s",
            bounds + [low, now],
        ),
        (
            f"SELECT {per_window('count(*)', 'approved_at')} FROM distribution_distributor "
            "WHERE approved_at >= %s AND approved_at < %s",
            bounds + [low, now],
        ),
        (
            f"SELECT {per_window('sum(amount_fen)', 'created_at')}, {per_window('count(*)', 'created_at')} "
            "FROM commissions_commission WHERE created_at >= %s AND created_at < %s",
            bounds + bounds + [low, now],
        ),
        (
            "SELECT (paid_at AT TIME ZONE 'Asia/Shanghai')::date AS day, sum(paid_fen), count(*) FROM orders_order "
            "WHERE paid_at >= %s AND paid_at < %s GROUP BY day ORDER BY day",
            [trend_start, trend_end],
        ),
    ]


def measure(args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from fenxiao.accounts.models import User

    admin_user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        username="bench-admin", password=None, email=""
    )
    client = Client()
    client.force_login(admin_user)

    def home() -> None:
        response = client.get("/admin/")
        assert response.status_code == 200, response.status_code

    def bare() -> None:
        with connection.cursor() as cursor:
            for sql, params in bare_statements(timezone.now()):
                cursor.execute(sql, params)
                cursor.fetchall()

    for _ in range(3):  # warm the caches of both
        home()
        bare()
    statements: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(((time.perf_counter() - started) * 1000, sql))

    with connection.execute_wrapper(timed):
        home()
    page_ms: list[float] = []
    bare_ms: list[float] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        home()
        page_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        bare()
        bare_ms.append((time.perf_counter() - started) * 1000)
    counts = {}
    with connection.cursor() as cursor:
        for table in (
            "orders_order",
            "distribution_distributor",
            "accounts_user",
            "distribution_visit",
            "commissions_commission",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    result = {
        "rows": counts,
        "queries": len(statements),
        "bare_statements": len(bare_statements(timezone.now())),
        "home_ms": {"p50": statistics.median(page_ms), "p95": benchlib.percentile(page_ms, 95)},
        "bare_sql_ms": {"p50": statistics.median(bare_ms), "p95": benchlib.percentile(bare_ms, 95)},
    }
    slowest = sorted(statements, reverse=True)[:6]
    print(", ".join(f"{table} {count:,}" for table, count in counts.items()))
    print(f"home: {len(statements)} statements (bare SQL of its figures: {result['bare_statements']})")
    print(f"{'':14} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'home page':14} {result['home_ms']['p50']:8.1f} {result['home_ms']['p95']:8.1f}")
    print(f"{'bare SQL':14} {result['bare_sql_ms']['p50']:8.1f} {result['bare_sql_ms']['p95']:8.1f}")
    print(f"ratio (p50)    {result['home_ms']['p50'] / result['bare_sql_ms']['p50']:.1f}×")
    print("slowest statements of one home page (ms, first 100 characters):")
    for ms, sql in slowest:
        print(f"  {ms:7.1f}  {sql[:100]}")
    result["slowest"] = [{"ms": ms, "sql": sql[:300]} for ms, sql in slowest]
    return result


if __name__ == "__main__":
    sys.exit(main())
