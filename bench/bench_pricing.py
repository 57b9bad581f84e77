"""Cart pricing with 20 active promotions: milliseconds per quote (`orders.services.quote_items`, the
one price pipeline the cart, the quote API and checkout use) for carts of 1, 10 and 50 lines, beside
the same carts priced with no promotion running, and beside a bare SELECT of the 50 SKUs, all measured
in the same run on the same database, taking turns round after round.

The catalogue: 60 SKUs (5 categories × 6 products × 2 SKUs). The promotions, created through the
operator's services: 5 满减送 (one per category, three tiers each), 5 timed discounts (6 SKUs each),
5 quantity tier prices and 5 coupons, one of each held by the buyer. "None" is the same SKUs and the
same carts with the 满减送 and the timed discounts paused, the tier prices removed (they have no
switch) and a second buyer who holds no coupon; the switch happens between the timed slices.

    FENXIAO_TESTING=1 .venv/bin/python bench/bench_pricing.py [--rounds 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_pricing.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import benchlib
from benchlib import ROOT, BenchDatabase, percentile

CATEGORIES = 5
PRODUCTS_PER_CATEGORY = 6
SKUS_PER_PRODUCT = 2
CART_SIZES = (1, 10, 50)
TIER_MIN_QUANTITY = 3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="timed quotes per cart size and setup (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds first (default 10)")
    parser.add_argument("--database", default="fenxiao_bench_pricing", help="PostgreSQL database to create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--profile", action="store_true", help="where a quote of each cart size spends its time (cProfile)")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "pricing.json"))
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


class World:
    """The catalogue, the two buyers, the promotions and the switch that turns them off and on."""

    def __init__(self) -> None:
        from django.utils import timezone

        from fenxiao.accounts.models import User
        from fenxiao.catalog.models import Category, Product
        from fenxiao.catalog.services import create_sku
        from fenxiao.promotions.services import coupons, rules

        now = timezone.now()
        starts, ends = now - timedelta(hours=1), now + timedelta(days=30)
        self.operator = User.objects.create(username="bench-operator", phone="13900000000", password="!", is_staff=True)
        self.buyer = User.objects.create(username="bench-buyer", phone="13900000001", password="!")
        self.plain_buyer = User.objects.create(username="bench-plain", phone="13900000002", password="!")

        self.categories = [
            Category.objects.create(name=f"压测类目{c}", slug=f"bench-{c}", sort_order=c) for c in range(CATEGORIES)
        ]
        # by_category[c][p] = the SKUs of product p of category c
        self.by_category: list[list[list]] = []
        self.products: list[list] = []
        for c, category in enumerate(self.categories):
            rows, products = [], []
            for p in range(PRODUCTS_PER_CATEGORY):
                product = Product.objects.create(category=category, name=f"压测商品{c}-{p}", is_on_shelf=True)
                products.append(product)
                skus = []
                for s in range(SKUS_PER_PRODUCT):
                    retail = 1990 + 1000 * p + 500 * s + 300 * c  # ¥19.90 … ¥79.40
                    skus.append(
                        create_sku(
                            product=product,
                            code=f"PR-{c}-{p}-{s}",
                            spec=f"规格{s}",
                            cost_fen=retail // 2,
                            retail_fen=retail,
                            weight_g=200 + 50 * s,
                        )
                    )
                rows.append(skus)
            self.by_category.append(rows)
            self.products.append(products)

        # Carts: the n first of the SKUs taken category by category in turn, so every cart size
        # touches each category's promotions as soon as it has five lines.
        order = [
            self.by_category[c][p][s]
            for p in range(PRODUCTS_PER_CATEGORY)
            for s in range(SKUS_PER_PRODUCT)
            for c in range(CATEGORIES)
        ]
        self.tier_skus = [self.by_category[c][2][0] for c in range(CATEGORIES)]
        tier_ids = {sku.pk for sku in self.tier_skus}
        self.cart_skus = order[: max(CART_SIZES)]
        self.quantities = {sku.pk: TIER_MIN_QUANTITY if sku.pk in tier_ids else 1 + i % 2 for i, sku in enumerate(self.cart_skus)}
        # The one-line cart: a SKU with a timed discount and a tier price, so it runs through both.
        self.cart_skus.remove(self.tier_skus[0])
        self.cart_skus.insert(0, self.tier_skus[0])

        # 5 满减送, one per category: three amount tiers (the last ships free); the fifth counts items.
        self.reductions = []
        for c, category in enumerate(self.categories):
            if c < CATEGORIES - 1:
                values = {"basis": "amount"}
                tiers = [
                    {"threshold": 9900, "amount_off_fen": 1000},
                    {"threshold": 19900, "amount_off_fen": 2500},
                    {"threshold": 39900, "amount_off_fen": 6000, "free_shipping": True},
                ]
            else:
                values = {"basis": "count"}
                tiers = [
                    {"threshold": 3, "amount_off_fen": 500},
                    {"threshold": 6, "amount_off_fen": 1500},
                    {"threshold": 10, "amount_off_fen": 3000},
                ]
            self.reductions.append(
                rules.save_full_reduction(
                    actor=self.operator,
                    tiers=tiers,
                    categories=[category],
                    name=f"满减{c}",
                    scope="categories",
                    starts_at=starts,
                    ends_at=ends,
                    **values,
                )
            )
        # 5 timed discounts: the SKUs of the first three products of each category, 15 % or ¥3 off.
        self.timed = []
        for c in range(CATEGORIES):
            items = [
                {"sku_id": sku.pk, "mode": "percent", "percent_off_bp": 1500}
                if c % 2 == 0
                else {"sku_id": sku.pk, "mode": "amount", "amount_off_fen": 300}
                for p in range(3)
                for sku in self.by_category[c][p]
            ]
            self.timed.append(
                rules.save_timed_discount(actor=self.operator, items=items, name=f"限时{c}", starts_at=starts, ends_at=ends)
            )
        # 5 tier prices: at least 3 of the SKU, 5 % off what it costs after the timed discount.
        for sku in self.tier_skus:
            rules.save_quantity_tier(actor=self.operator, sku_id=sku.pk, min_quantity=TIER_MIN_QUANTITY, percent_off_bp=500)
        self.tier_specs = [(sku.pk, TIER_MIN_QUANTITY, 500) for sku in self.tier_skus]
        # 5 coupons, the buyer claims one of each; checkout picks the best usable one.
        coupon_specs = [
            {"name": "全场满199减20", "scope": "all", "kind": "amount", "amount_fen": 2000, "threshold_fen": 19900},
            {
                "name": "两类目9折",
                "scope": "categories",
                "kind": "percent",
                "percent_off_bp": 1000,
                "cap_fen": 3000,
                "threshold_fen": 10000,
                "categories": self.categories[:2],
            },
            {
                "name": "指定商品满50减15",
                "scope": "products",
                "kind": "amount",
                "amount_fen": 1500,
                "threshold_fen": 5000,
                "products": self.products[2],
            },
            {"name": "全场满999减50", "scope": "all", "kind": "amount", "amount_fen": 5000, "threshold_fen": 99900},
            {
                "name": "类目8折",
                "scope": "categories",
                "kind": "percent",
                "percent_off_bp": 2000,
                "threshold_fen": 0,
                "categories": self.categories[4:],
            },
        ]
        for spec in coupon_specs:
            coupon = rules.save_coupon(
                actor=self.operator,
                validity="dates",
                valid_from=starts,
                valid_until=ends,
                total_quantity=100,
                per_person_limit=1,
                **spec,
            )
            coupons.claim(user=self.buyer, coupon_id=coupon.pk)
        self.running = True

    def cart(self, n: int) -> list[tuple[int, int]]:
        return [(sku.pk, self.quantities[sku.pk]) for sku in self.cart_skus[:n]]

    def switch(self, on: bool) -> None:
        """Promotions running or not, outside the timed slices: the 满减送 and timed discounts paused
        or active again, the tier prices removed or put back."""
        from fenxiao.promotions.models import FullReduction, QuantityTier, RunStatus, TimedDiscount

        if on == self.running:
            return
        status = RunStatus.ACTIVE if on else RunStatus.PAUSED
        FullReduction.objects.filter(pk__in=[r.pk for r in self.reductions]).update(status=status)
        TimedDiscount.objects.filter(pk__in=[t.pk for t in self.timed]).update(status=status)
        if on:
            QuantityTier.objects.bulk_create(
                QuantityTier(sku_id=sku_id, min_quantity=q, percent_off_bp=bp) for sku_id, q, bp in self.tier_specs
            )
        else:
            QuantityTier.objects.filter(sku_id__in=[spec[0] for spec in self.tier_specs]).delete()
        self.running = on


def run(args: argparse.Namespace, where: str) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fenxiao.catalog.models import Sku
    from fenxiao.common.money import yuan
    from fenxiao.orders.services import quote_items

    print(f"fenxiao pricing benchmark · {where} · {os.cpu_count()} CPUs")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # catalogue saves bump the shop's page cache
    started = time.perf_counter()
    world = World()
    print(f"seeded in {time.perf_counter() - started:.1f} s: {len(world.cart_skus)} cart SKUs of 60, 20 promotions")

    setups = {"promotions": (True, world.buyer), "none": (False, world.plain_buyer)}
    sku_table = connection.ops.quote_name(Sku._meta.db_table)
    baseline_ids = [sku.pk for sku in world.cart_skus[: max(CART_SIZES)]]
    baseline_sql = (
        f"SELECT id, product_id, code, retail_fen, cost_fen, weight_g, is_active FROM {sku_table} "
        f"WHERE id IN ({', '.join(['%s'] * len(baseline_ids))})"
    )

    def baseline() -> None:
        with connection.cursor() as cursor:
            cursor.execute(baseline_sql, baseline_ids)
            if len(cursor.fetchall()) != len(baseline_ids):
                raise RuntimeError("baseline: SKUs missing")

    # What each setup prices and how many queries a quote costs.
    queries: dict[str, dict[int, int]] = {}
    checks: dict[str, dict] = {}
    for name, (on, user) in setups.items():
        world.switch(on)
        quote_items(user=user, items=world.cart(1))  # what a process reads once is not a quote's cost
        queries[name] = {}
        for n in CART_SIZES:
            with CaptureQueriesContext(connection) as ctx:
                _skus, quote = quote_items(user=user, items=world.cart(n))
            queries[name][n] = len(ctx.captured_queries)
            if n == max(CART_SIZES):
                checks[name] = {
                    "goods_fen": quote.goods_fen,
                    "discount_fen": quote.discount_fen,
                    "stages": {s["stage"]: 0 for s in quote.stage_totals()},
                    "coupon": quote.user_coupon_id is not None,
                }
                for s in quote.stage_totals():
                    checks[name]["stages"][s["stage"]] += s["amount_fen"]

    timings: dict[tuple[str, int], list[float]] = {(name, n): [] for name in setups for n in CART_SIZES}
    base_times: list[float] = []
    for r in range(args.warmup + args.rounds):
        timed = r >= args.warmup
        for name, (on, user) in setups.items():
            world.switch(on)
            for n in CART_SIZES:
                items = world.cart(n)
                start = time.perf_counter()
                quote_items(user=user, items=items)
                spent = time.perf_counter() - start
                if timed:
                    timings[(name, n)].append(spent * 1000)
        start = time.perf_counter()
        baseline()
        spent = time.perf_counter() - start
        if timed:
            base_times.append(spent * 1000)

    base_p50 = statistics.median(base_times)
    print(f"\n{args.rounds} rounds, the setups and the baseline taking turns in each round; ms per call")
    print(f"  {'cart':<10}{'setup':<22}{'p50':>9}{'p95':>9}{'× none':>9}{'× bare':>9}{'queries':>9}")
    results_rows = []
    for n in CART_SIZES:
        none_p50 = statistics.median(timings[("none", n)])
        for name in setups:
            values = timings[(name, n)]
            p50, p95 = statistics.median(values), percentile(values, 95)
            label = "20 promotions" if name == "promotions" else "none"
            cart = f"{n} line{'s' if n > 1 else ''}"
            print(
                f"  {cart:<10}{label:<22}{p50:>9.2f}{p95:>9.2f}{p50 / none_p50:>8.2f}×{p50 / base_p50:>8.1f}×"
                f"{queries[name][n]:>9}"
            )
            results_rows.append(
                {"lines": n, "setup": name, "p50_ms": round(p50, 3), "p95_ms": round(p95, 3), "queries": queries[name][n]}
            )
    print(
        f"  {'baseline':<10}{'bare SELECT, 50 SKUs':<22}{base_p50:>9.2f}{percentile(base_times, 95):>9.2f}"
        f"{'':>9}{1.0:>8.1f}×{1:>9}"
    )
    for name, check in checks.items():
        stages = ", ".join(f"{stage} {yuan(fen)}" for stage, fen in check["stages"].items()) or "nothing"
        print(f"  check, {name}, 50 lines: goods ¥{yuan(check['goods_fen'])}, off ¥{yuan(check['discount_fen'])} ({stages})")

    failures = []
    for name, counts in queries.items():
        if len(set(counts.values())) != 1:
            failures.append(f"{name}: the queries per quote grow with the lines {counts}")
    expected = {"timed", "tier", "full_reduction", "coupon"}
    if not expected <= set(checks["promotions"]["stages"]) or not checks["promotions"]["coupon"]:
        failures.append(f"with promotions the 50-line cart should use every stage, used {sorted(checks['promotions']['stages'])}")
    if checks["none"]["discount_fen"]:
        failures.append("with none running the 50-line cart got a discount")
    for failure in failures:
        print(f"  FAILED: {failure}")
    if args.profile:
        profile(world, quote_items)

    results = {
        "vendor": connection.vendor,
        "database": where,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "rows": results_rows,
        "baseline_p50_ms": round(base_p50, 3),
        "baseline_p95_ms": round(percentile(base_times, 95), 3),
        "checks": checks,
    }
    if args.json:
        target = Path(args.json)
        target = target.with_name(f"{target.stem}-{connection.vendor}{target.suffix or '.json'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if failures else 0


def profile(world: World, quote_items) -> None:
    """100 quotes of each cart size with the promotions running: the project's functions by
    cumulative time, and the top functions by own time."""
    import cProfile
    import pstats

    world.switch(True)
    for n in CART_SIZES:
        items = world.cart(n)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(100):
            quote_items(user=world.buyer, items=items)
        profiler.disable()
        print(f"\n  100 quotes of {n} line(s) with 20 promotions, cProfile, the project's functions by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"fenxiao", 15)
        print("  … and the top 15 by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    raise SystemExit(main())
