"""拼团 parallel joins: 50 buyers pay at the same moment for seats in one group of 3 (the leader's
seat taken), once with the activity set to open a new group for a late payer (`new_group`) and once
set to refund in full (`refuse`). Exactly 2 of them may take the group's last seats; the rest open
groups of their own or are refunded, each exactly once. Prints the figures and fails (exit 1) when
a group is overfilled or a payer is lost or refunded twice.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FENXIAO_TESTING=1 .venv/bin/python bench/bench_group_join.py
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import timedelta

from benchlib import ROOT, BenchDatabase, percentile

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
    parser.add_argument("--joiners", type=int, default=50, help="buyers paying at once (default 50)")
    parser.add_argument("--size", type=int, default=3, help="group size (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("FENXIAO_TESTING", "1")
    os.environ.setdefault("FENXIAO_DEV_PAYMENTS", "1")
    sys.path.insert(0, str(ROOT))
    bench_db = BenchDatabase(keep=args.keep)
    if not bench_db.is_postgres:
        print("bench_group_join: parallel row locks need PostgreSQL; set DATABASE_URL=postgres://…")
        return 2
    where = bench_db.create()

    import django

    django.setup()
    try:
        return run(args, where)
    finally:
        bench_db.drop()


def run(args: argparse.Namespace, where: str) -> int:
    from django.core.management import call_command

    print(f"fenxiao group-join benchmark · {where} · {args.joiners} parallel payers, groups of {args.size}")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # catalogue saves bump the shop's page cache
    ok = True
    for when_full in ("new_group", "refuse"):
        ok = one_round(args, when_full) and ok
    return 0 if ok else 1


def one_round(args: argparse.Namespace, when_full: str) -> bool:
    from django.db import connection
    from django.utils import timezone

    from fenxiao.accounts.models import User
    from fenxiao.catalog.models import Category, Product
    from fenxiao.catalog.services import create_sku
    from fenxiao.common.errors import DomainError
    from fenxiao.inventory.services import receive_stock
    from fenxiao.orders import services
    from fenxiao.orders.models import Order
    from fenxiao.orders.services.activities import groups as group_orders
    from fenxiao.payments.models import Refund
    from fenxiao.promotions.models import ActivityOrder, Group, GroupBuy, GroupBuyItem, GroupMember

    now = timezone.now()
    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "压测"})
    product = Product.objects.create(category=category, name=f"拼团单品 {when_full}", is_on_shelf=True)
    sku = create_sku(product=product, code=f"GRP-{when_full}", cost_fen=5000, retail_fen=15000)
    receive_stock(sku_id=sku.pk, quantity=args.joiners + 10)
    activity = GroupBuy.objects.create(
        name=f"压测拼团 {when_full}",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        group_size=args.size,
        when_full=when_full,
    )
    item = GroupBuyItem.objects.create(activity=activity, sku=sku, price_fen=10500)
    prefix = f"grp-{when_full}-"
    User.objects.bulk_create(
        [
            User(username=f"{prefix}{i}", phone=f"13{'6' if when_full == 'refuse' else '5'}{i:08d}", password="!")
            for i in range(args.joiners + 1)
        ]
    )
    users = list(User.objects.filter(username__startswith=prefix).order_by("pk"))
    leader, joiners = users[0], users[1:]
    services.pay_with_dev_provider(
        user=leader, order_id=group_orders.place_group_order(user=leader, item_id=item.pk, address=ADDRESS).pk
    )
    group = Group.objects.get(activity=activity, leader=leader)
    orders = [group_orders.place_group_order(user=u, item_id=item.pk, group_id=group.pk, address=ADDRESS) for u in joiners]

    barrier = threading.Barrier(len(joiners))
    outcomes: list[str] = []
    seconds: list[float] = []
    lock = threading.Lock()

    def pay(user, order) -> None:
        try:
            barrier.wait(60)
            started = time.perf_counter()
            try:
                services.pay_with_dev_provider(user=user, order_id=order.pk)
                result = "paid"
            except DomainError as exc:
                result = str(exc.code)
            except Exception as exc:  # a database error is a finding, not a crash of the benchmark
                result = type(exc).__name__
            with lock:
                outcomes.append(result)
                seconds.append(time.perf_counter() - started)
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=pay, args=(u, o)) for u, o in zip(joiners, orders, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    wall = time.perf_counter() - started

    group.refresh_from_db()
    order_ids = [o.pk for o in orders]
    in_group = GroupMember.objects.filter(group=group).count()
    new_groups = Group.objects.filter(activity=activity).exclude(pk=group.pk)
    refunded = Order.objects.filter(pk__in=order_ids, status=Order.Status.CANCELLED).count()
    refunds = Refund.objects.filter(payment__reference__in=[str(i) for i in order_ids])
    refund_keys = list(refunds.values_list("payment__reference", flat=True))
    placed_nowhere = ActivityOrder.objects.filter(
        order_id__in=order_ids, group__isnull=True, state=ActivityOrder.State.PAID
    ).count()
    print(f"\nwhen_full={when_full}")
    print(f"  payments: {outcomes.count('paid')}/{len(joiners)} succeeded; other outcomes: {sorted(set(outcomes) - {'paid'})}")
    print(
        f"  wall {wall:.2f}s; per payment p50 {percentile(seconds, 50) * 1000:.0f} ms, p95 {percentile(seconds, 95) * 1000:.0f} ms"
    )
    print(f"  group #{group.pk}: {group.status}, members_count {group.members_count}, member rows {in_group} (size {group.size})")
    print(
        f"  new groups opened by late payers: {new_groups.count()} (one member each: {all(g.members_count == 1 for g in new_groups)})"
    )
    print(
        f"  refunded in full: {refunded} orders, {len(refund_keys)} refunds, duplicates {len(refund_keys) - len(set(refund_keys))}"
    )
    print(f"  paid orders left without a group: {placed_nowhere}")
    expected_late = len(joiners) - (args.size - 1)
    checks = [
        group.members_count == in_group == args.size,
        outcomes.count("paid") == len(joiners),
        len(refund_keys) == len(set(refund_keys)),
        placed_nowhere == 0,
    ]
    if when_full == "new_group":
        checks += [new_groups.count() == expected_late, refunded == 0]
    else:
        checks += [new_groups.count() == 0, refunded == expected_late == len(refund_keys)]
    print("  OK" if all(checks) else f"  FAILED: {checks}")
    return all(checks)


if __name__ == "__main__":
    raise SystemExit(main())
