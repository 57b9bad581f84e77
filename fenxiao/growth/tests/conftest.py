"""Fixtures of the growth tests: the three seed levels, a small tree, and sales written directly in
their final state (the instant-upgrade tests go through real orders instead)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from fenxiao.distribution.models import DistributionSettings
from fenxiao.growth import services
from fenxiao.growth.models import LevelCondition
from fenxiao.orders.models import Order, OrderLine
from tests.factories import DistributorFactory, LevelFactory, SkuFactory, UserFactory

K = LevelCondition.Kind
_numbers = itertools.count(1)


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


IN_FEB = local(2026, 2, 14, 12, 0)
MARCH = local(2026, 3, 2, 9, 0)  # the monthly run for February happens in March


@pytest.fixture
def levels(db):
    DistributionSettings.objects.get_or_create(pk=1)
    return (
        LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500),
        LevelFactory(rank=2, name="高级分销商", direct_rate_bp=1500, indirect_rate_bp=500),
        LevelFactory(rank=3, name="合伙人", direct_rate_bp=2000, indirect_rate_bp=500, team_bonus_bp=300),
    )


@pytest.fixture
def regular(levels):
    return levels[0]


@pytest.fixture
def senior(levels):
    return levels[1]


@pytest.fixture
def partner(levels):
    return levels[2]


EARLY = local(2026, 1, 5, 10, 0)


def member(level, inviter=None, approved_at=EARLY, **kwargs):
    """An approved distributor (unless `status` says otherwise) approved at `approved_at`."""
    return DistributorFactory(level=level, inviter=inviter, approved_at=approved_at, **kwargs)


@pytest.fixture
def tree(regular):
    """P → A → B → C, and S: a suspended direct invitee of P."""
    from fenxiao.distribution.models import Distributor

    p = member(regular)
    a = member(regular, inviter=p)
    b = member(regular, inviter=a)
    c = member(regular, inviter=b)
    s = member(regular, inviter=p, status=Distributor.Status.SUSPENDED)
    return {"P": p, "A": a, "B": b, "C": c, "S": s}


@pytest.fixture
def sku(db):
    return SkuFactory()


def sale(distributor, paid_fen, *, completed_at=IN_FEB, refunded_fen=0, status=Order.Status.COMPLETED, buyer=None, sku=None, paid_at=None):
    """An order credited to `distributor` in its final state, one line, ¥10 shipping."""
    sku = sku or SkuFactory()
    n = next(_numbers)
    order = Order.objects.create(
        number=f"GR{n:010d}", user=buyer or UserFactory(), distributor=distributor, status=status,
        receiver="王小明", receiver_phone="13812345678", province="浙江省", city="杭州市", district="西湖区",
        address_detail="文三路 100 号", goods_fen=paid_fen, shipping_fen=1000, total_fen=paid_fen + 1000,
        paid_fen=paid_fen + 1000, refunded_fen=refunded_fen,
        paid_at=paid_at or completed_at - timedelta(days=10),
        completed_at=completed_at if status == Order.Status.COMPLETED else None,
    )
    OrderLine.objects.create(
        order=order, sku=sku, product_id=sku.product_id, category_id=sku.product.category_id, product_name="商品",
        unit_price_fen=paid_fen, unit_cost_fen=1000, quantity=1, line_total_fen=paid_fen, paid_fen=paid_fen,
        refunded_fen=refunded_fen,
    )
    return order


def rule(level, conditions, combine="all", **options):
    return services.save_rule(level_id=level.pk, combine=combine, conditions=conditions, **options)


def finance_checker():
    """A finance colleague: the second person who approves what was proposed."""
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="财务"))
    return type(user).objects.get(pk=user.pk)


def approve_pending(kind: str | None = None) -> int:
    """Finance approves every pending request (of a kind); returns how many."""
    from fenxiao.approvals import services as approvals
    from fenxiao.approvals.models import ApprovalRequest

    checker = finance_checker()
    pending = ApprovalRequest.objects.filter(status="pending", **({"kind": kind} if kind else {}))
    done = 0
    for request in pending.order_by("pk"):
        approvals.approve(request_id=request.pk, actor=checker)
        done += 1
    return done
