"""The 拼团 pages through the test client: the activity page, one group's page, a distributor's links to
both, the checkout of a group order and the order's 等待成团."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.models import Address
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.distribution.models import Binding, Visit
from fenxiao.orders import services as order_services
from fenxiao.orders.models import Order
from fenxiao.orders.services.activities import groups as group_orders
from fenxiao.promotions.models import (
    ActivityKind,
    ActivityOrder,
    ActivityVisit,
    Group,
    GroupBuy,
    GroupBuyItem,
    GroupMember,
    RunStatus,
)
from tests.factories import DistributorFactory, LevelFactory, OrderFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def serum():
    product = ProductFactory(name="玻尿酸精华")
    return SkuFactory(product=product, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000, stock=20)


@pytest.fixture
def activity(serum):
    now = timezone.now()
    activity = GroupBuy.objects.create(
        name="精华三人团",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        group_size=3,
        hours=24,
        share_text="一起拼玻尿酸精华，三人成团",
    )
    GroupBuyItem.objects.create(activity=activity, sku=serum, price_fen=10500)
    return activity


@pytest.fixture
def shop():
    return DistributorFactory(user=UserFactory(nickname="小美"), level=LevelFactory(name="普通分销商", rank=1))


_order_ids = iter(range(900_000, 999_999))


def _group(activity, leader, *others, status=Group.Status.FORMING, expires_in=timedelta(hours=20), refunded=()):
    """A group as the services leave it: the leader and `others` paid members, each with the
    activity order linking it to the group's product."""
    members = [leader, *others]
    group = Group.objects.create(
        activity=activity,
        leader=leader,
        status=status,
        size=activity.group_size,
        members_count=len(members),
        expires_at=timezone.now() + expires_in,
    )
    item = activity.items.first()
    for user in members:
        order_id = next(_order_ids)
        GroupMember.objects.create(
            group=group,
            user=user,
            order_id=order_id,
            is_leader=user == leader,
            status=GroupMember.Status.REFUNDED if user in refunded else GroupMember.Status.JOINED,
        )
        ActivityOrder.objects.create(
            order_id=order_id,
            kind=ActivityKind.GROUP,
            activity_id=activity.pk,
            item_id=item.pk,
            group=group,
            user=user,
            quantity=1,
            state=ActivityOrder.State.PAID,
        )
    return group


# --- the activity page ------------------------------------------------------------------------------


def test_activity_page_shows_prices_size_and_open_groups(client, activity):
    leader = UserFactory(nickname="张三丰")
    group = _group(activity, leader)
    _group(activity, UserFactory(), status=Group.Status.SUCCEEDED)  # not open: not listed
    _group(activity, UserFactory(), expires_in=timedelta(minutes=-1))  # past its deadline: not listed

    response = client.get(reverse("web:group_activity", args=[activity.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "精华三人团" in html
    assert "3人团" in html
    assert "¥105.00" in html and "¥150.00" in html  # 拼团价 vs 单独购买价
    assert "拼团价" in html and "单独购买价" in html
    assert "发起拼团" in html
    assert reverse("web:group_checkout", args=[activity.pk]) in html
    assert [row.group.id for row in response.context["open_groups"]] == [group.pk]
    assert "张**" in html and "张三丰" not in html  # the leader's name masked
    assert "还差 2 人成团" in html


def test_activity_page_counts_one_visit_per_visitor_and_day(client, activity):
    client.get(reverse("web:group_activity", args=[activity.pk]))
    client.get(reverse("web:group_activity", args=[activity.pk]))
    buyer = UserFactory()
    other = Client()
    other.force_login(buyer)
    other.get(reverse("web:group_activity", args=[activity.pk]))

    visits = ActivityVisit.objects.filter(kind=ActivityKind.GROUP, activity_id=activity.pk)
    assert visits.count() == 2
    assert visits.filter(visitor_key=f"u:{buyer.pk}", day=timezone.localdate()).exists()


@pytest.mark.parametrize(
    ("change", "state"),
    [
        ({"status": RunStatus.PAUSED}, "活动暂停中"),
        ({"status": RunStatus.ENDED}, "活动已结束"),
        ({"starts_at_in": timedelta(hours=2)}, "即将开始"),
    ],
)
def test_activity_page_offers_no_start_unless_running(client, activity, change, state):
    if "starts_at_in" in change:
        activity.starts_at = timezone.now() + change["starts_at_in"]
    else:
        activity.status = change["status"]
    activity.save()
    _group(activity, UserFactory())

    html = client.get(reverse("web:group_activity", args=[activity.pk])).content.decode()

    assert state in html
    assert "发起拼团" not in html
    assert "去参团" not in html


def test_activity_page_404s(client):
    assert client.get(reverse("web:group_activity", args=[999999])).status_code == 404
    assert client.get("/groups/99999999999999999999999/").status_code == 404


def test_activity_page_lists_my_groups(client, activity):
    buyer = UserFactory()
    mine = _group(activity, UserFactory(), buyer)
    client.force_login(buyer)

    html = client.get(reverse("web:group_activity", args=[activity.pk])).content.decode()

    assert "我的拼团" in html
    assert reverse("web:group_detail", args=[mine.pk]) in html


def test_distributor_sees_its_activity_link(client, activity, shop):
    client.force_login(shop.user)
    html = client.get(reverse("web:group_activity", args=[activity.pk])).content.decode()
    assert reverse("web:share_group_buy", args=[shop.code, activity.pk]) in html
    assert "一起拼玻尿酸精华，三人成团" in html


# --- one group --------------------------------------------------------------------------------------


def test_group_page_for_a_visitor(client, activity):
    group = _group(activity, UserFactory(nickname="张三丰"), UserFactory(nickname="李四"))
    visitor = UserFactory()
    client.force_login(visitor)

    response = client.get(reverse("web:group_detail", args=[group.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "拼团中" in html
    assert "还差 1 人成团" in html
    assert "剩余 19 小时" in html
    assert "张**" in html and "李*" in html
    assert "张三丰" not in html and "李四" not in html
    assert "团长" in html
    assert "参与拼团" in html
    assert f"group={group.pk}" in html or f'name="group" value="{group.pk}"' in html
    assert 'id="group-share"' not in html  # only members get the share hint
    assert ActivityVisit.objects.filter(activity_id=activity.pk, visitor_key=f"u:{visitor.pk}").count() == 1


def test_group_page_for_an_anonymous_visitor_asks_to_log_in(client, activity):
    group = _group(activity, UserFactory())
    html = client.get(reverse("web:group_detail", args=[group.pk])).content.decode()
    assert "参与拼团" in html
    assert reverse("web:login") + "?next=" in html


def test_group_page_for_a_member_shows_the_share_hint(client, activity):
    member = UserFactory(nickname="王五")
    group = _group(activity, UserFactory(), member)
    client.force_login(member)

    html = client.get(reverse("web:group_detail", args=[group.pk])).content.decode()

    assert "参与拼团" not in html
    assert "邀请好友参团" in html
    assert "一起拼玻尿酸精华，三人成团" in html  # the activity's share text
    assert reverse("web:group_detail", args=[group.pk]) in html
    assert "你已参团" in html
    assert "奖励" not in html and "红包" not in html  # no reward for sharing


def test_member_distributor_shares_its_own_link(client, activity, shop):
    group = _group(activity, shop.user)
    client.force_login(shop.user)
    html = client.get(reverse("web:group_detail", args=[group.pk])).content.decode()
    assert reverse("web:share_group", args=[shop.code, group.pk]) in html


def test_group_page_when_succeeded(client, activity):
    group = _group(activity, UserFactory(), UserFactory(), UserFactory(), status=Group.Status.SUCCEEDED)
    client.force_login(UserFactory())
    html = client.get(reverse("web:group_detail", args=[group.pk])).content.decode()
    assert "已成团" in html
    assert "参与拼团" not in html
    assert "我也开个团" in html


def test_group_page_when_failed_shows_refunded_members(client, activity):
    leader, member = UserFactory(), UserFactory()
    group = _group(activity, leader, member, status=Group.Status.FAILED, refunded=(leader, member))
    html = client.get(reverse("web:group_detail", args=[group.pk])).content.decode()
    assert "未成团" in html
    assert html.count("已退款") == 2
    assert "参与拼团" not in html


def test_group_page_past_its_deadline_takes_no_one(client, activity):
    group = _group(activity, UserFactory(), expires_in=timedelta(minutes=-5))
    client.force_login(UserFactory())
    html = client.get(reverse("web:group_detail", args=[group.pk])).content.decode()
    assert "拼团已截止" in html
    assert "参与拼团" not in html


def test_group_page_404(client):
    assert client.get(reverse("web:group_detail", args=[999999])).status_code == 404


# --- a distributor's links --------------------------------------------------------------------------


def test_group_link_binds_a_logged_in_visitor_and_goes_to_the_group(client, activity, shop):
    group = _group(activity, UserFactory())
    consumer = UserFactory()
    client.force_login(consumer)

    response = client.get(reverse("web:share_group", args=[shop.code, group.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("web:group_detail", args=[group.pk])
    assert Binding.objects.get(customer=consumer).distributor == shop
    assert Visit.objects.get(distributor=shop).visitor == consumer


def test_activity_link_remembers_the_code_of_an_anonymous_visitor(client, activity, shop):
    response = client.get(reverse("web:share_group_buy", args=[shop.code, activity.pk]), {"ch": "moments"})

    assert response.status_code == 302
    assert response["Location"] == reverse("web:group_activity", args=[activity.pk])
    assert client.session["ref_code"] == shop.code
    assert Visit.objects.get(distributor=shop).channel == "moments"


def test_links_404(client, activity, shop):
    group = _group(activity, UserFactory())
    assert client.get(reverse("web:share_group", args=["NOPE99", group.pk])).status_code == 404
    assert client.get(reverse("web:share_group", args=[shop.code, 999999])).status_code == 404
    assert client.get(reverse("web:share_group_buy", args=["NOPE99", activity.pk])).status_code == 404
    assert client.get(reverse("web:share_group_buy", args=[shop.code, 999999])).status_code == 404
    assert not Visit.objects.exists()


# --- checkout of a group order ------------------------------------------------------------------------


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="阿华", phone="13955550001")
    address_book.add_address(user=user, data=dict(BOOK_ADDRESS))
    client.force_login(user)
    return user


def _address_id(user) -> int:
    return Address.objects.get(user=user).pk


def test_checkout_needs_login(client, activity):
    url = reverse("web:group_checkout", args=[activity.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


def test_checkout_shows_the_group_price(client, activity, buyer):
    item = activity.items.get()
    response = client.get(reverse("web:group_checkout", args=[activity.pk]), {"item": item.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "发起拼团" in html
    assert "¥105.00" in html
    assert response.context["breakdown"]["goods_fen"] == 15000
    assert response.context["breakdown"]["activity"]["kind"] == "group"
    assert response.context["breakdown"]["total_fen"] == 10500 + response.context["breakdown"]["shipping_fen"]


def test_checkout_opens_a_group_and_goes_to_payment(client, activity, buyer):
    item = activity.items.get()
    url = reverse("web:group_checkout", args=[activity.pk])
    form = {"item": item.pk, "qty": 1, "token": "tok-1", "address_id": _address_id(buyer)}

    response = client.post(url, form)

    order = Order.objects.get(user=buyer)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:order_pay", args=[order.pk])
    assert (order.activity_kind, order.activity_id, order.hold) == ("group", activity.pk, Order.Hold.GROUP)
    assert ActivityOrder.objects.get(order_id=order.pk).join_group_id is None
    # The same form sent twice places one order.
    assert client.post(url, form)["Location"] == reverse("web:order_pay", args=[order.pk])
    assert Order.objects.filter(user=buyer).count() == 1


def test_checkout_joins_the_group_of_the_link(client, activity, buyer):
    group = _group(activity, UserFactory())
    item = activity.items.get()
    url = reverse("web:group_checkout", args=[activity.pk])

    html = client.get(url, {"item": item.pk, "group": group.pk}).content.decode()
    assert "参与拼团" in html
    response = client.post(
        url, {"item": item.pk, "group": group.pk, "qty": 1, "token": "tok-2", "address_id": _address_id(buyer)}
    )

    order = Order.objects.get(user=buyer)
    assert response["Location"] == reverse("web:order_pay", args=[order.pk])
    assert ActivityOrder.objects.get(order_id=order.pk).join_group_id == group.pk


def test_checkout_refuses_a_quantity_over_the_limit(client, activity, buyer):
    item = activity.items.get()
    response = client.post(
        reverse("web:group_checkout", args=[activity.pk]), {"item": item.pk, "qty": 5, "address_id": _address_id(buyer)}
    )
    assert response.status_code == 200
    assert "数量须为 1 到 1 之间的整数" in response.content.decode()
    assert not Order.objects.filter(user=buyer).exists()


def test_checkout_of_an_ended_activity_shows_the_refusal(client, activity, buyer):
    activity.status = RunStatus.ENDED
    activity.save()
    item = activity.items.get()
    response = client.post(
        reverse("web:group_checkout", args=[activity.pk]), {"item": item.pk, "qty": 1, "address_id": _address_id(buyer)}
    )
    assert response.status_code == 200
    assert 'id="checkout-error"' in response.content.decode()
    assert not Order.objects.filter(user=buyer).exists()


def test_checkout_404s(client, activity, buyer):
    assert client.get(reverse("web:group_checkout", args=[999999])).status_code == 404
    assert client.get(reverse("web:group_checkout", args=[activity.pk]), {"group": 999999}).status_code == 404


# --- the order's 等待成团 ------------------------------------------------------------------------------


def test_order_detail_says_waiting_for_the_group(client, buyer, serum, activity):
    order = OrderFactory(user=buyer, items=[(serum, 1)], paid=True)
    Order.objects.filter(pk=order.pk).update(hold=Order.Hold.GROUP, activity_kind="group", activity_id=activity.pk)

    html = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert "等待成团" in html
    assert reverse("web:group_activity", args=[activity.pk]) in html

    Order.objects.filter(pk=order.pk).update(hold="")
    html = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert "等待成团" not in html


# --- through the services: paying forms the group, the expiry job fails it ------------------------------


def _buy_through_the_page(client, user, activity, group=None) -> Order:
    address_book.add_address(user=user, data=dict(BOOK_ADDRESS))
    client.force_login(user)
    form = {"item": activity.items.get().pk, "qty": 1, "address_id": _address_id(user)}
    if group is not None:
        form["group"] = group.pk
    client.post(reverse("web:group_checkout", args=[activity.pk]), form)
    order = Order.objects.filter(user=user).latest("pk")
    order_services.pay_with_dev_provider(user=user, order_id=order.pk)
    return Order.objects.get(pk=order.pk)


def test_paid_group_orders_wait_for_the_group_then_fail_and_are_refunded(client, activity):
    leader, member = UserFactory(nickname="张三丰"), UserFactory(nickname="李四")
    first = _buy_through_the_page(client, leader, activity)
    group = Group.objects.get(leader=leader)

    html = client.get(reverse("web:order_detail", args=[first.pk])).content.decode()
    assert "等待成团" in html
    assert "邀请好友参团" in client.get(reverse("web:group_detail", args=[group.pk])).content.decode()

    second = _buy_through_the_page(client, member, activity, group)
    assert second.hold == Order.Hold.GROUP
    html = client.get(reverse("web:group_detail", args=[group.pk])).content.decode()
    assert "还差 1 人成团" in html

    group_orders.expire_groups(now=group.expires_at + timedelta(minutes=1))

    html = Client().get(reverse("web:group_detail", args=[group.pk])).content.decode()
    assert "未成团" in html
    assert html.count("已退款") == 2
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == Order.Status.CANCELLED
        assert order.refunded_fen == order.paid_fen == 10500 + order.shipping_fen
