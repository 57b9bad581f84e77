"""My notices page (/me/notifications/): unread highlighted, a tap marks the notice read and opens its
page, "全部已读"; the unread badge on /me/ and /dc/; the invitation to become a distributor on /me/ and
on a completed order, shown only to invited consumers who have not applied."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fenxiao.distribution.models import Distributor
from fenxiao.growth.models import ApplyInvitation, Notification
from fenxiao.orders.models import Order
from tests.factories import DistributorFactory, LevelFactory, OrderRecordFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/me/notifications/"
CARD = 'id="apply-invite"'


def notice(user, title="通知", *, minutes_ago=0, read=False, url="") -> Notification:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return Notification.objects.create(user=user, kind="test", title=title, url=url, created_at=at, read_at=at if read else None)


@pytest.fixture
def level():
    return LevelFactory(name="普通分销商", rank=1)


@pytest.fixture
def consumer(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_list_shows_own_notices_unread_highlighted(client, consumer):
    unread = notice(consumer, "恭喜升级为高级分销商", url="/dc/level/")
    read = notice(consumer, "邀请奖励已领取", minutes_ago=5, read=True)
    notice(UserFactory(), "别人的消息")
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "恭喜升级为高级分销商" in html and "邀请奖励已领取" in html and "别人的消息" not in html
    assert html.index("恭喜升级为高级分销商") < html.index("邀请奖励已领取")
    unread_cell = html[html.index(f'id="notice-{unread.pk}"') - 200 : html.index(f'id="notice-{unread.pk}"')]
    read_cell = html[html.index(f'id="notice-{read.pk}"') - 200 : html.index(f'id="notice-{read.pk}"')]
    assert "app-noticecell_unread" in unread_cell and "app-noticecell_unread" not in read_cell
    assert 'id="read-all"' in html and "1 条未读" in html


def test_tap_marks_read_and_opens_the_page(client, consumer):
    n = notice(consumer, url="/dc/level/")
    assert client.get(reverse("web:notification_open", args=[n.pk])).status_code == 405  # a tap is a POST
    response = client.post(reverse("web:notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/dc/level/"
    n.refresh_from_db()
    assert n.read_at is not None
    first = n.read_at
    client.post(reverse("web:notification_open", args=[n.pk]))
    n.refresh_from_db()
    assert n.read_at == first


@pytest.mark.parametrize("url", ["", "https://evil.example/x", "//evil.example/x"])
def test_a_notice_never_sends_the_user_off_site(client, consumer, url):
    n = notice(consumer, url=url)
    response = client.post(reverse("web:notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == LIST


def test_another_users_notice_is_not_found(client, consumer):
    theirs = notice(UserFactory(), url="/dc/level/")
    assert client.post(reverse("web:notification_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all(client, consumer):
    for n in range(3):
        notice(consumer, f"通知{n}")
    theirs = notice(UserFactory())
    response = client.post(reverse("web:notifications_read_all"), follow=True)
    assert "已全部标记为已读" in response.content.decode()
    assert not Notification.objects.filter(user=consumer, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    html = client.get(LIST).content.decode()
    assert 'id="read-all"' not in html and "没有未读消息" in html


def test_empty_list_and_login_required(client):
    assert client.get(LIST).status_code == 302
    client.force_login(UserFactory())
    assert 'id="notices-empty"' in client.get(LIST).content.decode()


def test_list_queries_do_not_grow_with_rows(client, consumer):
    notice(consumer)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for n in range(40):
        notice(consumer, f"通知{n}", read=n % 3 == 0)
    with CaptureQueriesContext(connection) as many:
        html = client.get(LIST).content.decode()
    assert html.count("app-noticecell__title") == 20 and "1 / 3" in html
    assert len(many.captured_queries) == len(few.captured_queries)


def test_unread_badge_on_me_and_distributor_center(client, level):
    d = DistributorFactory(level=level)
    client.force_login(d.user)
    for html in (client.get("/me/").content.decode(), client.get("/dc/").content.decode()):
        assert 'id="notifications-link"' in html and 'id="unread-badge"' not in html
    notice(d.user)
    notice(d.user)
    notice(d.user, read=True)
    for path in ("/me/", "/dc/"):
        html = client.get(path).content.decode()
        assert '<span class="weui-badge app-cell-badge" id="unread-badge">2</span>' in html, path


# --- the invitation card -------------------------------------------------------------------------


def test_invited_consumer_sees_the_card_on_me_and_the_completed_order(client, consumer, level):
    order = OrderRecordFactory(user=consumer, goods_fen=1000, shipping_fen=0)
    shipped = OrderRecordFactory(user=consumer, goods_fen=1000, shipping_fen=0, status=Order.Status.SHIPPED)
    assert CARD not in client.get("/me/").content.decode()  # not invited yet
    ApplyInvitation.objects.create(user=consumer, order=order)
    me = client.get("/me/").content.decode()
    assert CARD in me and "成为分销商，分享赚佣金" in me and 'href="/apply/"' in me
    assert CARD in client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert CARD not in client.get(reverse("web:order_detail", args=[shipped.pk])).content.decode()


def test_card_hidden_after_applying_and_for_distributors(client, consumer, level):
    order = OrderRecordFactory(user=consumer, goods_fen=1000, shipping_fen=0)
    invitation = ApplyInvitation.objects.create(user=consumer, order=order)
    DistributorFactory(user=consumer, level=level, status=Distributor.Status.PENDING)
    assert CARD not in client.get("/me/").content.decode()
    assert CARD not in client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    Distributor.objects.filter(user=consumer).delete()
    invitation.applied_at = timezone.now()
    invitation.save()
    assert CARD not in client.get("/me/").content.decode()
