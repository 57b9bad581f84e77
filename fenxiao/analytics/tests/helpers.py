"""Test data for the analytics tests: orders written directly in their final state."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from fenxiao.orders.models import Order, OrderLine
from tests.factories import SkuFactory, UserFactory

_numbers = itertools.count(1)


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


def sale(distributor, paid_fen, *, completed_at, refunded_fen=0, status=Order.Status.COMPLETED, buyer=None, sku=None, lines=1):
    """An order credited to `distributor` (may be None), bought by `buyer` (default: a new user)."""
    sku = sku or SkuFactory()
    n = next(_numbers)
    order = Order.objects.create(
        number=f"AN{n:010d}", user=buyer or UserFactory(), distributor=distributor, status=status,
        receiver="王小明", receiver_phone="13812345678", province="浙江省", city="杭州市", district="西湖区",
        address_detail="文三路 100 号", goods_fen=paid_fen * lines, shipping_fen=1000, total_fen=paid_fen * lines + 1000,
        paid_fen=paid_fen * lines + 1000, refunded_fen=refunded_fen * lines,
        paid_at=completed_at - timedelta(days=12),
        completed_at=completed_at if status == Order.Status.COMPLETED else None,
    )
    for _ in range(lines):
        OrderLine.objects.create(
            order=order, sku=sku, product_id=sku.product_id, category_id=sku.product.category_id, product_name="商品",
            unit_price_fen=paid_fen, unit_cost_fen=1000, quantity=1, line_total_fen=paid_fen, paid_fen=paid_fen,
            refunded_fen=refunded_fen,
        )
    return order
