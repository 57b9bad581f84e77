"""The distributor starter pack: approval gives the pack's coupons and points once, after the approving
transaction commits; approving again after a suspension and reinstatement gives nothing more; the
"新手上路" card of the distributor centre shows the coupons held and the first steps."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Distributor
from fenxiao.members.models import PointsLot, PointsSource
from fenxiao.promotions.models import StarterPack, StarterPackGrant, UserCoupon
from fenxiao.promotions.services import starter
from tests.factories import DistributorFactory, LevelFactory, StaffFactory

from .coupon_factories import CouponFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack():
    row = starter.starter_pack()
    row.coupons.set([CouponFactory(name="样品券", amount_fen=5000, threshold_fen=0), CouponFactory(name="首单券")])
    StarterPack.objects.filter(pk=1).update(points=200)
    return row


@pytest.fixture
def applicant():
    return DistributorFactory(level=LevelFactory(rank=1), status=Distributor.Status.PENDING, approved_at=None)


def starter_coupons(user) -> int:
    return UserCoupon.objects.filter(user=user, source=UserCoupon.Source.STARTER).count()


def test_approval_gives_the_pack_once_after_commit(pack, applicant, django_capture_on_commit_callbacks):
    operator = StaffFactory()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        distribution.approve_distributor(distributor_id=applicant.pk, actor=operator)
    assert StarterPackGrant.objects.filter(distributor=applicant).exists()
    assert starter_coupons(applicant.user) == 0  # nothing before the commit
    assert len(pending) == 1
    pending[0]()

    assert starter_coupons(applicant.user) == 2
    assert PointsLot.objects.get(user=applicant.user, source=PointsSource.GRANT).amount == 200
    grant = StarterPackGrant.objects.get(distributor=applicant)
    assert grant.issued_at is not None
    assert UserCoupon.objects.filter(source_reference=f"starter:{grant.pk}").count() == 2

    with django_capture_on_commit_callbacks(execute=True) as again:
        distribution.suspend_distributor(distributor_id=applicant.pk, actor=operator, reason="违规分享")
        distribution.reinstate_distributor(distributor_id=applicant.pk, actor=operator)
    assert again == []
    assert StarterPackGrant.objects.count() == 1
    assert starter_coupons(applicant.user) == 2
    assert PointsLot.objects.filter(user=applicant.user, source=PointsSource.GRANT).count() == 1


def test_empty_or_disabled_pack_gives_nothing(applicant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        distribution.approve_distributor(distributor_id=applicant.pk, actor=StaffFactory())
    assert not StarterPackGrant.objects.exists()


def test_disabled_pack_gives_nothing(pack, applicant, django_capture_on_commit_callbacks):
    StarterPack.objects.filter(pk=1).update(enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        distribution.approve_distributor(distributor_id=applicant.pk, actor=StaffFactory())
    assert not StarterPackGrant.objects.exists()
    assert starter_coupons(applicant.user) == 0


def test_an_ended_coupon_does_not_hold_up_the_rest(pack, applicant, django_capture_on_commit_callbacks):
    first = pack.coupons.order_by("pk").first()
    first.status = "ended"
    first.save(update_fields=["status"])
    with django_capture_on_commit_callbacks(execute=True):
        distribution.approve_distributor(distributor_id=applicant.pk, actor=StaffFactory())
    assert starter_coupons(applicant.user) == 1
    assert StarterPackGrant.objects.get().issued_at is not None


def test_distributor_centre_shows_getting_started_card(client, pack, applicant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        distribution.approve_distributor(distributor_id=applicant.pk, actor=StaffFactory())
    client.force_login(applicant.user)
    response = client.get(reverse("web:distributor_center"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "新手上路" in html
    assert 'id="starter-coupons"' in html and "2 张可用" in html
    assert reverse("web:coupons") in html
    for step in ("share", "order", "invite"):
        assert f'id="starter-step-{step}"' in html
    assert "去完成" in html


def test_getting_started_steps_tick_from_the_centre_figures(client, applicant):
    Distributor.objects.filter(pk=applicant.pk).update(status=Distributor.Status.APPROVED)
    DistributorFactory(inviter=applicant, level=applicant.level)
    client.force_login(applicant.user)
    html = client.get(reverse("web:distributor_center")).content.decode()
    assert "新手上路" in html
    assert 'id="starter-coupons"' not in html  # no pack held
    invite = html[html.index('id="starter-step-invite"') :]
    assert "已完成" in invite[:300]
    order = html[html.index('id="starter-step-order"') :]
    assert "去完成" in order[:300]
