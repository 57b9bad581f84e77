"""Campaigns (大促 / 主题日): promotions within the campaign's window, early access for distributors of
the chosen levels, the landing page before / during / after, the distributor's share link binding the
visitor like the shop link, claiming on the landing page, the member API and the console calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.distribution.models import Binding, Distributor, Visit
from fenxiao.promotions import selectors_campaigns
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import (
    Campaign,
    FullReduction,
    FullReductionTier,
    RunStatus,
    TimedDiscount,
    TimedDiscountItem,
    UserCoupon,
)
from fenxiao.promotions.services import campaigns
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

from .coupon_factories import CouponFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def make_campaign(*, starts_in: timedelta, lasts: timedelta = timedelta(days=3), **fields) -> Campaign:
    now = timezone.now()
    return Campaign.objects.create(
        name=fields.pop("name", "双十二大促"), starts_at=now + starts_in, ends_at=now + starts_in + lasts, **fields
    )


@pytest.fixture
def gold():
    return LevelFactory(name="金牌", rank=3)


@pytest.fixture
def silver():
    return LevelFactory(name="银牌", rank=2)


@pytest.fixture
def product():
    item = ProductFactory(name="羊绒围巾", category=CategoryFactory(name="服饰", slug="wear"))
    SkuFactory(product=item, spec="灰色", retail_fen=20000, suggested_retail_fen=22000, control_fen=15000)
    return item


def fill(campaign: Campaign, product) -> dict:
    """A coupon, a 满减送 with two tiers and a 20%-off timed discount on `product`, all in the campaign."""
    starts, ends = campaign.starts_at, campaign.ends_at
    coupon = CouponFactory(
        name="大促券",
        amount_fen=3000,
        threshold_fen=19900,
        claim_starts_at=starts,
        claim_ends_at=ends,
        valid_until=ends,
        campaign=campaign,
    )
    rule = FullReduction.objects.create(name="满减", starts_at=starts, ends_at=ends, campaign=campaign)
    FullReductionTier.objects.create(rule=rule, threshold=19900, amount_off_fen=3000)
    FullReductionTier.objects.create(rule=rule, threshold=39900, amount_off_fen=8000, free_shipping=True)
    discount = TimedDiscount.objects.create(name="限时八折", starts_at=starts, ends_at=ends, campaign=campaign)
    TimedDiscountItem.objects.create(discount=discount, sku=product.skus.get(), mode="percent", percent_off_bp=2000)
    return {"coupon": coupon, "rule": rule, "discount": discount}


# --- validation ------------------------------------------------------------------------------------


def test_campaign_window_and_early_access_are_checked():
    now = timezone.now()
    with pytest.raises(PromotionError) as caught:
        campaigns.save_campaign(campaign=Campaign(name="x", starts_at=now, ends_at=now), actor=None)
    assert caught.value.code == "invalid_promotion"
    with pytest.raises(PromotionError):
        campaigns.save_campaign(
            campaign=Campaign(name="x", starts_at=now, ends_at=now + timedelta(days=1), early_access_hours=721), actor=None
        )
    assert not Campaign.objects.exists()


def test_promotions_must_lie_within_the_campaign():
    operator = StaffFactory()
    now = timezone.now()
    campaign = Campaign(name="年货节", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=5))
    inside = FullReduction.objects.create(name="里面", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=5))
    outside = TimedDiscount.objects.create(name="外面", starts_at=now, ends_at=now + timedelta(days=2))
    open_coupon = CouponFactory(name="无领取时间")  # no claim window, valid_from unset

    with pytest.raises(PromotionError) as caught:
        campaigns.save_campaign(campaign=campaign, actor=operator, full_reductions=[inside], timed_discounts=[outside])
    assert "外面" in caught.value.message
    assert not Campaign.objects.exists()
    assert TimedDiscount.objects.get(pk=outside.pk).campaign_id is None

    with pytest.raises(PromotionError) as caught:
        campaigns.save_campaign(
            campaign=Campaign(name="年货节", starts_at=campaign.starts_at, ends_at=campaign.ends_at),
            actor=operator,
            coupons=[open_coupon],
        )
    assert "无领取时间" in caught.value.message

    saved = campaigns.save_campaign(
        campaign=Campaign(name="年货节", starts_at=campaign.starts_at, ends_at=campaign.ends_at),
        actor=operator,
        full_reductions=[inside],
    )
    assert FullReduction.objects.get(pk=inside.pk).campaign_id == saved.pk
    assert saved.created_by == operator

    # Leaving a promotion out of the list takes it out of the campaign.
    campaigns.save_campaign(campaign=saved, actor=operator, full_reductions=[])
    assert FullReduction.objects.get(pk=inside.pk).campaign_id is None


def test_status_moves():
    campaign = make_campaign(starts_in=timedelta(days=1))
    assert campaigns.set_status(campaign_id=campaign.pk, status=RunStatus.PAUSED).status == RunStatus.PAUSED
    assert campaigns.set_status(campaign_id=campaign.pk, status=RunStatus.ACTIVE).status == RunStatus.ACTIVE
    assert campaigns.set_status(campaign_id=campaign.pk, status=RunStatus.ENDED).status == RunStatus.ENDED
    with pytest.raises(PromotionError) as caught:
        campaigns.set_status(campaign_id=campaign.pk, status=RunStatus.ACTIVE)
    assert caught.value.code == "invalid_transition"


# --- early access ------------------------------------------------------------------------------------


def test_early_access_only_for_chosen_levels_within_the_window(gold, silver, django_assert_num_queries):
    campaign = make_campaign(starts_in=timedelta(hours=10), early_access_hours=24)
    campaign.early_access_levels.set([gold])
    later = make_campaign(starts_in=timedelta(hours=40), early_access_hours=24, name="更晚")
    later.early_access_levels.set([gold])
    vip = DistributorFactory(level=gold)
    other = DistributorFactory(level=silver)
    consumer = UserFactory()
    now = timezone.now()

    with django_assert_num_queries(1):
        found = selectors_campaigns.early_access(vip.user, now)
    assert found == {campaign.pk: timedelta(hours=24)}  # the later one's early window is not open yet
    assert selectors_campaigns.early_access(other.user, now) == {}
    assert selectors_campaigns.early_access(consumer, now) == {}
    # Before the early window opens, and once the campaign has started: nothing early.
    assert selectors_campaigns.early_access(vip.user, now - timedelta(hours=15)) == {}
    assert selectors_campaigns.early_access(vip.user, now + timedelta(hours=11)) == {}
    # A suspended distributor or a paused campaign loses it.
    Distributor.objects.filter(pk=vip.pk).update(status=Distributor.Status.SUSPENDED)
    assert selectors_campaigns.early_access(vip.user, now) == {}
    Distributor.objects.filter(pk=vip.pk).update(status=Distributor.Status.APPROVED)
    Campaign.objects.filter(pk=campaign.pk).update(status=RunStatus.PAUSED)
    assert selectors_campaigns.early_access(vip.user, now) == {}


# --- landing page --------------------------------------------------------------------------------------


def test_landing_before_start_says_coming_and_offers_no_claim(client, product):
    campaign = make_campaign(starts_in=timedelta(hours=5))
    parts = fill(campaign, product)
    response = client.get(reverse("web:campaign", args=[campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "双十二大促" in html
    assert "即将开始" in html
    assert "满 ¥199 减 ¥30" in html
    assert "满 ¥399 减 ¥80 · 包邮" in html
    assert "¥160.00" in html and "¥200.00" in html  # 20% off ¥200
    assert reverse("web:campaign_claim", args=[campaign.pk, parts["coupon"].pk]) not in html


def test_landing_running_and_claim(client, product):
    campaign = make_campaign(starts_in=timedelta(hours=-1))
    parts = fill(campaign, product)
    buyer = UserFactory()
    client.force_login(buyer)
    page = reverse("web:campaign", args=[campaign.pk])
    html = client.get(page).content.decode()
    assert "进行中" in html
    claim = reverse("web:campaign_claim", args=[campaign.pk, parts["coupon"].pk])
    assert claim in html
    response = client.post(claim, {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert UserCoupon.objects.filter(user=buyer, coupon=parts["coupon"]).count() == 1
    # A coupon of another campaign cannot be claimed through this page.
    stranger = CouponFactory()
    assert client.post(reverse("web:campaign_claim", args=[campaign.pk, stranger.pk])).status_code == 404


def test_landing_ended_and_paused(client, product):
    ended = make_campaign(starts_in=timedelta(days=-3), lasts=timedelta(days=1))
    html = client.get(reverse("web:campaign", args=[ended.pk])).content.decode()
    assert "活动已结束" in html
    paused = make_campaign(starts_in=timedelta(hours=-1), status=RunStatus.PAUSED)
    assert client.get(reverse("web:campaign", args=[paused.pk])).status_code == 404
    assert client.get(reverse("web:campaign", args=[999999])).status_code == 404


def test_early_access_distributor_sees_it_open_and_can_claim(client, product, gold):
    campaign = make_campaign(starts_in=timedelta(hours=2), early_access_hours=6)
    campaign.early_access_levels.set([gold])
    parts = fill(campaign, product)
    vip = DistributorFactory(level=gold)
    client.force_login(vip.user)
    html = client.get(reverse("web:campaign", args=[campaign.pk])).content.decode()
    assert "优先购" in html
    assert "即将开始" not in html
    assert reverse("web:campaign_claim", args=[campaign.pk, parts["coupon"].pk]) in html
    response = client.post(reverse("web:campaign_claim", args=[campaign.pk, parts["coupon"].pk]))
    assert response.status_code == 302
    held = UserCoupon.objects.get(user=vip.user, coupon=parts["coupon"])
    assert held.source == "claim" and held.source_reference == f"campaign:{campaign.pk}"
    client.post(reverse("web:campaign_claim", args=[campaign.pk, parts["coupon"].pk]))
    assert UserCoupon.objects.filter(user=vip.user, coupon=parts["coupon"]).count() == 1  # per-person limit 1
    # Anyone else waits for the start.
    buyer = UserFactory()
    client.force_login(buyer)
    client.post(reverse("web:campaign_claim", args=[campaign.pk, parts["coupon"].pk]))
    assert not UserCoupon.objects.filter(user=buyer).exists()
    client.force_login(vip.user)
    # The distributor sees its own share link.
    assert reverse("web:share_campaign", args=[vip.code, campaign.pk]) in html


# --- the distributor's share link (as the shop link: web/tests/test_pages.py) ---------------------------


@pytest.fixture
def shop():
    return DistributorFactory(user=UserFactory(nickname="小美"), level=LevelFactory(name="普通分销商", rank=1))


def test_share_link_records_visit_and_remembers_code(client, shop):
    campaign = make_campaign(starts_in=timedelta(hours=-1))
    response = client.get(reverse("web:share_campaign", args=[shop.code, campaign.pk]), {"ch": "moments"})
    assert response.status_code == 200
    assert "双十二大促" in response.content.decode()
    assert "小美的小店" in response.content.decode()
    visit = Visit.objects.get(distributor=shop)
    assert visit.channel == "moments"
    assert visit.visitor is None
    assert visit.session_key
    assert client.session["ref_code"] == shop.code


def test_share_link_binds_logged_in_visitor(client, shop):
    campaign = make_campaign(starts_in=timedelta(hours=-1))
    consumer = UserFactory()
    client.force_login(consumer)
    assert client.get(reverse("web:share_campaign", args=[shop.code, campaign.pk])).status_code == 200
    binding = Binding.objects.get(customer=consumer)
    assert binding.distributor == shop
    assert binding.source == "shop_link"
    assert Visit.objects.get(distributor=shop).visitor == consumer
    assert "ref_code" not in client.session


def test_share_link_404s(client, shop):
    campaign = make_campaign(starts_in=timedelta(hours=-1))
    assert client.get(reverse("web:share_campaign", args=["NOPE99", campaign.pk])).status_code == 404
    assert client.get(reverse("web:share_campaign", args=[shop.code, 999999])).status_code == 404
    assert not Visit.objects.exists()


# --- API ------------------------------------------------------------------------------------------------


def test_member_api(client, product, gold):
    campaign = make_campaign(starts_in=timedelta(hours=2), early_access_hours=6)
    campaign.early_access_levels.set([gold])
    fill(campaign, product)
    buyer = UserFactory()
    client.force_login(buyer)
    data = client.get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert data["phase"] == "upcoming"
    assert data["early_access_hours"] == 0
    assert data["coupons"][0]["claimable"] is False
    assert data["full_reductions"][0]["tiers"] == ["满 ¥199 减 ¥30", "满 ¥399 减 ¥80 · 包邮"]
    assert data["deals"][0]["price_fen"] == 20000 and data["deals"][0]["deal_fen"] == 16000

    vip = DistributorFactory(level=gold)
    client.force_login(vip.user)
    data = client.get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert data["phase"] == "early"
    assert data["early_access_hours"] == 6
    assert data["coupons"][0]["claimable"] is True

    missing = client.get("/api/v1/campaigns/999999")
    assert missing.status_code == 404
    assert missing.json()["code"] == "promotion_not_found"


# --- console --------------------------------------------------------------------------------------------


def test_calendar_shows_campaigns_and_their_promotions_per_day(client, product):
    local = datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)
    campaign = Campaign.objects.create(name="双十二", starts_at=local, ends_at=local + timedelta(days=3))
    FullReduction.objects.create(
        name="满减日", starts_at=local + timedelta(days=1), ends_at=local + timedelta(days=2), campaign=campaign
    )
    grid = selectors_campaigns.calendar_month(2026, 12)
    days = {cell.day.isoformat(): [item.label for item in cell.items] for week in grid.weeks for cell in week}
    assert days["2026-12-09"] == []
    assert days["2026-12-10"] == ["双十二"]
    assert days["2026-12-11"] == ["双十二", "满减日"]
    assert days["2026-12-13"] == ["双十二"]
    assert days["2026-12-14"] == []
    assert grid.weeks[0][0].day.weekday() == 0  # weeks start on Monday

    client.force_login(StaffFactory())
    response = client.get(reverse("admin:promotions_campaign_calendar"), {"month": "2026-12"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "双十二" in html and "满减日" in html
    assert "month=2026-11" in html and "month=2027-01" in html
    assert client.get(reverse("admin:promotions_campaign_calendar"), {"month": "junk"}).status_code == 200


def test_console_saves_campaign_with_promotions_and_pauses(client):
    client.force_login(StaffFactory())
    now = timezone.localtime(timezone.now().replace(second=0, microsecond=0))
    starts, ends = now + timedelta(days=1), now + timedelta(days=4)
    inside = FullReduction.objects.create(name="里面", starts_at=starts, ends_at=ends)
    outside = FullReduction.objects.create(name="外面", starts_at=now, ends_at=ends)

    def post(rules):
        return client.post(
            reverse("admin:promotions_campaign_add"),
            {
                "name": "周年庆",
                "kind": "sale",
                "starts_at_0": starts.strftime("%Y-%m-%d"),
                "starts_at_1": starts.strftime("%H:%M:%S"),
                "ends_at_0": ends.strftime("%Y-%m-%d"),
                "ends_at_1": ends.strftime("%H:%M:%S"),
                "description": "",
                "early_access_hours": "0",
                "full_reductions": [r.pk for r in rules],
            },
        )

    response = post([inside, outside])
    assert response.status_code == 200
    assert "外面" in response.content.decode()
    assert not Campaign.objects.exists()
    response = post([inside])
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert FullReduction.objects.get(pk=inside.pk).campaign_id == campaign.pk

    changelist = reverse("admin:promotions_campaign_changelist")
    assert reverse("admin:promotions_campaign_calendar") in client.get(changelist).content.decode()
    client.post(changelist, {"action": "pause_selected", "_selected_action": [campaign.pk]})
    assert Campaign.objects.get().status == RunStatus.PAUSED
