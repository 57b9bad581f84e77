"""Demo orders for seed_demo: about 200 orders spread over every state, made through the order
services exactly as buyers and operators would make them. Safe to run again: orders already made
(recognised by their note) are not made twice."""

from __future__ import annotations

import random
from datetime import timedelta

from django.test.utils import override_settings
from django.utils import timezone

from fenxiao.catalog.models import Sku
from fenxiao.commissions import services as commissions
from fenxiao.common.errors import DomainError
from fenxiao.members.models import MemberSpend
from fenxiao.orders import services
from fenxiao.orders.models import Order, OrderEvent

NOTE = "演示订单"
CITIES = [
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("上海市", "上海市", "浦东新区"),
    ("北京市", "北京市", "朝阳区"),
    ("四川省", "成都市", "武侯区"),
    ("江苏省", "南京市", "鼓楼区"),
]
# state → how many orders end in it
PLAN = [
    ("pending_payment", 20),
    ("cancelled_unpaid", 12),
    ("cancelled_paid", 8),
    ("paid", 30),
    ("shipped", 40),
    ("received", 30),
    ("completed", 60),
]


def make_demo_shopping(*, consumers, tree, operator) -> int:
    """About 200 orders in every state by the consumers and a few distributors buying for themselves,
    paid with the development provider (demo money only). Returns how many orders were made."""
    buyers = consumers + [d.user for d in tree[:6]]
    skus = list(Sku.objects.filter(is_active=True, product__is_on_shelf=True).order_by("pk"))
    with override_settings(FENXIAO_DEV_PAYMENTS=True):
        return make_demo_orders(buyers=buyers, skus=skus, operator=operator)


def make_demo_orders(*, buyers, skus, operator, seed: int = 2026) -> int:
    """Returns how many orders were made this time."""
    if Order.objects.filter(note__startswith=NOTE).exists():
        return 0
    rng = random.Random(seed)
    made: dict[str, list[Order]] = {state: [] for state, _n in PLAN}
    serial = 0
    for state, count in PLAN:
        for _ in range(count):
            serial += 1
            buyer = rng.choice(buyers)
            province, city, district = rng.choice(CITIES)
            picks = rng.sample(skus, rng.choice([1, 1, 1, 2, 2, 3]))
            try:
                order = services.place_order(
                    user=buyer,
                    items=[(sku.pk, rng.choice([1, 1, 2])) for sku in picks],
                    address={
                        "receiver": buyer.nickname[:8] or "顾客",
                        "phone": buyer.phone,
                        "province": province,
                        "city": city,
                        "district": district,
                        "detail": f"幸福路 {rng.randint(1, 999)} 号 {rng.randint(1, 30)} 栋 {rng.randint(101, 2802)} 室",
                    },
                    note=f"{NOTE} #{serial}",
                )
            except DomainError:
                continue  # a SKU ran out: fewer demo orders, never an oversold one
            made[state].append(order)

    for state, orders in made.items():
        for order in orders:
            if state not in ("pending_payment", "cancelled_unpaid"):
                services.pay_with_dev_provider(user=order.user, order_id=order.pk)
    commissions.accrue_pending()  # what the accrual job does once the payments have committed
    for order in made["cancelled_unpaid"]:
        services.cancel_order(order_id=order.pk, actor=order.user, reason="不想要了")
    for order in made["cancelled_paid"]:
        services.cancel_order(order_id=order.pk, actor=order.user, reason="拍错了规格")

    couriers = ["顺丰速运", "中通快递", "圆通速递", "京东物流"]

    def ship(order: Order) -> None:
        services.ship_order(
            order_id=order.pk,
            actor=operator,
            tracking_company=rng.choice(couriers),
            tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}",
        )

    # completed: shipped, received automatically, after-sales window over
    for order in made["completed"]:
        ship(order)
    now = timezone.now()
    services.auto_receive_orders(now=now + timedelta(days=11))
    services.complete_orders(now=now + timedelta(days=19))
    _backdate(made["completed"], now=now, rng=rng)
    # Their commissions are settled at once (an operator's early settlement), so the demo has
    # withdrawable balances today; one late complaint is refunded after settlement (a clawback).
    for order in made["completed"]:
        commissions.settle_order(Order.objects.get(pk=order.pk))
    for order in made["completed"][:1]:
        line = order.lines.order_by("id").first()
        services.operator_refund_line(
            line_id=line.pk, amount_fen=max(1, line.paid_fen // 2), actor=operator, reason="收货后发现瑕疵，客服补偿一半货款"
        )
    # received: the buyer confirms; a few ask for after-sales
    for index, order in enumerate(made["received"]):
        ship(order)
        services.confirm_receipt(order_id=order.pk, user=order.user)
        line = order.lines.order_by("id").first()
        if index % 5 == 0:
            a = services.request_aftersale(
                user=order.user,
                line_id=line.pk,
                kind="refund_only",
                amount_fen=max(1, line.paid_fen // 5),
                reason="包装有破损，申请部分退款",
            )
            services.review_aftersale(aftersale_id=a.pk, actor=operator, approve=True)
        elif index % 5 == 1:
            services.request_aftersale(
                user=order.user,
                line_id=line.pk,
                kind="return_refund",
                amount_fen=line.paid_fen,
                quantity=line.quantity,
                reason="尺码不合适，申请退货",
            )
    for order in made["shipped"]:
        ship(order)
    return sum(len(v) for v in made.values())


def _backdate(orders: list[Order], *, now, rng: random.Random) -> None:
    """Sample history: the completed orders are moved back in time as a whole (placed, paid, shipped,
    received, completed, and their event rows), so their completions fall over the last eight weeks,
    before today, instead of 19 days ahead. This month's and last month's sales figures, leaderboards
    and level progress then have something to show whatever the day of the month."""
    timestamps = ("created_at", "expires_at", "paid_at", "shipped_at", "received_at", "completed_at")
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]).exclude(completed_at=None):
        target = now - timedelta(minutes=rng.randint(60, 56 * 24 * 60))
        shift = order.completed_at - target
        Order.objects.filter(pk=order.pk).update(
            **{name: getattr(order, name) - shift for name in timestamps if getattr(order, name) is not None}
        )
        for event in OrderEvent.objects.filter(order=order):
            OrderEvent.objects.filter(pk=event.pk).update(created_at=event.created_at - shift)
        # the spending its completion counted for the buyer's member tier moves with it
        for spend in MemberSpend.objects.filter(reference=services.reservation_reference(order.pk)):
            MemberSpend.objects.filter(pk=spend.pk).update(at=spend.at - shift)
