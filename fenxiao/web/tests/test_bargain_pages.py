"""The bargain pages (砍价) on the phone: the activity page and starting, a bargain's page for its
starter and for friends (帮TA砍一刀, signing in first where the activity needs it, visitors where it
does not), buying at the floor, the distributor's link to a bargain and the visitor figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.distribution.models import Binding, Visit
from fenxiao.orders.models import Order
from fenxiao.promotions.models import ActivityVisit, Bargain, BargainActivity, BargainHelp
from fenxiao.promotions.services import bargains
from tests.factories import DistributorFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

B = Bargain.Status


@pytest.fixture
def activity():
    now = timezone.now()
    sku = SkuFactory(retail_fen=15000, product__name="保温杯", spec="500ml")
    return BargainActivity.objects.create(
        name="保温杯砍价",
        sku=sku,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
        start_price_fen=15000,
        floor_price_fen=9900,
        helps_needed=2,
        hours=24,
        share_text="这个杯子不错，帮我砍一刀",
    )


@pytest.fixture
def starter():
    return UserFactory(nickname="小红")


def test_activity_page_and_starting(client, activity, starter):
    page = client.get(reverse("web:bargain_activity", args=[activity.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "保温杯砍价" in html and "¥99.00" in html and "发起砍价" in html
    assert reverse("web:login") in html  # a visitor signs in first

    client.force_login(starter)
    response = client.post(reverse("web:bargain_start", args=[activity.pk]))
    bargain = Bargain.objects.get(user=starter)
    assert response.status_code == 302 and response["Location"] == reverse("web:bargain", args=[bargain.pk])
    # starting again leads to the open bargain
    again = client.post(reverse("web:bargain_start", args=[activity.pk]))
    assert again["Location"] == reverse("web:bargain", args=[bargain.pk])
    assert Bargain.objects.filter(user=starter).count() == 1
    assert "查看我的砍价" in client.get(reverse("web:bargain_activity", args=[activity.pk])).content.decode()


def test_the_starter_sees_the_share_text_and_no_reward_for_sharing(client, activity, starter):
    bargain = bargains.start(user=starter, activity_id=activity.pk)
    client.force_login(starter)
    html = client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()
    assert "这个杯子不错，帮我砍一刀" in html
    assert 'id="bargain-share-link"' in html and 'id="bargain-help"' not in html
    assert 'id="bargain-bar"' in html and "0/2" in html
    for enticement in ("分享得", "分享领", "奖励", "红包"):
        assert enticement not in html


def test_a_friend_helps_once(client, activity, starter):
    bargain = bargains.start(user=starter, activity_id=activity.pk)
    friend = UserFactory(nickname="张三丰")
    client.force_login(friend)
    html = client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()
    assert "帮TA砍一刀" in html and "小*" in html
    response = client.post(reverse("web:bargain_help", args=[bargain.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:bargain", args=[bargain.pk])
    bargain.refresh_from_db()
    assert bargain.helps_done == 1 and bargain.current_price_fen < 15000
    html = client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()
    assert "你已帮TA砍过" in html and "张**" in html and "1/2" in html
    # a second try is refused, and says so
    client.post(reverse("web:bargain_help", args=[bargain.pk]))
    assert "你已经帮TA砍过了" in client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()
    assert BargainHelp.objects.filter(bargain=bargain).count() == 1


def test_a_visitor_signs_in_first_where_the_activity_needs_an_account(client, activity, starter):
    bargain = bargains.start(user=starter, activity_id=activity.pk)
    html = client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()
    assert f"{reverse('web:login')}?next=" in html
    response = client.post(reverse("web:bargain_help", args=[bargain.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
    assert not BargainHelp.objects.exists()


def test_a_visitor_helps_where_the_activity_allows(client, activity, starter):
    BargainActivity.objects.filter(pk=activity.pk).update(help_requires_account=False)
    bargain = bargains.start(user=starter, activity_id=activity.pk)
    client.get(reverse("web:bargain", args=[bargain.pk]))
    client.post(reverse("web:bargain_help", args=[bargain.pk]))
    row = BargainHelp.objects.get(bargain=bargain)
    assert row.helper_key == f"v:{client.session.session_key}" and row.helper_id is None
    assert "你已帮TA砍过" in client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()


def test_the_starter_buys_at_the_floor(client, activity, starter):
    bargain = bargains.start(user=starter, activity_id=activity.pk)
    for _ in range(2):
        bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())
    book = address_book.add_address(user=starter, data=dict(BOOK_ADDRESS))
    client.force_login(starter)
    html = client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()
    assert "立即购买" in html and "已砍到最低价" in html
    confirm = client.get(reverse("web:bargain_buy", args=[bargain.pk]))
    assert confirm.status_code == 200 and "¥99.00" in confirm.content.decode()
    response = client.post(reverse("web:bargain_buy", args=[bargain.pk]), {"address_id": book.pk, "note": ""})
    order = Order.objects.get(user=starter)
    assert response.status_code == 302 and response["Location"] == reverse("web:order_pay", args=[order.pk])
    assert order.activity_kind == "bargain" and order.lines.get().paid_fen == 9900
    bargain.refresh_from_db()
    assert bargain.status == B.BOUGHT
    assert "查看订单" in client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()
    # somebody else cannot open the starter's confirm page
    client.force_login(UserFactory())
    assert client.get(reverse("web:bargain_buy", args=[bargain.pk])).status_code == 404


def test_the_distributor_link_binds_and_counts(client, activity, starter):
    shop = DistributorFactory(user=UserFactory(nickname="小美"))
    bargain = bargains.start(user=starter, activity_id=activity.pk)
    consumer = UserFactory()
    client.force_login(consumer)
    response = client.get(reverse("web:share_bargain", args=[shop.code, bargain.pk]))
    assert response.status_code == 200
    assert "来自" in response.content.decode()
    assert Binding.objects.get(customer=consumer).distributor == shop
    assert Visit.objects.get(distributor=shop).visitor == consumer
    # a distributor sharing a bargain gets a link with their own code
    client.force_login(shop.user)
    html = client.get(reverse("web:bargain", args=[bargain.pk])).content.decode()
    assert "帮TA砍一刀" in html
    assert client.get(reverse("web:share_bargain", args=["NOPE0", bargain.pk])).status_code == 404


def test_visits_are_counted_once_per_visitor_and_day(client, activity, starter):
    bargain = bargains.start(user=starter, activity_id=activity.pk)
    for _ in range(3):
        client.get(reverse("web:bargain", args=[bargain.pk]))
    client.get(reverse("web:bargain_activity", args=[activity.pk]))
    client.force_login(UserFactory())
    client.get(reverse("web:bargain", args=[bargain.pk]))
    assert ActivityVisit.objects.filter(kind="bargain", activity_id=activity.pk).count() == 2


def test_unknown_pages_are_404(client):
    assert client.get(reverse("web:bargain_activity", args=[123456])).status_code == 404
    assert client.get(reverse("web:bargain", args=[123456])).status_code == 404
