"""The demo's marketing activities: today's flash sales (one running with its units moved in, one
upcoming), a 3-person group buy at 70 % with one group of its leader, and a bargain to ¥9.9 in 3 helps
started by the demo consumer and helped once; a second run makes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fenxiao.accounts import services as accounts
from fenxiao.demo.seed import (
    DEMO_CONSUMER_PHONE,
    make_demo_activities,
    make_demo_catalog,
    make_demo_consumers,
    make_demo_distributors,
    make_demo_levels,
    make_demo_staff,
)
from fenxiao.orders.models import Order
from fenxiao.promotions.models import ActivityOrder, Bargain, BargainActivity, FlashSale, Group, GroupBuy, PromotionAudit

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    accounts.ensure_staff_groups()
    make_demo_staff("demo-pass-1")
    make_demo_levels()
    make_demo_catalog()
    tree = make_demo_distributors("demo-pass-1")
    make_demo_consumers("demo-pass-1", tree)
    made = make_demo_activities()
    assert made > 0
    return made


def _counts():
    return (
        FlashSale.objects.count(),
        GroupBuy.objects.count(),
        Group.objects.count(),
        BargainActivity.objects.count(),
        Bargain.objects.count(),
        ActivityOrder.objects.count(),
        PromotionAudit.objects.count(),
    )


def test_demo_activities(demo):
    now = timezone.now()
    sales = list(FlashSale.objects.order_by("starts_at"))
    assert len(sales) == 3
    running = [s for s in sales if s.starts_at <= now < s.ends_at]
    upcoming = [s for s in sales if s.starts_at > now]
    assert len(running) == 1 and len(upcoming) == 2
    assert running[0].stock_moved_at is not None
    assert all(i.moved_quantity == i.quantity for i in running[0].items.all())

    group_buy = GroupBuy.objects.get()
    assert (group_buy.group_size, group_buy.hours) == (3, 24)
    for item in group_buy.items.select_related("sku"):
        assert item.price_fen == item.sku.retail_fen * 7 // 10
    group = Group.objects.get()
    assert (group.status, group.members_count, group.size) == ("forming", 1, 3)
    order = Order.objects.get(pk=ActivityOrder.objects.get(kind="group").order_id)
    assert order.paid_fen > 0 and order.hold == Order.Hold.GROUP

    bargain = Bargain.objects.get()
    assert bargain.user.phone == DEMO_CONSUMER_PHONE
    assert (bargain.floor_price_fen, bargain.helps_needed, bargain.helps_done) == (990, 3, 1)
    assert bargain.floor_price_fen < bargain.current_price_fen < bargain.start_price_fen
    assert PromotionAudit.objects.filter(kind__in=["flash", "group", "bargain"], action="created").count() == 5


def test_demo_activities_run_twice(demo):
    before = _counts()
    assert make_demo_activities() == 0
    assert _counts() == before
