"""The "my level and progress" page: current level, the next level's conditions with progress, the
history of changes; the distributor center links to it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.growth import services
from fenxiao.growth.models import LevelCondition
from tests.factories import DistributorFactory, LevelFactory, OrderRecordFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
K = LevelCondition.Kind


@pytest.fixture
def levels():
    return (
        LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500),
        LevelFactory(rank=2, name="高级分销商", direct_rate_bp=1500, indirect_rate_bp=500),
    )


def test_level_page_shows_progress_and_history(client, levels):
    regular, senior = levels
    d = DistributorFactory(level=regular)
    for _ in range(3):
        DistributorFactory(level=regular, inviter=d)
    now = timezone.now()
    OrderRecordFactory(
        distributor=d,
        shipping_fen=0,
        paid_at=now,
        completed_at=now,
        lines=[{"unit_price_fen": 320_000, "unit_cost_fen": 1000, "product_name": "商品"}],
    )
    services.save_rule(level_id=senior.pk, conditions=[(K.DIRECT_INVITES, 10), (K.PERSONAL_SALES_MONTH, 500_000)])
    services.change_level(distributor_id=d.pk, level_id=regular.pk, actor=StaffFactory())  # no change: no row
    client.force_login(d.user)
    page = client.get(reverse("web:my_level")).content.decode()
    assert "普通分销商" in page and "升级到 高级分销商" in page
    assert "3 / 10 直推（已审核）" in page
    assert "¥3,200 / ¥5,000 本月个人销售" in page
    assert 'aria-valuenow="30"' in page and 'aria-valuenow="64"' in page
    assert "还没有等级变动" in page

    services.change_level(distributor_id=d.pk, level_id=senior.pk, actor=StaffFactory())
    page = client.get(reverse("web:my_level")).content.decode()
    assert "普通分销商 → 高级分销商" in page and "手动调整" in page
    assert 'id="top-level"' in page  # no higher level with a rule


def test_level_page_needs_an_approved_distributor(client, levels):
    assert client.get(reverse("web:my_level")).status_code == 302
    client.force_login(UserFactory())
    response = client.get(reverse("web:my_level"))
    assert response.status_code == 302 and response.url == reverse("web:apply")


def test_distributor_center_links_to_the_level_page(client, levels):
    d = DistributorFactory(level=levels[0])
    client.force_login(d.user)
    page = client.get(reverse("web:distributor_center")).content.decode()
    assert 'id="level-link"' in page and reverse("web:my_level") in page


def test_invitations_page_claims_a_reached_rung(client, db):
    from fenxiao.commissions.selectors import earnings_summary
    from fenxiao.growth import services
    from fenxiao.growth.models import InvitationReward
    from tests.factories import DistributorFactory, LevelFactory, OrderRecordFactory

    level = LevelFactory(rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    inviter = DistributorFactory(level=level)
    invitee = DistributorFactory(level=level, inviter=inviter)
    OrderRecordFactory(
        user=invitee.user, distributor=inviter, goods_fen=5000, shipping_fen=0, paid_fen=5000, paid_at=None, completed_at=None
    )
    rung, _ = services.save_rung(invites=1, basis="valid", reward="cash", cash_fen=2000)
    services.save_rung(invites=10, basis="valid", reward="gift", gift_name="定制保温杯")
    from fenxiao.approvals import services as approvals
    from fenxiao.approvals.models import ApprovalRequest

    approvals.approve(request_id=ApprovalRequest.objects.get().pk, actor=StaffFactory())  # finance approves the cash
    client.force_login(inviter.user)
    page = client.get("/dc/invitations/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "有效邀请" in text and "定制保温杯" in text and "领取" in text
    assert client.post("/dc/invitations/", {"rung": rung.pk}).status_code == 302
    assert client.post("/dc/invitations/", {"rung": rung.pk}).status_code == 302  # twice: paid once
    assert InvitationReward.objects.filter(distributor=inviter).count() == 1
    assert earnings_summary(inviter).available_fen == 2000
    assert "已领取" in client.get("/dc/invitations/").content.decode()


def test_invitations_page_shows_each_rung_kind_in_its_state(client, db):
    # A reached gift or points rung can be claimed at once; a reached cash rung only once finance has
    # approved its amount, until then it says so instead of offering a claim that would be refused.
    from fenxiao.approvals import services as approvals
    from fenxiao.approvals.models import ApprovalRequest
    from fenxiao.growth import selectors

    level = LevelFactory(rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    inviter = DistributorFactory(level=level)
    invitee = DistributorFactory(level=level, inviter=inviter)
    OrderRecordFactory(
        user=invitee.user, distributor=inviter, goods_fen=5000, shipping_fen=0, paid_fen=5000, paid_at=None, completed_at=None
    )
    cash, _ = services.save_rung(invites=1, basis="valid", reward="cash", cash_fen=2000)
    gift, _ = services.save_rung(invites=2, basis="heads", reward="gift", gift_name="定制保温杯")
    DistributorFactory(level=level, inviter=inviter)  # a second head: the gift rung is reached too
    client.force_login(inviter.user)

    def rung_html(rung):
        page = client.get("/dc/invitations/").content.decode()
        start = page.index(f'id="rung-{rung.invites}"')
        return page[start : page.index('<div class="weui-cell app-rung"', start + 1) if rung is cash else None]

    states = {s.rung.pk: s for s in selectors.invitation_ladder(inviter)[1]}
    assert states[cash.pk].awaiting_approval and not states[cash.pk].claimable
    assert states[gift.pk].claimable and not states[gift.pk].awaiting_approval
    assert "待财务审核" in rung_html(cash) and 'name="rung"' not in rung_html(cash)
    assert 'name="rung"' in rung_html(gift) and "待财务审核" not in rung_html(gift)

    approvals.approve(request_id=ApprovalRequest.objects.get().pk, actor=StaffFactory())
    assert 'name="rung"' in rung_html(cash) and "待财务审核" not in rung_html(cash)
