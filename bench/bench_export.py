"""Excel export of 100,000 orders as a console background job: seconds and peak memory, beside a
baseline measured in the same run on the same rows.

- **export job**: `console.jobs.services.start("export.orders", …)` for a staff member, then the job
  run exactly as the task worker runs it (`services.run`): the changelist rebuilt from the query
  string, the rows streamed with `iterator(chunk_size=2000)` into an XlsxWriter workbook in constant
  memory mode, the file kept in private storage, progress written on the way.
- **baseline**: the same rows and columns (orders with their first line, buyer and distributor code)
  written to CSV by the database itself: `COPY (SELECT …) TO STDOUT WITH CSV` on PostgreSQL, a bare
  cursor into `csv.writer` on SQLite. It is what reading the rows costs without Django or Excel.

Each is timed without memory tracing, then run again under `tracemalloc` for the peak of Python
allocations (tracing slows Python down, so it is never part of a time). The export is also run on a
fifth of the rows (a province filter): with streaming, its peak memory barely changes with the number of rows. The
process's maximum resident size (`ru_maxrss`) is printed too, though generation has raised it already.

    FENXIAO_TESTING=1 .venv/bin/python bench/bench_export.py [--orders 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

import benchlib
from benchlib import ROOT, BenchDatabase

CHUNK = 10_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders to export (default 100,000)")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--database", default="fenxiao_bench_export", help="PostgreSQL database to create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "export.json"))
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log
    os.environ["FENXIAO_CONSOLE_JOBS"] = "queue"
    sys.path.insert(0, str(ROOT))
    benchlib.BENCH_DB = args.database
    bench_db = BenchDatabase(keep=args.keep)
    where = bench_db.create()
    media = tempfile.mkdtemp(prefix="fenxiao-bench-media-")
    os.environ["FENXIAO_MEDIA_ROOT"] = str(Path(media) / "media")

    import django

    django.setup()
    try:
        return run(args, where)
    finally:
        bench_db.drop()
        import shutil

        shutil.rmtree(media, ignore_errors=True)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def generate(n: int, seed: int) -> None:
    import random

    from django.db import transaction
    from django.utils import timezone

    from fenxiao.accounts.models import User
    from fenxiao.catalog.models import Category, Product, Sku
    from fenxiao.distribution.models import Distributor, Level
    from fenxiao.orders.models import Order, OrderLine

    rng = random.Random(seed)
    level = Level.objects.order_by("rank").first() or Level.objects.create(
        name="普通", rank=1, direct_rate_bp=1000, indirect_rate_bp=500
    )
    category = Category.objects.create(name="茶具", slug="tea")
    skus = []
    for i in range(20):
        product = Product.objects.create(category=category, name=f"青花瓷杯 {i}")
        price = rng.randint(990, 99_900)
        skus.append(
            Sku.objects.create(
                product=product,
                code=f"BENCH-{i}",
                spec=f"规格{i}",
                retail_fen=price,
                cost_fen=500,
                suggested_retail_fen=price,
                control_fen=price,
            )
        )
    users = User.objects.bulk_create(User(username=f"buyer{i}", phone=f"139{i:08d}", password="!") for i in range(1000))
    sellers = User.objects.bulk_create(User(username=f"seller{i}", phone=f"138{i:08d}", password="!") for i in range(100))
    now = timezone.now()
    distributors = Distributor.objects.bulk_create(
        Distributor(
            user=u,
            code=f"D{i:05d}",
            level=level,
            status=Distributor.Status.APPROVED,
            path=f"/{i}/",
            depth=0,
            applied_at=now,
            approved_at=now,
            status_changed_at=now,
        )
        for i, u in enumerate(sellers)
    )
    statuses = [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED, Order.Status.RECEIVED]
    provinces = ["浙江省", "江苏省", "广东省", "上海市", "北京市"]
    start = timezone.now() - timedelta(days=90)
    for offset in range(0, n, CHUNK):
        orders, lines = [], []
        for i in range(offset, min(n, offset + CHUNK)):
            sku = skus[i % len(skus)]
            quantity = 1 + i % 3
            goods = sku.retail_fen * quantity
            paid_at = start + timedelta(seconds=i * 60)
            orders.append(
                Order(
                    number=f"BX{i:016d}",
                    user=users[i % len(users)],
                    distributor=distributors[i % len(distributors)] if i % 3 else None,
                    status=statuses[i % len(statuses)],
                    receiver="王小明",
                    receiver_phone="13812345678",
                    province=provinces[i % len(provinces)],
                    city="杭州市",
                    district="西湖区",
                    address_detail="文三路 100 号",
                    goods_fen=goods,
                    shipping_fen=1000,
                    total_fen=goods + 1000,
                    paid_fen=goods + 1000,
                    payment_provider="dev",
                    created_at=paid_at,
                    paid_at=paid_at,
                    commissions_accrued_at=paid_at,
                )
            )
        with transaction.atomic():
            Order.objects.bulk_create(orders, batch_size=2000)
            for i, order in enumerate(orders, start=offset):
                sku = skus[i % len(skus)]
                quantity = 1 + i % 3
                lines.append(
                    OrderLine(
                        order=order,
                        sku=sku,
                        product_id=sku.product_id,
                        category_id=category.pk,
                        product_name=sku.product.name,
                        sku_spec=sku.spec,
                        unit_price_fen=sku.retail_fen,
                        unit_cost_fen=sku.cost_fen,
                        quantity=quantity,
                        line_total_fen=sku.retail_fen * quantity,
                        paid_fen=sku.retail_fen * quantity,
                    )
                )
            OrderLine.objects.bulk_create(lines, batch_size=2000)
    # created_at is auto_now_add: set it like the orders' own history.
    Order.objects.update(created_at=models_f("paid_at"))


def models_f(name: str):
    from django.db.models import F

    return F(name)


BASELINE_SQL = """
SELECT o.number, o.status, l.product_name, l.quantity, o.goods_fen / 100.0, o.discount_fen / 100.0,
       o.shipping_fen / 100.0, o.total_fen / 100.0, o.paid_fen / 100.0, o.refunded_fen / 100.0,
       o.payment_provider, d.code, o.is_self_purchase, o.receiver, o.receiver_phone, o.province, o.city,
       o.district, o.address_detail, o.note, o.tracking_company, o.tracking_number, o.created_at,
       o.paid_at, o.shipped_at, o.received_at
FROM orders_order o
LEFT JOIN distribution_distributor d ON d.id = o.distributor_id
LEFT JOIN orders_orderline l ON l.order_id = o.id
ORDER BY o.id DESC
"""


def baseline(target: Path) -> int:
    from django.db import connection

    rows = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, open(target, "wb") as out:
            raw = cursor.cursor  # psycopg's own cursor
            with raw.copy(f"COPY ({BASELINE_SQL}) TO STDOUT WITH CSV HEADER") as copy:
                for block in copy:
                    out.write(block)
            rows = raw.rowcount
    else:
        with connection.cursor() as cursor, open(target, "w", newline="", encoding="utf-8") as out:
            cursor.execute(BASELINE_SQL)
            writer = csv.writer(out)
            while True:
                batch = cursor.fetchmany(2000)
                if not batch:
                    break
                writer.writerows(batch)
                rows += len(batch)
    return rows


def export_job(staff, query: str = "") -> tuple[int, Path]:
    from fenxiao.console.jobs import services
    from fenxiao.console.models import BackgroundJob

    job = services.start("export.orders", by=staff, params={"query": query})
    services.run(job.pk)
    job.refresh_from_db()
    if job.status != BackgroundJob.Status.SUCCEEDED:
        raise SystemExit(f"export failed: {job.error}")
    return job.done, Path(job.result_file.path)


def measure(label: str, work):
    """Seconds of one untraced run, then the tracemalloc peak of a second, traced run."""
    before = maxrss_mb()
    started = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - started
    rss_after = maxrss_mb()
    tracemalloc.start()
    work()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "what": label,
        "seconds": round(seconds, 2),
        "peak_python_mb": round(peak / 1024 / 1024, 1),
        "maxrss_mb_before": round(before, 1),
        "maxrss_mb_after": round(rss_after, 1),
    }, value


def run(args, where: str) -> int:
    from django.core.management import call_command
    from django.db import connection

    from fenxiao.accounts.models import User
    from fenxiao.orders.models import Order

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"bench_export: {where}; {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    started = time.perf_counter()
    generate(args.orders, args.seed)
    print(f"generated {Order.objects.count():,} orders in {time.perf_counter() - started:.1f} s")
    staff = User.objects.create(username="bench-operator", is_staff=True, is_superuser=True)

    # Warm-up: the URL configuration and the admin load once per worker process, not per export.
    export_job(staff, "q=nothing-matches")

    results = []
    with tempfile.TemporaryDirectory(prefix="fenxiao-bench-export-") as folder:
        base, rows = measure("baseline: database to CSV", lambda: baseline(Path(folder) / "orders.csv"))
        base["rows"] = rows
        base["file_mb"] = round((Path(folder) / "orders.csv").stat().st_size / 1024 / 1024, 1)
        results.append(base)

        job, (count, path) = measure("export job: orders to .xlsx", lambda: export_job(staff))
        job["rows"] = count
        job["file_mb"] = round(path.stat().st_size / 1024 / 1024, 1)
        results.append(job)

        # A fifth of the rows through a list filter: how much of the peak depends on the row count.
        small, (count, path) = measure("export job: a fifth (province filter)", lambda: export_job(staff, "province=浙江省"))
        small["rows"] = count
        small["file_mb"] = round(path.stat().st_size / 1024 / 1024, 1)
        results.append(small)

    width = max(len(r["what"]) for r in results)
    print(f"\n{'':{width}}  {'rows':>8}  {'seconds':>8}  {'rows/s':>8}  {'peak MB':>8}  {'file MB':>8}  {'× baseline':>10}")
    for r in results:
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0
        ratio = r["seconds"] / results[0]["seconds"] if results[0]["seconds"] else 0
        print(
            f"{r['what']:{width}}  {r['rows']:>8,}  {r['seconds']:>8.2f}  {rate:>8,.0f}  "
            f"{r['peak_python_mb']:>8.1f}  {r['file_mb']:>8.1f}  {ratio:>10.1f}"
        )
    print(f"\nmax resident size of the process: {maxrss_mb():.0f} MB (includes generation)")
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{connection.vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {"where": where, "orders": args.orders, "results": results}
        target.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"written {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
