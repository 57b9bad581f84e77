"""拼团 in a real browser.

(a) A group of three forms: the leader comes through a distributor's link to the activity, signs in,
opens a group (发起拼团) and pays with the development provider; the order waits for its group
(等待成团). Two more consumers open the group's share link, sign in, join (参与拼团) and pay; with the
third payment the group is 已成团, the orders may ship, the warehouse ships each one and the buyers see
已发货.

(b) A group fails: a leader and one member pay, the deadline passes and the expiry job runs; the group
page says 未成团, each member shows 已退款 and each order is cancelled with its whole amount back.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.distribution.models import Binding
from fenxiao.orders import services
from fenxiao.orders.models import Order
from fenxiao.orders.services.activities import groups as group_orders
from fenxiao.promotions.models import Group, GroupBuy, GroupBuyItem, GroupMember
from tests.e2e.conftest import PASSWORD, PHONE
from tests.factories import DistributorFactory, LevelFactory, ProductFactory, SkuFactory, StaffFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

GROUP_FEN = 10500  # the group price of the serum (¥150 alone)


def _activity():
    product = ProductFactory(name="玻尿酸精华")
    sku = SkuFactory(product=product, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000, stock=20)
    now = timezone.now()
    activity = GroupBuy.objects.create(
        name="精华三人团",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        group_size=3,
        hours=24,
        share_text="一起拼玻尿酸精华，三人成团",
    )
    GroupBuyItem.objects.create(activity=activity, sku=sku, price_fen=GROUP_FEN)
    return activity


def _consumer(nickname: str):
    user = UserFactory(nickname=nickname)
    address_book.add_address(user=user, data=dict(BOOK_ADDRESS))
    return user


def _new_page(browser):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _log_in_here(page, user) -> None:
    """The login page (reached from a button that needs an account): back where it came from after."""
    page.get_by_label("手机号", exact=True).fill(user.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _submit_and_pay(page) -> int:
    """On the group checkout: 提交订单, then pay with the development provider; returns the order id."""
    from playwright.sync_api import expect

    expect(page.locator("#checkout-address")).to_be_visible()
    expect(page.locator("#group-checkout-total")).to_contain_text("¥105.00")
    page.get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
    page.get_by_role("button", name=re.compile("确认支付")).click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    return int(re.search(r"/orders/(\d+)/$", page.url).group(1))


def _join(browser, link: str, user, artifacts, name: str):
    """A consumer opens the group's share link, signs in, joins and pays."""
    from playwright.sync_api import expect

    page = _new_page(browser)
    page.goto(link)
    expect(page.locator("#group-status")).to_have_text("拼团中")
    page.get_by_role("link", name="参与拼团").click()
    _log_in_here(page, user)
    expect(page).to_have_url(re.compile(r"/groups/g/\d+/$"))
    page.screenshot(path=str(artifacts / f"e2e-group-{name}-join.png"), full_page=True)
    page.get_by_role("button", name="参与拼团").click()
    expect(page.get_by_role("heading", name="参与拼团")).to_be_visible()
    order_id = _submit_and_pay(page)
    return page, order_id


def test_three_consumers_form_a_group_and_receive_it(live_server, browser, artifacts):
    from playwright.sync_api import expect

    activity = _activity()
    shop = DistributorFactory(user=UserFactory(nickname="小美"), level=LevelFactory(name="普通分销商", rank=1))
    leader, second, third = _consumer("张三丰"), _consumer("李四"), _consumer("王五")
    operator = StaffFactory()
    base = live_server.url

    # The leader: through the distributor's link to the activity, then signs in (and is bound).
    page = _new_page(browser)
    page.goto(f"{base}/s/{shop.code}/gb/{activity.pk}?ch=wechat")
    expect(page).to_have_url(re.compile(rf"/groups/{activity.pk}/$"))
    expect(page.get_by_role("heading", name="精华三人团")).to_be_visible()
    expect(page.locator("#group-buy-head")).to_contain_text("3人团")
    item = page.locator(f"#group-buy-item-{activity.items.get().pk}")
    expect(item.locator(".group-price")).to_have_text("¥105.00")
    expect(item.locator(".group-single-price")).to_have_text("¥150.00")
    page.screenshot(path=str(artifacts / "e2e-group-1-activity.png"), full_page=True)
    page.get_by_role("button", name="发起拼团").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    _log_in_here(page, leader)
    expect(page.get_by_role("heading", name="发起拼团")).to_be_visible()
    assert Binding.objects.get(customer=leader).distributor == shop
    page.screenshot(path=str(artifacts / "e2e-group-2-checkout.png"), full_page=True)
    first_id = _submit_and_pay(page)
    expect(page.locator("#order-status")).to_have_text("待发货")
    expect(page.locator("#order-hold")).to_have_text("等待成团")

    # From the order to the group: its share hint with the group's link.
    page.locator("#order-group-link").click()
    group = Group.objects.get(leader=leader)
    page.locator(f"#my-group-{group.pk}").click()
    expect(page.locator("#group-status")).to_have_text("拼团中")
    expect(page.locator("#group-seats")).to_contain_text("还差 2 人成团")
    expect(page.locator("#group-share-text")).to_have_text("一起拼玻尿酸精华，三人成团")
    link = page.locator("#group-share-link").inner_text().strip()
    assert link.endswith(f"/groups/g/{group.pk}/")
    page.screenshot(path=str(artifacts / "e2e-group-3-shared.png"), full_page=True)

    # Two friends join through that link.
    second_page, second_id = _join(browser, link, second, artifacts, "second")
    expect(second_page.locator("#order-hold")).to_have_text("等待成团")
    third_page, third_id = _join(browser, link, third, artifacts, "third")
    expect(third_page.locator("#order-status")).to_have_text("待发货")
    expect(third_page.locator("#order-hold")).to_have_count(0)

    # The group is complete: 已成团 for everyone, with three members masked.
    page.reload()
    expect(page.locator("#group-status")).to_have_text("已成团")
    expect(page.locator(".group-member")).to_have_count(3)
    expect(page.locator("#group-members")).to_contain_text("张**")
    expect(page.locator("#group-members")).not_to_contain_text("张三丰")
    page.screenshot(path=str(artifacts / "e2e-group-4-formed.png"), full_page=True)

    orders = list(Order.objects.filter(pk__in=[first_id, second_id, third_id]).order_by("pk"))
    assert [(o.status, o.hold, o.activity_kind) for o in orders] == [(Order.Status.PAID, "", "group")] * 3
    assert all(o.goods_fen - o.discount_fen == GROUP_FEN for o in orders)
    assert orders[0].distributor_id == shop.pk

    # The warehouse ships each order; the buyers see 已发货.
    for order in orders:
        services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰速运", tracking_number=f"SF{order.pk:010d}")
    for buyer_page, order_id in ((page, first_id), (third_page, third_id)):
        buyer_page.goto(f"{base}/orders/{order_id}/")
        expect(buyer_page.locator("#order-status")).to_have_text("已发货")
    third_page.screenshot(path=str(artifacts / "e2e-group-5-shipped.png"), full_page=True)


def test_a_group_that_does_not_fill_fails_and_refunds_everyone(live_server, browser, artifacts):
    from playwright.sync_api import expect

    activity = _activity()
    leader, member = _consumer("张三丰"), _consumer("李四")
    base = live_server.url

    page = _new_page(browser)
    page.goto(f"{base}/groups/{activity.pk}/")
    page.get_by_role("button", name="发起拼团").click()
    _log_in_here(page, leader)
    first_id = _submit_and_pay(page)
    expect(page.locator("#order-hold")).to_have_text("等待成团")
    group = Group.objects.get(leader=leader)

    member_page, second_id = _join(browser, f"{base}/groups/g/{group.pk}/", member, artifacts, "failing")
    expect(member_page.locator("#order-hold")).to_have_text("等待成团")

    # The deadline passes; the expiry job runs.
    group.refresh_from_db()
    group_orders.expire_groups(now=group.expires_at + timedelta(minutes=1))

    page.goto(f"{base}/groups/g/{group.pk}/")
    expect(page.locator("#group-status")).to_have_text("未成团")
    expect(page.locator(".group-member", has_text="已退款")).to_have_count(2)
    page.screenshot(path=str(artifacts / "e2e-group-6-failed.png"), full_page=True)

    for buyer_page, order_id in ((page, first_id), (member_page, second_id)):
        order = Order.objects.get(pk=order_id)
        assert order.status == Order.Status.CANCELLED
        assert order.paid_fen == order.total_fen > 0
        assert order.refunded_fen == order.paid_fen
        buyer_page.goto(f"{base}/orders/{order_id}/")
        expect(buyer_page.locator("#order-status")).to_have_text("已取消")
        expect(buyer_page.locator("#price-breakdown")).to_contain_text("已退款")
        expect(buyer_page.locator("#price-breakdown")).to_contain_text(
            f"¥{order.refunded_fen // 100}.{order.refunded_fen % 100:02d}"
        )
    member_page.screenshot(path=str(artifacts / "e2e-group-7-refunded.png"), full_page=True)
    assert set(GroupMember.objects.filter(group=group).values_list("status", flat=True)) == {GroupMember.Status.REFUNDED}
