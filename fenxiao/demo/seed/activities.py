"""Demo marketing activities: today's flash sales (one slot running now, one starting after it, one in
the evening), a 3-person group buy at 70 % of the price for 24 hours with one group opened by its
leader (a paid order waiting for two more), and a bargain down to ¥9.9 in 3 helps that the demo
consumer has started and one friend has helped.

Everything goes through the activities services and, for the leader's order, the orders' 拼团
service. Safe to run again: the activities are looked up by name, the group by its leader and the
bargain by its starter."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from fenxiao.accounts.models import User
from fenxiao.catalog.models import Sku
from fenxiao.common.errors import DomainError
from fenxiao.orders import services as orders
from fenxiao.orders.services.activities import groups as group_orders
from fenxiao.promotions.models import Bargain, BargainActivity, FlashSale, GroupBuy, GroupMember
from fenxiao.promotions.services import activities, bargains, flash

from .people import DEMO_CONSUMER_PHONE
from .promotions import ADDRESS

FLASH_PREFIX = "今日秒杀"
# slot name, hours from the current hour to its start, length in hours, [(SKU code, price ¥ in fen, units, per person)]
FLASH_SLOTS = [
    ("今日秒杀 · 正在疯抢", -1, 3, [("BA008-1", 2990, 50, 2), ("FO012-1", 3200, 30, 2)]),
    ("今日秒杀 · 即将开抢", 2, 2, [("FO015-1", 6900, 40, 1), ("AP020-1", 4500, 30, 1)]),
    ("今日秒杀 · 晚间场", 5, 2, [("BE003-1", 5900, 30, 1)]),
]
GROUP_NAME = "三人拼团 7 折"
GROUP_SKUS = ("AP016-1", "BA006-1")  # 纯棉短袖 T 恤, 婴儿纸尿裤
GROUP_LEADER_PHONE = "13900000002"
BARGAIN_NAME = "砍到 ¥9.9 · 烟酰胺美白面膜"
BARGAIN_SKU = "BE003-1"
BARGAIN_HELPER_PHONE = "13900000003"
SHARE_TEXT = "好价限时，和朋友一起来"


def make_demo_activities() -> int:
    """All of the above; returns how many things were made this time (0 on a second run)."""
    operator = User.objects.filter(is_superuser=True).order_by("pk").first()
    made = make_demo_flash_sales(operator)
    made += make_demo_group_buy(operator)
    made += make_demo_bargain(operator)
    return made


def _skus(codes) -> dict[str, Sku]:
    return {sku.code: sku for sku in Sku.objects.filter(code__in=list(codes))}


def make_demo_flash_sales(operator) -> int:
    if FlashSale.objects.filter(name__startswith=FLASH_PREFIX).exists():
        return 0
    skus = _skus(code for *_, items in FLASH_SLOTS for code, *_rest in items)
    hour = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    made = 0
    for name, start, length, items in FLASH_SLOTS:
        rows = [
            {"sku_id": skus[code].pk, "price_fen": price, "quantity": units, "per_person_limit": limit, "per_order_limit": 1}
            for code, price, units, limit in items
            if code in skus
        ]
        if not rows:
            continue
        activities.save_flash_sale(
            actor=operator,
            name=name,
            starts_at=hour + timedelta(hours=start),
            ends_at=hour + timedelta(hours=start + length),
            unpaid_timeout_minutes=5,
            share_text="整点秒杀，手慢无",
            items=rows,
        )
        made += 1
    flash.start_due_flash_sales()  # the running slot's units move in now (the job does it every minute)
    return made


def make_demo_group_buy(operator) -> int:
    made = 0
    activity = GroupBuy.objects.filter(name=GROUP_NAME).first()
    if activity is None:
        skus = _skus(GROUP_SKUS)
        now = timezone.now()
        activity = activities.save_group_buy(
            actor=operator,
            name=GROUP_NAME,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=30),
            group_size=3,
            hours=24,
            share_text=SHARE_TEXT,
            items=[
                {"sku_id": skus[code].pk, "price_fen": skus[code].retail_fen * 7 // 10} for code in GROUP_SKUS if code in skus
            ],
        )
        made += 1
    leader = User.objects.filter(phone=GROUP_LEADER_PHONE).first()
    item = activity.items.order_by("pk").first()
    if leader is None or item is None or GroupMember.objects.filter(group__activity=activity, user=leader).exists():
        return made
    try:
        order = group_orders.place_group_order(user=leader, item_id=item.pk, address=dict(ADDRESS), note="演示：拼团开团")
        orders.pay_with_dev_provider(user=leader, order_id=order.pk)
    except DomainError:  # e.g. the SKU is out of stock: the activity stays without a group
        return made
    return made + 1


def make_demo_bargain(operator) -> int:
    made = 0
    activity = BargainActivity.objects.filter(name=BARGAIN_NAME).first()
    sku = Sku.objects.filter(code=BARGAIN_SKU).first()
    if activity is None and sku is not None:
        now = timezone.now()
        activity = activities.save_bargain_activity(
            actor=operator,
            name=BARGAIN_NAME,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=30),
            sku_id=sku.pk,
            start_price_fen=sku.retail_fen,
            floor_price_fen=990,
            helps_needed=3,
            hours=48,
            share_text="帮我砍一刀，一起把价格砍下来",
        )
        made += 1
    starter = User.objects.filter(phone=DEMO_CONSUMER_PHONE).first()
    helper = User.objects.filter(phone=BARGAIN_HELPER_PHONE).first()
    if activity is None or starter is None or Bargain.objects.filter(activity=activity, user=starter).exists():
        return made
    with transaction.atomic():
        bargain = bargains.start(user=starter, activity_id=activity.pk)
        if helper is not None:
            bargains.help_bargain(bargain_id=bargain.pk, user=helper)
    return made + 1
