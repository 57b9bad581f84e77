"""A campaign shared by a distributor, in a real browser: a consumer opens the distributor's link to the
campaign, signs in, claims the campaign's coupon on the landing page, goes to a product of its timed
discount and buys it now; on checkout the 满减 and the best coupon are applied by themselves and the
consumer switches on 使用积分; after paying with the development provider, the order page shows each
discount. The distributor's commission is then worked out on what the line really paid (list price less
every discount) and the buyer is bound to the distributor."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.commissions.models import Commission
from fenxiao.distribution.models import Binding
from fenxiao.members import services as members
from fenxiao.members.models import PointsAccount, PointsSource
from fenxiao.orders.models import Order
from fenxiao.promotions.models import Campaign, Coupon, UserCoupon
from fenxiao.promotions.services import campaigns, coupons, rules
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
    accrue_commissions,
)

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "pass-1234"
LIST_FEN = 25000  # the scarf's retail price
TIMED_FEN = 2500  # 9 折 in the campaign's timed discount
REDUCTION_FEN = 2000  # 满 ¥199 减 ¥20
COUPON_FEN = 3000  # the claimed coupon: 满 ¥200 减 ¥30 (a ¥5 one is held too, and loses)
POINTS = 1000  # the consumer's whole balance: 100 points = ¥1, so ¥10 off
POINTS_FEN = 1000
PAID_FEN = LIST_FEN - TIMED_FEN - REDUCTION_FEN - COUPON_FEN - POINTS_FEN


def _campaign(operator, product, sku):
    """双12 年终大促, running: a 满减送 over the whole shop, a claimable coupon (7 days after claiming)
    and 9 折 on the scarf."""
    now = timezone.now()
    starts_at, ends_at = now - timedelta(hours=2), now + timedelta(days=5)
    claimable = rules.save_coupon(
        actor=operator,
        name="双12 满 ¥200 减 ¥30",
        scope="all",
        kind="amount",
        amount_fen=COUPON_FEN,
        threshold_fen=20000,
        validity=Coupon.Validity.DAYS,
        valid_days=7,
        claim_starts_at=starts_at,
        claim_ends_at=ends_at,
        total_quantity=100,
        per_person_limit=1,
        claimable=True,
    )
    reduction = rules.save_full_reduction(
        actor=operator,
        name="双12 满减",
        scope="all",
        basis="amount",
        starts_at=starts_at,
        ends_at=ends_at,
        tiers=[{"threshold": 19900, "amount_off_fen": REDUCTION_FEN}, {"threshold": 39900, "amount_off_fen": 5000}],
    )
    timed = rules.save_timed_discount(
        actor=operator,
        name="双12 限时 9 折",
        starts_at=starts_at,
        ends_at=ends_at,
        items=[{"sku_id": sku.pk, "mode": "percent", "percent_off_bp": 1000}],
    )
    return campaigns.save_campaign(
        campaign=Campaign(name="双12 年终大促", starts_at=starts_at, ends_at=ends_at, description="全场满减，领券再减"),
        actor=operator,
        coupons=[claimable],
        full_reductions=[reduction],
        timed_discounts=[timed],
    ), claimable


def test_a_consumer_buys_in_a_shared_campaign_with_reduction_coupon_and_points(live_server, phone_page, artifacts):
    from playwright.sync_api import expect

    operator = StaffFactory()
    level = LevelFactory(name="普通分销商", rank=1, direct_rate_bp=1500, indirect_rate_bp=500)
    shop = DistributorFactory(user=UserFactory(nickname="小美"), level=level)
    scarf = ProductFactory(name="羊绒围巾", subtitle="内蒙古山羊绒", category=CategoryFactory(name="服饰", slug="apparel"))
    sku = SkuFactory(
        product=scarf, spec="燕麦色", retail_fen=LIST_FEN, suggested_retail_fen=LIST_FEN, control_fen=20000, stock=10
    )
    campaign, claimable = _campaign(operator, scarf, sku)

    consumer = UserFactory(nickname="阿华")
    address_book.add_address(user=consumer, data=dict(BOOK_ADDRESS))
    members.grant(consumer.pk, POINTS, PointsSource.GRANT, "e2e:points", operator, note="积分活动")
    small = rules.save_coupon(
        actor=operator,
        name="无门槛 ¥5",
        scope="all",
        kind="amount",
        amount_fen=500,
        validity=Coupon.Validity.DAYS,
        valid_days=7,
        total_quantity=10,
        per_person_limit=1,
        claimable=False,
    )
    coupons.issue(coupon_id=small.pk, user_ids=[consumer.pk], actor=operator)
    page = phone_page
    base = live_server.url

    # The distributor's link to the campaign: the landing page, from 小美's shop.
    page.goto(f"{base}/s/{shop.code}/c/{campaign.pk}")
    expect(page.get_by_role("heading", name="双12 年终大促")).to_be_visible()
    expect(page.locator("#campaign-shop")).to_contain_text("小美")
    expect(page.locator("#campaign-state")).to_contain_text("进行中")
    expect(page.locator("#campaign-reductions")).to_contain_text("满 ¥199 减 ¥20")
    card = page.locator(f"#campaign-coupon-{claimable.pk}")
    expect(card).to_contain_text("双12 满 ¥200 减 ¥30")
    page.screenshot(path=str(artifacts / "e2e-promo-1-landing.png"), full_page=True)

    # 领取 asks a visitor to sign in first, then brings them back to the landing page.
    card.get_by_role("link", name="领取").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("手机号", exact=True).fill(consumer.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(rf"/s/{shop.code}/c/{campaign.pk}$"))
    assert Binding.objects.get(customer=consumer).distributor == shop

    card.get_by_role("button", name="领取").click()
    expect(page.get_by_role("status")).to_contain_text("领取成功")
    held = UserCoupon.objects.get(user=consumer, coupon=claimable)
    assert (held.status, held.source) == ("available", "claim")
    page.screenshot(path=str(artifacts / "e2e-promo-2-claimed.png"), full_page=True)

    # The scarf, from the campaign's deals, at 9 折; bought now.
    deals = page.locator("#campaign-deals")
    expect(deals).to_contain_text("¥225.00")
    deals.get_by_role("link", name=re.compile("羊绒围巾")).click()
    expect(page).to_have_url(re.compile(rf"/s/{shop.code}/p/{scarf.pk}"))
    expect(page.get_by_role("heading", name="羊绒围巾")).to_be_visible()
    page.get_by_role("button", name="立即购买").click()

    # Checkout: the 满减 and the best coupon (¥30, not the ¥5 one) apply by themselves.
    expect(page).to_have_url(re.compile(r"/checkout/"))
    bill = page.locator("#price-breakdown")
    expect(page.locator("#checkout-coupon")).to_contain_text("双12 满 ¥200 减 ¥30")
    expect(bill.locator("[data-stage=full_reduction]")).to_contain_text("-¥20.00")
    expect(bill.locator("[data-stage=coupon]")).to_contain_text("-¥30.00")
    expect(bill.locator("[data-stage=points]")).to_have_count(0)
    page.screenshot(path=str(artifacts / "e2e-promo-3-checkout.png"), full_page=True)

    # 使用积分: the whole balance (within half of the goods) comes off as well.
    points_cell = page.locator("#checkout-points")
    expect(points_cell).to_contain_text(f"可用 {POINTS} 积分")
    points_cell.get_by_label("使用积分").check()
    apply = points_cell.get_by_role("button", name="确定")
    if apply.is_visible():  # without JavaScript the switch is applied with 确定
        apply.click()
    expect(page).to_have_url(re.compile(r"[?&]points=all"))
    expect(bill.locator("[data-stage=points]")).to_contain_text("-¥10.00")
    expect(page.locator(".app-paybar__sum")).to_contain_text(f"¥{PAID_FEN / 100:.2f}")
    page.screenshot(path=str(artifacts / "e2e-promo-4-checkout-points.png"), full_page=True)
    page.get_by_role("button", name="提交订单").click()

    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))
    expect(page.locator("#pay-amount")).to_have_text(f"¥{PAID_FEN / 100:.2f}")
    page.get_by_role("button", name=re.compile("确认支付")).click()

    # The order page: every discount on its own row, and what was paid.
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator("#order-status")).to_have_text("待发货")
    rows = page.locator(".app-bill__discount")
    expect(rows.filter(has_text="满减")).to_contain_text("-¥20.00")
    expect(rows.filter(has_text="优惠券")).to_contain_text("-¥30.00")
    expect(rows.filter(has_text="积分抵扣")).to_contain_text("-¥10.00")
    expect(rows.filter(has_text="限时折扣")).to_contain_text("-¥25.00")
    expect(page.get_by_role("status")).to_have_count(0, timeout=8_000)
    page.screenshot(path=str(artifacts / "e2e-promo-5-order.png"), full_page=True)

    order = Order.objects.get(user=consumer)
    line = order.lines.get()
    assert (order.status, order.distributor_id, order.points_used) == (Order.Status.PAID, shop.pk, POINTS)
    assert (order.goods_fen, order.discount_fen, order.total_fen) == (LIST_FEN, LIST_FEN - PAID_FEN, PAID_FEN)
    assert line.paid_fen == PAID_FEN
    held.refresh_from_db()
    assert held.status == "used" and order.user_coupon_id == held.pk
    assert UserCoupon.objects.get(user=consumer, coupon=small).status == "available"
    assert PointsAccount.objects.get(user=consumer).available == 0

    # The distributor earns on what the buyer paid for the line, not on the list price.
    accrue_commissions()
    commission = Commission.objects.get(order=order, depth=1)
    assert commission.distributor == shop and commission.order_line == line
    assert commission.base_fen == line.paid_fen == PAID_FEN
    assert commission.amount_fen == PAID_FEN * 1500 // 10000
    assert not Commission.objects.filter(order=order, depth=2).exists()  # 小美 has no inviter
    assert Binding.objects.get(customer=consumer).distributor == shop
