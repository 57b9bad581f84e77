"""Supplier statements at scale, beside one bare SQL aggregation of the same sums (PostgreSQL).

N suppliers (default 1,000, all monthly) × M completed shipped lines each (default 10,000), written with
`INSERT … SELECT` over `generate_series` (ten lines an order, one shipment an order, a share of the
lines partly refunded). Then, on the same connection:

- **bare**: one statement, `SELECT supplier_id, count(*), sum(owed) … GROUP BY supplier_id`, the owed
  rule in SQL, the figure to compare with (what merely reading and summing the lines costs here);
- **issue**: `supply.settlement.services.issue_statements(now)` for the month that ended: a statement
  per supplier, its lines (one row per order line), totals, the statement events and one ledger
  posting per statement, committed;
- **rerun**: the same call again, which must issue nothing.

The script checks that each statement's goods equal the bare sum of its supplier, and that the payables
reconcile with the statements. `--scale 0.1` runs 100 × 1,000.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 \\
        .venv/bin/python bench/bench_supplier_settlement.py --scale 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import benchlib
from benchlib import ROOT, BenchDatabase


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suppliers", type=int, default=1_000)
    parser.add_argument("--lines", type=int, default=10_000, help="completed lines per supplier")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies both --suppliers and --lines")
    parser.add_argument("--lines-per-order", type=int, default=10)
    parser.add_argument("--refund-every", type=int, default=20, help="one line in this many is partly refunded")
    parser.add_argument("--database", default="fenxiao_bench_settlement", help="PostgreSQL database to create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards (for EXPLAIN)")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "supplier_settlement.json"))
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    args.suppliers = max(1, round(args.suppliers * args.scale))
    args.lines = max(args.lines_per_order, round(args.lines * args.scale) // args.lines_per_order * args.lines_per_order)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log
    sys.path.insert(0, str(ROOT))
    benchlib.BENCH_DB = args.database
    bench_db = BenchDatabase(keep=args.keep)
    if not bench_db.is_postgres:
        print("bench_supplier_settlement: PostgreSQL only (set DATABASE_URL=postgres://…); skipped")
        return 0
    where = bench_db.create()

    import django

    django.setup()
    try:
        return run(args, where)
    finally:
        bench_db.drop()


# --- data -------------------------------------------------------------------------------------------------


def _filler(field) -> str:
    """A value for a NOT NULL column the benchmark does not care about."""
    kind = field.get_internal_type()
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
        return "''"
    if kind == "BooleanField":
        return "false"
    if kind == "DateTimeField":
        return "now()"
    if kind == "DateField":
        return "current_date"
    if kind == "JSONField":
        return "'{}'::jsonb"
    return "0"


def insert_series(cursor, model, count: int, values: dict[str, str]) -> None:
    """INSERT `count` rows of `model`, `i` running 1…count: the columns in `values` as SQL expressions
    of `i`, every other NOT NULL column filled with a neutral value."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.column in values:
            columns.append(field.column)
            expressions.append(values[field.column])
        elif not field.null and not field.primary_key:
            columns.append(field.column)
            expressions.append(_filler(field))
    columns.insert(0, "id")
    expressions.insert(0, values.get("id", "i"))
    table = model._meta.db_table
    selected = ", ".join(expressions).replace("%", "%%")  # the modulo operator, not a placeholder
    cursor.execute(
        f'INSERT INTO "{table}" ({", ".join(columns)}) SELECT {selected} FROM generate_series(1, %s) AS i',
        [count],
    )
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")


def generate(args) -> None:
    from django.db import connection, transaction

    from fenxiao.accounts.models import User
    from fenxiao.catalog.models import Category, Product, Sku
    from fenxiao.orders.models import Order, OrderLine, Shipment
    from fenxiao.suppliers.models import Supplier

    n, k = args.suppliers, args.lines_per_order
    orders = n * args.lines // k
    completed = "'2026-11-15 12:00:00+08'::timestamptz"
    with transaction.atomic(), connection.cursor() as cursor:
        insert_series(cursor, Category, 1, {"name": "'食品'", "slug": "'food'", "is_active": "true"})
        insert_series(cursor, Product, 1, {"category_id": "1", "name": "'代发商品'"})
        insert_series(
            cursor,
            Sku,
            1,
            {
                "product_id": "1",
                "code": "'BENCH-1'",
                "cost_fen": "3000",
                "retail_fen": "5000",
                "suggested_retail_fen": "5000",
                "control_fen": "4000",
                "is_active": "true",
            },
        )
        insert_series(
            cursor,
            User,
            n + 1,
            {"username": "'bench' || i", "password": "'!'", "is_active": "true", "nickname": "'u' || i", "date_joined": "now()"},
        )
        insert_series(
            cursor,
            Supplier,
            n,
            {
                "name": "'供应商' || i",
                "user_id": "i",
                "is_active": "true",
                "status": "'approved'",
                "company_name": "'公司' || i",
                "bank_account_name": "'公司' || i",
                "bank_account_number": "'3301040160' || lpad(i::text, 9, '0')",
                "bank_name": "'工商银行'",
                "settlement_cycle": "'monthly'",
            },
        )
        # order i belongs to supplier ((i − 1) % n) + 1; its k lines are shipped by one completed shipment
        insert_series(
            cursor,
            Order,
            orders,
            {
                "number": "'BS' || lpad(i::text, 12, '0')",
                "user_id": f"{n + 1}",
                "status": "'completed'",
                "goods_fen": "0",
                "total_fen": "0",
                "created_at": completed,
            },
        )
        insert_series(
            cursor,
            Shipment,
            orders,
            {
                "order_id": "i",
                "route": f"'supplier:' || (((i - 1) % {n}) + 1)",
                "supplier_id": f"((i - 1) % {n}) + 1",
                "status": "'completed'",
                "completed_at": completed,
                "created_at": completed,
            },
        )
        price, qty = "(1000 + (i % 4000))", "(1 + (i % 3))"
        insert_series(
            cursor,
            OrderLine,
            orders * k,
            {
                "order_id": f"((i - 1) / {k}) + 1",
                "shipment_id": f"((i - 1) / {k}) + 1",
                "sku_id": "1",
                "product_id": "1",
                "category_id": "1",
                "product_name": "'代发商品'",
                "unit_price_fen": price,
                "unit_cost_fen": "(600 + (i % 2500))",
                "quantity": qty,
                "line_total_fen": f"{price} * {qty}",
                "discount_fen": "0",
                "paid_fen": f"{price} * {qty}",
                "refunded_fen": f"CASE WHEN i % {args.refund_every} = 0 THEN ({price} * {qty}) / 3 ELSE 0 END",
            },
        )
        cursor.execute("ANALYZE")


# --- timing -----------------------------------------------------------------------------------------------


BARE_SQL = (
    "SELECT sh.supplier_id, count(*), sum({owed}) "
    'FROM "orders_orderline" l JOIN "orders_shipment" sh ON sh.id = l.shipment_id '
    "WHERE sh.status = 'completed' AND sh.completed_at < %s AND sh.supplier_id IS NOT NULL GROUP BY sh.supplier_id"
)


def run(args, where: str) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from fenxiao.supply.models import SupplierStatement
    from fenxiao.supply.settlement import selectors, services

    # The schema straight from the models: the benchmark needs none of the data migrations.
    settings.MIGRATION_MODULES = {app.label: None for app in django_apps()}
    call_command("migrate", run_syncdb=True, verbosity=0)
    lines = args.suppliers * args.lines
    print(f"{where}: {args.suppliers:,} suppliers × {args.lines:,} completed lines = {lines:,} lines")
    started = time.perf_counter()
    generate(args)
    print(f"generated in {time.perf_counter() - started:.1f} s")

    now = datetime(2026, 12, 1, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    _start, end = services.last_full_period("monthly", now)
    sql = BARE_SQL.format(owed=services.OWED_SQL)
    with connection.cursor() as cursor:
        cursor.execute(sql, [end])  # warms the cache as much for both
        started = time.perf_counter()
        cursor.execute(sql, [end])
        bare_rows = cursor.fetchall()
        bare = time.perf_counter() - started

    started = time.perf_counter()
    issued = services.issue_statements(now=now)
    issue = time.perf_counter() - started
    started = time.perf_counter()
    again = services.issue_statements(now=now)
    rerun = time.perf_counter() - started

    bare_sums = {supplier_id: (count, int(total)) for supplier_id, count, total in bare_rows}
    issued_sums = {
        s.supplier_id: (s.line_count, s.goods_fen)
        for s in SupplierStatement.objects.only("supplier_id", "line_count", "goods_fen")
    }
    ok = len(issued) == args.suppliers and again == [] and issued_sums == bare_sums and selectors.reconcile() == []

    results = {
        "database": connection.vendor,
        "python": platform.python_version(),
        "suppliers": args.suppliers,
        "lines_per_supplier": args.lines,
        "lines": lines,
        "bare_sql_s": round(bare, 3),
        "issue_statements_s": round(issue, 3),
        "rerun_s": round(rerun, 3),
        "ratio": round(issue / bare, 1) if bare else None,
        "statements": len(issued),
        "checks_passed": ok,
    }
    print(f"{'bare SQL aggregation':<28}{bare:>10.2f} s")
    print(f"{'issue_statements':<28}{issue:>10.2f} s   ({results['ratio']}× the bare aggregation)")
    print(f"{'issue_statements again':<28}{rerun:>10.2f} s   (issues nothing)")
    print(f"statements {len(issued):,}; sums equal to the bare aggregation and reconciled: {ok}")
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{connection.vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if ok else 1


def django_apps():
    from django.apps import apps

    return apps.get_app_configs()


if __name__ == "__main__":
    raise SystemExit(main())
