"""Orders split over fulfilment routes: placing and paying an order whose lines ship from 1, 3 and 10
routes (the platform warehouse and up to nine suppliers, each with stock at its own location), with 1
and 5 lines per route, through the service layer (`place_order` + the development payment).

For each shape it prints the statements one order costs (placing, paying, both; savepoint markers
and the commission task's enqueue left out) — the same with 1 or 5 lines per route — and the orders
per second, measured in the same run and interleaved with the single-route one-line order, so that
the ratio to it is the figure to compare between machines and databases.

    FENXIAO_TESTING=1 .venv/bin/python bench/bench_routes.py [--orders 300]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_routes.py
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
ROUTES = (1, 3, 10)
TASKS_TABLE = "django_tasks_database_dbtaskresult"
LINES_PER_ROUTE = (1, 5)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="orders per shape (default 300)")
    parser.add_argument("--buyers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="slices the shapes take turns in (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "routes.json"))
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


def build_world(args: argparse.Namespace) -> dict[int, list[int]]:
    """The platform and nine suppliers, each with five SKUs in stock at its own location (enough for
    every order of the run). Returns, per route index, the ids of its five SKUs."""
    from fenxiao.accounts.models import User
    from fenxiao.catalog.models import Category, Product
    from fenxiao.catalog.services import create_sku
    from fenxiao.inventory.models import MAIN_LOCATION
    from fenxiao.inventory.services import receive_stock
    from fenxiao.suppliers.models import supplier_location
    from fenxiao.suppliers.services import create_supplier

    category = Category.objects.create(name="压测", slug="bench")
    units = args.orders * len(ROUTES) * len(LINES_PER_ROUTE) * 2 + 1000
    routes: dict[int, list[int]] = {}
    for r in range(max(ROUTES)):
        if r == 0:
            supplier, location = None, MAIN_LOCATION
        else:
            user = User.objects.create(username=f"supplier{r}", phone=f"1360000{r:04d}", password="!")
            supplier = create_supplier(name=f"压测供应商{r}", user=user)
            location = supplier_location(supplier.pk)
        product = Product.objects.create(category=category, name=f"线路{r}商品", is_on_shelf=True, supplier=supplier)
        routes[r] = []
        for n in range(max(LINES_PER_ROUTE)):
            sku = create_sku(product=product, code=f"R{r:02d}-{n}", cost_fen=4000, retail_fen=10000)
            receive_stock(sku_id=sku.pk, quantity=units, location=location, batch_number=f"B{r:02d}{n}", note="压测")
            routes[r].append(sku.pk)
    User.objects.bulk_create([User(username=f"bench{i}", phone=f"137{i:08d}", password="!") for i in range(args.buyers)])
    return routes


def run(args: argparse.Namespace, where: str) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fenxiao.accounts.models import User
    from fenxiao.orders import services
    from fenxiao.orders.models import Order, Shipment

    print(f"fenxiao route benchmark · {where}")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # catalogue saves bump the shop's page cache
    routes = build_world(args)
    buyers = list(User.objects.filter(username__startswith="bench").order_by("pk"))
    shapes = [(r, n) for r in ROUTES for n in LINES_PER_ROUTE]

    def items(route_count: int, per_route: int) -> list[tuple[int, int]]:
        return [(sku_id, 1) for r in range(route_count) for sku_id in routes[r][:per_route]]

    def order_once(i: int, shape: tuple[int, int]) -> Order:
        user = buyers[i % len(buyers)]
        order = services.place_order(user=user, items=items(*shape), address=ADDRESS)
        services.pay_with_dev_provider(user=user, order_id=order.pk)
        return order

    def counted(ctx) -> int:
        """Statements, without savepoint markers and without the accrual task's enqueue (one per
        ACCRUAL_DELAY and process, whichever order's commit comes first: not a cost of the order)."""
        return sum(
            1
            for q in ctx.captured_queries
            if not q["sql"].lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) and TASKS_TABLE not in q["sql"]
        )

    # Warm up (the first paid order opens the ledger accounts), then count one order of each shape.
    for i, shape in enumerate(shapes * 3):
        order_once(10_000_000 + i, shape)
    statements: dict[tuple[int, int], tuple[int, int]] = {}
    for i, shape in enumerate(shapes):
        user = buyers[i % len(buyers)]
        with CaptureQueriesContext(connection) as placed:
            order = services.place_order(user=user, items=items(*shape), address=ADDRESS)
        with CaptureQueriesContext(connection) as paid:
            services.pay_with_dev_provider(user=user, order_id=order.pk)
        if Shipment.objects.filter(order=order).count() != shape[0]:
            raise SystemExit(f"bench: an order on {shape[0]} routes did not get {shape[0]} shipments")
        statements[shape] = (counted(placed), counted(paid))

    # Orders per second: the shapes take turns in slices, so that a busy machine slows all alike.
    spent = dict.fromkeys(shapes, 0.0)
    cpu = dict.fromkeys(shapes, 0.0)
    done = 0
    for r in range(args.rounds):
        size = args.orders // args.rounds + (1 if r < args.orders % args.rounds else 0)
        for shape in shapes:
            start, start_cpu = time.perf_counter(), time.process_time()
            for i in range(done, done + size):
                order_once(i, shape)
            spent[shape] += time.perf_counter() - start
            cpu[shape] += time.process_time() - start_cpu
        done += size

    base = (1, 1)
    base_rate = args.orders / spent[base]
    print(f"\n{args.orders:,} orders per shape, placed and paid through the services, one connection")
    print(
        f"  {'routes':>6} {'lines/route':>11} {'lines':>5} {'place':>6} {'pay':>4} {'total':>6} {'orders/s':>9} {'vs 1 route':>10} {'ms CPU':>7}"
    )
    rows = []
    for shape in shapes:
        r, n = shape
        place_q, pay_q = statements[shape]
        rate = args.orders / spent[shape]
        ms_cpu = cpu[shape] * 1000 / args.orders
        print(
            f"  {r:>6} {n:>11} {r * n:>5} {place_q:>6} {pay_q:>4} {place_q + pay_q:>6} {rate:>9.1f} {rate / base_rate:>9.2f}× {ms_cpu:>7.2f}"
        )
        rows.append(
            {
                "routes": r,
                "lines_per_route": n,
                "place_statements": place_q,
                "pay_statements": pay_q,
                "orders_per_s": round(rate, 1),
                "vs_single_route": round(rate / base_rate, 3),
                "cpu_ms_per_order": round(ms_cpu, 2),
            }
        )
    constant = all(statements[(r, 1)] == statements[(r, 5)] for r in ROUTES)
    print(f"  statements constant in the lines of a route (1 vs 5): {'yes' if constant else 'NO'}")
    per_route = (sum(statements[(10, 1)]) - sum(statements[(1, 1)])) / 9
    print(f"  statements each extra route adds: {per_route:.1f}")
    paid_orders = Order.objects.filter(status="paid").count()
    print(f"  check: {paid_orders:,} paid orders, {Shipment.objects.count():,} shipments")
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{connection.vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "vendor": connection.vendor,
            "database": where,
            "python": platform.python_version(),
            "orders_per_shape": args.orders,
            "constant_in_lines": constant,
            "statements_per_extra_route": per_route,
            "shapes": rows,
        }
        target.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if constant else 1


if __name__ == "__main__":
    raise SystemExit(main())
