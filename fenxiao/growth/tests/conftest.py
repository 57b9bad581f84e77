"""Fixtures of the growth tests: the three seed levels, a small tree, and sales recorded in their final
state (the instant-upgrade tests go through real orders instead)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from fenxiao.distribution.models import DistributionSettings
from fenxiao.growth import services
from fenxiao.growth.models import LevelCondition
from tests import factories
from tests.factories import DistributorFactory, LevelFactory, SkuFactory, UserFactory

K = LevelCondition.Kind


def local(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.get_default_timezone())


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


def sale(distributor, paid_fen, *, completed_at=IN_FEB, paid_at=None, **options):
    """An order credited to `distributor` in its final state (`tests.factories.sale`), completed in
    February by default and paid ten days before its completion."""
    return factories.sale(
        distributor, paid_fen, completed_at=completed_at, paid_at=paid_at or completed_at - timedelta(days=10), **options
    )


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
