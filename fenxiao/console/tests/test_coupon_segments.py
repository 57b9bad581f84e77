"""发放给人群: the count first, then the issue; each segment, and who may use the page."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from fenxiao.console.coupons import segments
from fenxiao.members.models import Membership, MemberTier
from fenxiao.promotions.models import Coupon, UserCoupon
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coupon(db):
    now = timezone.now()
    return Coupon.objects.create(
        name="会员专享券",
        amount_fen=1000,
        validity="dates",
        valid_from=now,
        valid_until=now + timedelta(days=7),
        total_quantity=3,
    )


@pytest.fixture
def tiers(db):
    entry = MemberTier.objects.create(name="普通会员", min_spend_fen=0)
    gold = MemberTier.objects.create(name="金卡", min_spend_fen=500000)
    return entry, gold


def test_member_tier_segment_follows_the_tier_people_have(tiers):
    entry, gold = tiers
    golden = UserFactory()
    Membership.objects.create(user=golden, tier=gold)
    plain = UserFactory()
    StaffFactory()  # never part of a segment
    assert segments.segment_user_ids({"member_tier": gold.pk}) == [golden.pk]
    assert segments.segment_user_ids({"member_tier": entry.pk}) == [plain.pk]


def _operator(client):
    from fenxiao.accounts.services import ensure_staff_groups

    ensure_staff_groups()
    staff = StaffFactory(is_superuser=False)
    staff.groups.add(Group.objects.get(name="运营"))
    client.force_login(staff)
    return staff


def test_the_page_counts_then_issues(client, coupon, tiers):
    _entry, gold = tiers
    people = [UserFactory() for _ in range(4)]
    for user in people:
        Membership.objects.create(user=user, tier=gold)
    _operator(client)
    url = reverse("console:coupon_segment", args=[coupon.pk])
    page = client.get(url)
    assert page.status_code == 200 and "会员等级" in page.content.decode()
    counted = client.post(url, {"kind": "member_tier", "tier": gold.pk, "preview": "1"})
    assert "这个人群共 4 人" in counted.content.decode()
    assert not UserCoupon.objects.exists()
    done = client.post(url, {"kind": "member_tier", "tier": gold.pk, "confirm": "1"}, follow=True)
    assert UserCoupon.objects.filter(coupon=coupon).count() == 3  # the total runs out
    assert "1 人因发行总量用完未发放" in done.content.decode()


def test_a_missing_choice_is_said_and_finance_may_not_issue(client, coupon):
    _operator(client)
    url = reverse("console:coupon_segment", args=[coupon.pk])
    page = client.post(url, {"kind": "bought_within_days", "preview": "1"})
    assert "请填写天数" in page.content.decode()
    from fenxiao.accounts.services import ensure_staff_groups

    ensure_staff_groups()
    finance = StaffFactory(is_superuser=False)
    finance.groups.add(Group.objects.get(name="财务"))
    client.force_login(finance)
    assert client.get(url).status_code == 403
