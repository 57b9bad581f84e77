"""Commission money on the ledger, measured against bare SQL in the same run on the same database.

1. Accrual: the accrual job (`accrue_pending`) over N paid orders: claim them, compute their
   commissions, insert the commission rows and post one ledger transaction per run of up to 1,000
   orders; next to a bare-SQL batch insert of the very same rows (executemany in one database
   transaction), measured both against the ledger rows alone and against every row it writes.
2. Settlement: one batch settling N pending commissions (default 1,000,000 on PostgreSQL, 100,000 on
   SQLite), next to one bare SQL UPDATE doing the same status change (rolled back), then
   `ledger_check` over the result.

    FENXIAO_TESTING=1 .venv/bin/python bench/bench_ledger.py [--orders 2000] [--commissions N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_ledger.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from benchlib import ROOT, BenchDatabase

CHUNK = 20_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="paid orders to accrue (default 2000)")
    parser.add_argument("--lines", type=int, default=2, help="lines per accrued order (default 2)")
    parser.add_argument(
        "--commissions", type=int, default=0, help="pending commissions to settle (default 1M on PostgreSQL, 100k on SQLite)"
    )
    parser.add_argument("--distributors", type=int, default=50_000, help="earners in the settlement network (default 50,000)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "ledger.json"))
    return parser.parse_args()


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


def run(args, where: str) -> int:
    from django.core.management import call_command
    from django.db import connection

    print(f"fenxiao ledger benchmark · {where}")
    call_command("migrate", verbosity=0)
    commissions = args.commissions or (1_000_000 if connection.vendor == "postgresql" else 100_000)
    results = {"vendor": connection.vendor, "database": where, "python": platform.python_version()}
    world = build_world(max(args.distributors, 100))
    results["posting"] = bench_posting(world, args.orders, args.lines)
    results["settlement"] = bench_settlement(world, commissions)
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{connection.vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


def chunks(items, size=CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_world(n_distributors: int) -> dict:
    """A two-level network (a fifth of the earners at the top, each of the rest invited by one of
    them), one buyer, a product in two categories. Made with bulk inserts: set-up, not measured."""
    from django.db import connection, transaction
    from django.utils import timezone

    from fenxiao.accounts.models import User
    from fenxiao.catalog.models import Category, Product, Sku
    from fenxiao.distribution.models import DistributionSettings, Distributor, Level

    started = time.perf_counter()
    now = timezone.now()
    DistributionSettings.objects.get_or_create(pk=1)
    level = Level.objects.create(name="普通分销商", rank=1, direct_rate_bp=2000, indirect_rate_bp=500)
    tops = n_distributors // 5
    for part in chunks(range(n_distributors)):
        User.objects.bulk_create([User(username=f"d{i}", phone=f"13{i:09d}", password="!") for i in part])
    users = list(User.objects.order_by("pk").values_list("pk", flat=True))
    distributors = [
        Distributor(
            user_id=user_id,
            code=f"B{i:07d}",
            level=level,
            status="approved",
            applied_at=now,
            approved_at=now,
            status_changed_at=now,
        )
        for i, user_id in enumerate(users)
    ]
    for part in chunks(distributors):
        Distributor.objects.bulk_create(part)
    ids = list(Distributor.objects.order_by("pk").values_list("pk", flat=True))
    rng = random.Random(7)
    rows = []
    for i, pk in enumerate(ids):
        if i < tops:
            rows.append((None, f"/{pk}/", 0, pk))
        else:
            parent = ids[rng.randrange(tops)]
            rows.append((parent, f"/{parent}/{pk}/", 1, pk))
    table = connection.ops.quote_name(Distributor._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET inviter_id = %s, path = %s, depth = %s WHERE id = %s", rows)
    buyer = User.objects.create(username="buyer", phone="13900000000", password="!")
    category = Category.objects.create(name="美妆", slug="beauty")
    product = Product.objects.create(category=category, name="精华液", is_on_shelf=True)
    sku = Sku.objects.create(
        product=product, code="S1", spec="30ml", cost_fen=5000, retail_fen=15000, suggested_retail_fen=15000, control_fen=12900
    )
    print(f"\nset-up: {n_distributors:,} distributors in two levels ({time.perf_counter() - started:.1f} s)")
    return {"leaves": ids[tops:], "buyer": buyer, "sku": sku, "product": product, "category": category}


def make_orders(world: dict, n_orders: int, lines_per_order: int, *, status: str, with_lines=True):
    """Paid (or completed) orders credited to random leaf distributors, made with bulk inserts."""
    from django.utils import timezone

    from fenxiao.orders.models import Order, OrderLine

    now = timezone.now()
    rng = random.Random(n_orders)
    prefix = f"{status[:1].upper()}{rng.randrange(10**6):06d}"
    goods = 15000 * lines_per_order
    order_rows = [
        Order(
            number=f"{prefix}{i:012d}",
            user=world["buyer"],
            distributor_id=rng.choice(world["leaves"]),
            status=status,
            receiver="压测",
            receiver_phone="13800000000",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            address_detail="文三路 1 号",
            goods_fen=goods,
            total_fen=goods,
            paid_fen=goods,
            payment_provider="dev",
            paid_at=now,
            completed_at=now if status == "completed" else None,
            commissions_accrued_at=now if status == "completed" else None,
        )
        for i in range(n_orders)
    ]
    for part in chunks(order_rows, 5000):
        Order.objects.bulk_create(part)
    orders = list(Order.objects.filter(number__startswith=prefix).order_by("pk"))
    if with_lines:
        lines = [
            OrderLine(
                order=order,
                sku=world["sku"],
                product_id=world["product"].pk,
                category_id=world["category"].pk,
                product_name="精华液",
                sku_spec="30ml",
                unit_price_fen=15000,
                unit_cost_fen=5000,
                quantity=1,
                line_total_fen=15000,
                paid_fen=15000,
            )
            for order in orders
            for _ in range(lines_per_order)
        ]
        for part in chunks(lines):
            OrderLine.objects.bulk_create(part)
    return orders


def bench_posting(world: dict, n_orders: int, lines_per_order: int) -> dict:
    from django.db import connection, transaction

    from fenxiao.commissions.models import Commission
    from fenxiao.commissions.services import accrue_pending
    from fenxiao.ledger.models import Entry, Transaction

    make_orders(world, 50, lines_per_order, status="paid")
    accrue_pending()  # warm up; opens the platform accounts
    make_orders(world, n_orders, lines_per_order, status="paid")
    first_txn = Transaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    first_commission = Commission.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started, started_cpu = time.perf_counter(), time.process_time()
    accrued = accrue_pending()
    service_s, service_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    txns = list(
        Transaction.objects.filter(pk__gt=first_txn)
        .order_by("pk")
        .values_list("pk", "idempotency_key", "kind", "memo", "reference", "created_at")
    )
    entries = list(
        Entry.objects.filter(transaction_id__gt=first_txn)
        .order_by("pk")
        .values_list("transaction_id", "account_id", "side", "amount_fen", "created_at")
    )
    commission_columns = (
        "order_id",
        "order_line_id",
        "distributor_id",
        "depth",
        "base_fen",
        "source",
        "mode",
        "rate_bp",
        "fixed_fen",
        "uncapped_fen",
        "amount_fen",
        "status",
        "capped",
        "capped_note",
        "created_at",
    )
    commissions = list(Commission.objects.filter(pk__gt=first_commission).order_by("pk").values_list(*commission_columns))

    # The baseline writes the same rows into tables of the same shape, with executemany in one
    # database transaction: the ledger rows alone (as the accrual at payment was measured before),
    # then the ledger rows and the commission rows (everything the job writes).
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_txn (id bigint PRIMARY KEY, idempotency_key varchar(128) UNIQUE, kind varchar(32), "
            "memo varchar(200), reference varchar(64), created_at timestamp with time zone)"
        )
        cursor.execute(
            "CREATE TABLE bench_entry (id bigint PRIMARY KEY, transaction_id bigint REFERENCES bench_txn (id), "
            "account_id bigint, side varchar(6), amount_fen bigint, created_at timestamp with time zone)"
        )
        cursor.execute(
            "CREATE TABLE bench_commission (id bigint PRIMARY KEY, order_id bigint, order_line_id bigint, "
            "distributor_id bigint, depth smallint, base_fen bigint, source varchar(20), mode varchar(10), "
            "rate_bp integer, fixed_fen bigint, uncapped_fen bigint, amount_fen bigint, status varchar(16), "
            "capped boolean, capped_note varchar(200), created_at timestamp with time zone)"
        )

    def bare(with_commissions: bool) -> tuple[float, float]:
        started, started_cpu = time.perf_counter(), time.process_time()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_txn VALUES (%s, %s, %s, %s, %s, %s)",
                [(pk, f"b:{key}", kind, memo, ref, at) for pk, key, kind, memo, ref, at in txns],
            )
            cursor.executemany(
                "INSERT INTO bench_entry VALUES (%s, %s, %s, %s, %s, %s)", [(i, *row) for i, row in enumerate(entries)]
            )
            if with_commissions:
                cursor.executemany(
                    f"INSERT INTO bench_commission VALUES ({', '.join(['%s'] * 16)})",
                    [(i, *row) for i, row in enumerate(commissions)],
                )
        elapsed = time.perf_counter() - started, time.process_time() - started_cpu
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM bench_commission")
            cursor.execute("DELETE FROM bench_entry")
            cursor.execute("DELETE FROM bench_txn")
        return elapsed

    ledger_s, ledger_cpu = bare(with_commissions=False)
    all_s, all_cpu = bare(with_commissions=True)
    with connection.cursor() as cursor:
        for table in ("bench_commission", "bench_entry", "bench_txn"):
            cursor.execute(f"DROP TABLE {table}")

    print(
        f"\n1. accrual: {accrued:,} paid orders × {lines_per_order} lines, two earners each, by the accrual job "
        f"({len(commissions):,} commission rows, {len(txns):,} ledger transactions, {len(entries):,} entries)"
    )
    print(f"  {'path':<66}{'seconds':>10}")
    print(f"  {'bare SQL batch insert of the same ledger rows (1 tx, executemany)':<66}{ledger_s:>10.2f}")
    print(f"  {'bare SQL batch insert of the same ledger and commission rows':<66}{all_s:>10.2f}")
    print(f"  {'accrue_pending (claim, compute, commission rows, posting)':<66}{service_s:>10.2f}")
    print(
        f"  ratio service / bare: {service_s / ledger_s:.1f}× the ledger rows alone, {service_s / all_s:.1f}× every row; "
        f"{accrued / service_s:,.0f} orders/s"
    )
    print(
        f"  this process's CPU time: {service_cpu:.2f} s against {ledger_cpu:.2f} s and {all_cpu:.2f} s "
        f"({service_cpu / ledger_cpu:.1f}×, {service_cpu / all_cpu:.1f}×)"
    )
    return {
        "orders": accrued,
        "commissions": len(commissions),
        "transactions": len(txns),
        "entries": len(entries),
        "service_s": round(service_s, 3),
        "bare_ledger_rows_s": round(ledger_s, 3),
        "bare_all_rows_s": round(all_s, 3),
        "ratio": round(service_s / ledger_s, 2),
        "ratio_all_rows": round(service_s / all_s, 2),
        "cpu_ratio": round(service_cpu / ledger_cpu, 2),
        "cpu_ratio_all_rows": round(service_cpu / all_cpu, 2),
    }


def bench_settlement(world: dict, n_commissions: int) -> dict:
    """N pending, eligible commissions on completed orders (two per line: direct and indirect), with
    the earners' pending balances posted through the ledger; then one settlement batch."""
    from django.db import connection, transaction
    from django.db.models import Sum
    from django.utils import timezone

    from fenxiao.commissions.models import Commission
    from fenxiao.commissions.services import (
        EXPENSE_ACCOUNT,
        KIND_ACCRUE,
        available_account,
        ensure_distributor_accounts,
        pending_account,
        settlement,
        withdrawing_account,
    )
    from fenxiao.ledger import selectors as ledger_selectors
    from fenxiao.ledger import services as ledger
    from fenxiao.ledger.models import Account, AccountKind

    started = time.perf_counter()
    now = timezone.now()
    eligible = now - timedelta(days=10)
    if connection.vendor == "postgresql":
        insert_commissions_sql(world, n_commissions, now, eligible)
    else:
        insert_commissions_orm(world, n_commissions, eligible)
    per_earner = dict(
        Commission.objects.filter(status="pending", eligible_at__isnull=False)
        .order_by()
        .values("distributor_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("distributor_id", "total")
    )
    existing = set(Account.objects.values_list("code", flat=True))
    accounts = []
    for earner in per_earner:
        owner = {"owner_type": "distributor", "owner_id": earner}
        for code, negative in (
            (pending_account(earner), False),
            (available_account(earner), True),
            (withdrawing_account(earner), False),
        ):
            if code not in existing:
                accounts.append(Account(code=code, kind=AccountKind.LIABILITY, allow_negative=negative, **owner))
    for part in chunks(accounts):
        Account.objects.bulk_create(part)
    ensure_distributor_accounts([])  # the platform's accounts
    entries = [(EXPENSE_ACCOUNT, "debit", sum(per_earner.values()))]
    entries += [(pending_account(e), "credit", amount) for e, amount in sorted(per_earner.items())]
    ledger.post(idempotency_key="bench:accrue-all", kind=KIND_ACCRUE, entries=entries, memo="bench")
    pending = Commission.objects.filter(status="pending", eligible_at__isnull=False).count()
    print(
        f"\n2. settlement: {pending:,} pending commissions of {len(per_earner):,} earners "
        f"(set-up {time.perf_counter() - started:.1f} s)"
    )

    table = connection.ops.quote_name(Commission._meta.db_table)
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = 'settled', settled_at = %s WHERE status = 'pending' AND eligible_at < %s",
                [now, now],
            )
            bare_rows = cursor.rowcount
        bare_s = time.perf_counter() - started
        transaction.set_rollback(True)

    started = time.perf_counter()
    batch_row = settlement.run_settlement(now=now + timedelta(days=3))
    service_s = time.perf_counter() - started
    started = time.perf_counter()
    problems = list(ledger_selectors.violations())
    check_s = time.perf_counter() - started
    print(f"  {'path':<58}{'rows':>11}{'seconds':>10}")
    print(f"  {'bare SQL: one UPDATE of the same rows (rolled back)':<58}{bare_rows:>11,}{bare_s:>10.2f}")
    print(
        f"  {'run_settlement (batch row, UPDATE, one ledger transaction)':<58}{batch_row.commission_count:>11,}{service_s:>10.2f}"
    )
    print(
        f"  ratio service / bare: {service_s / bare_s:.1f}×; settled ¥{batch_row.amount_fen / 100:,.2f} to "
        f"{batch_row.distributor_count:,} earners"
    )
    print(f"  ledger_check afterwards: {len(problems)} violations in {check_s:.1f} s")
    return {
        "commissions": batch_row.commission_count,
        "earners": batch_row.distributor_count,
        "service_s": round(service_s, 2),
        "bare_sql_s": round(bare_s, 2),
        "ratio": round(service_s / bare_s, 2),
        "ledger_check_s": round(check_s, 2),
        "violations": len(problems),
    }


LINES_PER_ORDER = 5


def insert_commissions_sql(world: dict, n_commissions: int, now, eligible) -> None:
    """PostgreSQL: completed orders, their lines and two commissions per line (direct: the order's
    distributor; indirect: its inviter), each made by one INSERT … SELECT."""
    from django.db import connection, transaction

    n_orders = max(1, n_commissions // 2 // LINES_PER_ORDER)
    leaves = world["leaves"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO orders_order (number, user_id, distributor_id, is_self_purchase, status, receiver, receiver_phone, "
            "province, city, district, address_detail, note, goods_fen, discount_fen, shipping_fen, total_fen, paid_fen, "
            "refunded_fen, price_breakdown, payment_provider, tracking_company, tracking_number, created_at, paid_at, "
            "completed_at, commissions_accrued_at, cancel_reason) "
            "SELECT 'S' || lpad(g::text, 12, '0'), %s, (%s::bigint[])[1 + (g * 7919) %% %s], false, 'completed', '压测', "
            "'13800000000', '浙江省', '杭州市', '西湖区', '文三路 1 号', '', %s, 0, 0, %s, %s, 0, '{}', 'dev', '', '', %s, %s, %s, %s, '' "
            "FROM generate_series(1, %s) AS g",
            [
                world["buyer"].pk,
                leaves,
                len(leaves),
                15000 * LINES_PER_ORDER,
                15000 * LINES_PER_ORDER,
                15000 * LINES_PER_ORDER,
                now,
                now,
                eligible,
                now,
                n_orders,
            ],
        )
        cursor.execute(
            "INSERT INTO orders_orderline (order_id, sku_id, product_id, category_id, product_name, sku_spec, unit_price_fen, "
            "unit_cost_fen, quantity, line_total_fen, discount_fen, paid_fen, refunded_fen) "
            "SELECT o.id, %s, %s, %s, '精华液', '30ml', 15000, 5000, 1, 15000, 0, 15000, 0 "
            "FROM orders_order o CROSS JOIN generate_series(1, %s) WHERE o.number LIKE 'S%%'",
            [world["sku"].pk, world["product"].pk, world["category"].pk, LINES_PER_ORDER],
        )
        cursor.execute(
            "INSERT INTO commissions_commission (order_id, order_line_id, distributor_id, depth, base_fen, source, mode, "
            "rate_bp, uncapped_fen, amount_fen, cancelled_fen, clawed_back_fen, status, capped, capped_note, created_at, "
            "eligible_at) "
            "SELECT l.order_id, l.id, CASE WHEN x.depth = 1 THEN o.distributor_id ELSE d.inviter_id END, x.depth, 15000, "
            "'level', 'rate', x.rate, x.amount, x.amount, 0, 0, 'pending', false, '', %s, %s "
            "FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
            "JOIN distribution_distributor d ON d.id = o.distributor_id "
            "CROSS JOIN (VALUES (1, 2000, 3000), (2, 500, 750)) AS x (depth, rate, amount) WHERE o.number LIKE 'S%%'",
            [now, eligible],
        )
        cursor.execute("ANALYZE commissions_commission")


def insert_commissions_orm(world: dict, n_commissions: int, eligible) -> None:
    """SQLite: the same rows through bulk inserts."""
    from fenxiao.commissions.models import Commission
    from fenxiao.distribution.models import Distributor
    from fenxiao.orders.models import OrderLine

    orders = make_orders(world, max(1, n_commissions // 2 // LINES_PER_ORDER), LINES_PER_ORDER, status="completed")
    inviter_of = dict(Distributor.objects.filter(inviter__isnull=False).values_list("pk", "inviter_id"))
    distributor_of = {o.pk: o.distributor_id for o in orders}
    batch = []
    line_rows = OrderLine.objects.filter(order_id__in=list(distributor_of)).order_by("pk").values_list("pk", "order_id")
    for line_id, order_id in line_rows.iterator(chunk_size=CHUNK):
        direct = distributor_of[order_id]
        for depth, earner, amount in ((1, direct, 3000), (2, inviter_of[direct], 750)):
            batch.append(
                Commission(
                    order_id=order_id,
                    order_line_id=line_id,
                    distributor_id=earner,
                    depth=depth,
                    base_fen=15000,
                    source="level",
                    mode="rate",
                    rate_bp=2000 if depth == 1 else 500,
                    uncapped_fen=amount,
                    amount_fen=amount,
                    eligible_at=eligible,
                )
            )
        if len(batch) >= CHUNK:
            Commission.objects.bulk_create(batch)
            batch = []
    if batch:
        Commission.objects.bulk_create(batch)


if __name__ == "__main__":
    raise SystemExit(main())
