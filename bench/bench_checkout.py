"""Hot-SKU checkout throughput: orders per second placed and paid on one SKU through the service
layer, next to the bare SQL of the same essential work (the conditional stock update plus the order
insert in one transaction), measured in the same run on the same database.

The payment path is the production one: the commissions of the paid orders are accrued by the task
queue once each payment commits (the enqueue is part of the measured path), and the accrual job is
then run once over all of them and timed on its own. `--profile` also prints the statements one
order costs and where the service path spends its time (cProfile).

    FENXIAO_TESTING=1 .venv/bin/python bench/bench_checkout.py [--orders 2000] [--profile]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_checkout.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from benchlib import ROOT, BenchDatabase

ADDRESS = {
    "receiver": "压测用户",
    "phone": "13800000000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 1 号",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders per path (default 2000)")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--profile", action="store_true", help="statements per order and the service path's hot spots")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "checkout.json"))
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    os.environ.setdefault("FENXIAO_DEV_PAYMENTS", "1")  # the benchmark pays with the development provider
    os.environ.setdefault("FENXIAO_COMMISSION_ACCRUAL", "queue")  # as in production: a worker accrues
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
    from django.db import connection, transaction
    from django.utils import timezone

    from fenxiao.accounts.models import User
    from fenxiao.catalog.models import Category, Product
    from fenxiao.catalog.services import create_sku
    from fenxiao.inventory.models import StockRecord
    from fenxiao.inventory.services import receive_stock
    from fenxiao.orders import services
    from fenxiao.orders.models import Order

    print(f"fenxiao checkout benchmark · {where}")
    call_command("migrate", verbosity=0)
    category = Category.objects.create(name="压测", slug="bench")
    product = Product.objects.create(category=category, name="热卖单品", is_on_shelf=True)
    sku = create_sku(product=product, code="HOT-1", cost_fen=5000, retail_fen=15000)
    receive_stock(sku_id=sku.pk, quantity=args.orders * 3 + 1000)
    User.objects.bulk_create([User(username=f"bench{i}", phone=f"137{i:08d}", password="!") for i in range(args.buyers)])
    buyers = list(User.objects.filter(username__startswith="bench").order_by("pk"))

    def service_path(i: int) -> None:
        user = buyers[i % len(buyers)]
        order = services.place_order(user=user, items=[(sku.pk, 1)], address=ADDRESS)
        services.pay_with_dev_provider(user=user, order_id=order.pk)

    stock_table = connection.ops.quote_name(StockRecord._meta.db_table)
    order_table = connection.ops.quote_name(Order._meta.db_table)
    reserve_sql = (
        f"UPDATE {stock_table} SET reserved = reserved + 1 WHERE sku_id = %s AND location = 'main' AND on_hand - reserved >= 1"
    )
    columns = (
        "number, user_id, is_self_purchase, status, receiver, receiver_phone, province, city, district, "
        "address_detail, note, goods_fen, discount_fen, shipping_fen, total_fen, paid_fen, refunded_fen, "
        "price_breakdown, payment_provider, tracking_company, tracking_number, created_at, cancel_reason"
    )
    insert_sql = f"INSERT INTO {order_table} ({columns}) VALUES ({', '.join(['%s'] * 23)})"

    def bare_path(i: int) -> None:
        user = buyers[i % len(buyers)]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(reserve_sql, [sku.pk])
            if cursor.rowcount != 1:
                raise RuntimeError("sold out in the baseline")
            cursor.execute(
                insert_sql,
                [
                    f"B{i:019d}",
                    user.pk,
                    False,
                    "paid",
                    "压测用户",
                    "13800000000",
                    "浙江省",
                    "杭州市",
                    "西湖区",
                    "文三路 1 号",
                    "",
                    15000,
                    0,
                    0,
                    15000,
                    15000,
                    0,
                    "{}",
                    "dev",
                    "",
                    "",
                    timezone.now(),
                    "",
                ],
            )

    def measure(paths: dict, n: int, rounds: int = 10) -> tuple[dict[str, float], dict[str, float]]:
        """Seconds each path takes for n orders, wall clock and this process's CPU, the paths taking
        turns in `rounds` slices so that a machine busy with something else slows both alike. On a
        shared machine the CPU figure is the steadier one (on SQLite it is all the work there is)."""
        for fn in paths.values():
            for i in range(min(50, n)):  # warm up
                fn(10_000_000 + i)
        spent = dict.fromkeys(paths, 0.0)
        cpu = dict.fromkeys(paths, 0.0)
        done = 0
        for r in range(rounds):
            size = n // rounds + (1 if r < n % rounds else 0)
            for name, fn in paths.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                for i in range(done, done + size):
                    fn(i)
                spent[name] += time.perf_counter() - start
                cpu[name] += time.process_time() - start_cpu
            done += size
        return spent, cpu

    spent, cpu = measure({"bare": bare_path, "service": service_path}, args.orders)
    bare_s, service_s = spent["bare"], spent["service"]
    bare_rate, service_rate = args.orders / bare_s, args.orders / service_s
    cpu_ratio = cpu["service"] / cpu["bare"]
    record = StockRecord.objects.get(sku=sku)
    paid = Order.objects.filter(status="paid", payment_id__isnull=False).count()
    print(f"\n{args.orders:,} orders on one hot SKU, one connection (the two paths take turns, ten slices each)")
    print(f"  {'path':<44}{'orders/s':>10}{'seconds':>10}")
    print(f"  {'bare SQL (conditional UPDATE + INSERT, 1 tx)':<44}{bare_rate:>10.1f}{bare_s:>10.2f}")
    print(f"  {'service layer (place_order + dev payment)':<44}{service_rate:>10.1f}{service_s:>10.2f}")
    print(
        f"  ratio bare / service: {bare_rate / service_rate:.1f}× (this process's CPU time: {cpu_ratio:.1f}×, "
        f"{cpu['bare'] * 1000 / args.orders:.2f} vs {cpu['service'] * 1000 / args.orders:.2f} ms per order)"
    )
    print(f"  check: {paid:,} paid orders through the services, stock reserved {record.reserved:,} of {record.on_hand:,}")
    try:
        from fenxiao.commissions.services import accrue_pending
    except ImportError:  # a version that accrued inside the payment
        accrued, accrual_s = 0, 0.0
    else:
        started = time.perf_counter()
        accrued = accrue_pending()
        accrual_s = time.perf_counter() - started
        print(f"  the accrual job afterwards: {accrued:,} orders in one run, {accrual_s:.2f} s")
    if args.profile:
        profile(service_path, buyers, sku)
    results = {
        "vendor": connection.vendor,
        "database": where,
        "python": platform.python_version(),
        "orders": args.orders,
        "bare_sql_orders_per_s": round(bare_rate, 1),
        "service_orders_per_s": round(service_rate, 1),
        "ratio": round(bare_rate / service_rate, 2),
        "cpu_ratio": round(cpu_ratio, 2),
        "accrual_orders": accrued,
        "accrual_s": round(accrual_s, 2),
    }
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{connection.vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def profile(service_path, buyers, sku) -> None:
    """The statements of one order (placing, then paying) and the service path's hot spots."""
    import cProfile
    import pstats
    import re
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fenxiao.orders import services

    def shape(sql: str) -> str:
        sql = sql.strip()
        if sql.upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            return sql.split('"')[0].strip() + " …"
        verb = sql.split()[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
        return f"{verb} {table.group(1) if table else ''}".strip()

    user = buyers[0]
    with CaptureQueriesContext(connection) as placed:
        order = services.place_order(user=user, items=[(sku.pk, 1)], address=ADDRESS)
    with CaptureQueriesContext(connection) as paid:
        services.pay_with_dev_provider(user=user, order_id=order.pk)
    for label, ctx in (("place_order", placed), ("pay_with_dev_provider", paid)):
        shapes = Counter(shape(q["sql"]) for q in ctx.captured_queries)
        savepoints = sum(n for s, n in shapes.items() if "SAVEPOINT" in s)
        print(f"\n  {label}: {len(ctx.captured_queries)} statements ({savepoints} savepoint markers)")
        for text, count in shapes.most_common():
            print(f"    {count:>3} × {text}")
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(300):
        service_path(20_000_000 + i)
    profiler.disable()
    print("\n  300 orders through the services, cProfile, top 25 by own time:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    print("\n  … and the project's own functions by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"fenxiao", 30)


if __name__ == "__main__":
    raise SystemExit(main())
