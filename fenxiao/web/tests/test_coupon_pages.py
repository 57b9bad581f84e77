"""The coupon pages on the phone: the coupon centre with its 领取 button, my coupons in three tabs,
and the link from 我的."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.promotions.models import UserCoupon
from fenxiao.promotions.services import coupons
from fenxiao.promotions.tests.coupon_factories import CouponFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = UserFactory(nickname="小林")
    client.force_login(user)
    return user


def html_of(response) -> str:
    return response.content.decode()


def test_centre_lists_coupons_and_claims_one(client, member):
    coupon = CouponFactory(name="春季满减", amount_fen=2000, threshold_fen=10000, total_quantity=10)

    page = client.get(reverse("web:coupon_centre"))
    assert page.status_code == 200
    html = html_of(page)
    assert "春季满减" in html and "满 ¥100 减 ¥20" in html and "全部商品" in html
    assert reverse("web:coupon_claim", args=[coupon.pk]) in html
    assert "csrfmiddlewaretoken" in html

    answer = client.post(reverse("web:coupon_claim", args=[coupon.pk]), follow=True)
    assert answer.redirect_chain[-1][0] == reverse("web:coupon_centre")
    html = html_of(answer)
    assert "领取成功" in html
    assert "已领取" in html
    assert UserCoupon.objects.filter(user=member, coupon=coupon).count() == 1


def test_a_refused_claim_shows_why(client, member):
    coupon = CouponFactory(total_quantity=1)
    coupons.claim(user=UserFactory(), coupon_id=coupon.pk)

    answer = client.post(reverse("web:coupon_claim", args=[coupon.pk]), follow=True)

    assert "这张优惠券已经领完了" in html_of(answer)
    assert not UserCoupon.objects.filter(user=member).exists()


def test_claim_needs_post_and_sign_in(client):
    coupon = CouponFactory()
    assert client.get(reverse("web:coupon_claim", args=[coupon.pk])).status_code in (302, 405)
    answer = client.post(reverse("web:coupon_claim", args=[coupon.pk]))
    assert answer.status_code == 302 and reverse("web:login") in answer["Location"]
    assert not UserCoupon.objects.exists()


def test_claim_checks_csrf(member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    coupon = CouponFactory()
    assert strict.post(reverse("web:coupon_claim", args=[coupon.pk])).status_code == 403
    assert not UserCoupon.objects.exists()


def test_my_coupons_in_three_tabs(client, member):
    coupon = CouponFactory(name="全场券", amount_fen=500, threshold_fen=0, per_person_limit=3)
    kept = coupons.claim(user=member, coupon_id=coupon.pk)
    gone = coupons.claim(user=member, coupon_id=coupon.pk)
    coupons.revoke(user_coupon_id=gone.pk, actor=None, reason="误发")
    UserCoupon.objects.filter(pk=kept.pk).update(valid_until=timezone.now() + timedelta(days=2))

    usable = html_of(client.get(reverse("web:coupons")))
    assert "无门槛减 ¥5" in usable and "去使用" in usable
    assert "可使用 (1)" in usable and "已使用 (0)" in usable and "已过期 (1)" in usable

    expired = html_of(client.get(reverse("web:coupons") + "?tab=expired"))
    assert "已收回" in expired and "去使用" not in expired

    empty = html_of(client.get(reverse("web:coupons") + "?tab=used"))
    assert "这里还没有优惠券" in empty


def test_me_links_to_my_coupons(client, member):
    html = html_of(client.get(reverse("web:me")))
    assert reverse("web:coupons") in html


def test_empty_centre(client, member):
    CouponFactory(status="paused")
    assert "暂时没有可领取的优惠券" in html_of(client.get(reverse("web:coupon_centre")))
