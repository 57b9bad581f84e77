"""The price on the buying pages: each stage of the breakdown on cart, checkout and the order, the
coupon picked at checkout (the best one by default, another one, none), coupons that cannot be used
and why, and products that are not delivered to the buyer's province."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.catalog.models import ShippingRate, ShippingTemplate
from fenxiao.orders import services
from fenxiao.orders.models import Order, OrderLineAdjustment
from fenxiao.promotions.models import (
    Coupon,
    FullReduction,
    FullReductionTier,
    QuantityTier,
    TimedDiscount,
    TimedDiscountItem,
    UserCoupon,
)
from tests.factories import OrderFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

ZHEJIANG = "33"  # the province of BOOK_ADDRESS


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="阿华", phone="13955550001")
    client.force_login(user)
    return user


@pytest.fixture
def book(buyer):
    """The buyer's default address, in 浙江省."""
    return address_book.add_address(user=buyer, data=dict(BOOK_ADDRESS))


@pytest.fixture
def serum():
    """¥150, 10 in stock."""
    return SkuFactory(product=ProductFactory(name="玻尿酸精华"), spec="30ml", retail_fen=15000, control_fen=12000, stock=10)


@pytest.fixture
def nuts():
    """¥50, 20 in stock."""
    return SkuFactory(product=ProductFactory(name="每日坚果"), spec="礼盒", retail_fen=5000, control_fen=4500, stock=20)


def coupon(name, *, amount_fen=1000, threshold_fen=0, products=()) -> Coupon:
    now = timezone.now()
    row = Coupon.objects.create(
        name=name,
        kind="amount",
        amount_fen=amount_fen,
        threshold_fen=threshold_fen,
        scope="products" if products else "all",
        validity="dates",
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
        total_quantity=100,
        per_person_limit=5,
    )
    if products:
        row.products.set(products)
    return row


def give(user, c: Coupon, *, valid_from=None, days=7) -> UserCoupon:
    now = timezone.now()
    return UserCoupon.objects.create(
        coupon=c,
        user=user,
        seq=UserCoupon.objects.filter(coupon=c, user=user).count() + 1,
        source="issue",
        valid_from=valid_from or now - timedelta(minutes=1),
        valid_until=now + timedelta(days=days),
    )


@pytest.fixture
def wallet(buyer, nuts):
    """Two usable coupons on a ¥150 order (¥30 from ¥100, ¥10 without threshold) and three that are
    not: a threshold not met, a coupon for another product, one that starts tomorrow."""
    return {
        "big": give(buyer, coupon("满100减30", amount_fen=3000, threshold_fen=10000)),
        "small": give(buyer, coupon("无门槛10元", amount_fen=1000)),
        "far": give(buyer, coupon("满500减50", amount_fen=5000, threshold_fen=50000)),
        "other": give(buyer, coupon("坚果专享券", amount_fen=500, products=[nuts.product])),
        "later": give(buyer, coupon("明日券", amount_fen=2000), valid_from=timezone.now() + timedelta(days=1)),
    }


def html_of(response) -> str:
    assert response.status_code == 200, response
    return response.content.decode()


def checkout(client, **params):
    return html_of(client.get(reverse("web:checkout"), params))


def option(html: str, held: UserCoupon) -> str:
    """The markup of one coupon of the checkout list."""
    found = re.search(rf'<(label|div) class="[^"]*"[^>]*id="coupon-option-{held.pk}".*?</div>\s*</(label|div)>', html, re.S)
    assert found, f"coupon {held.pk} is not listed"
    return found.group(0)


def summary(html: str) -> str:
    return re.search(r'<summary[^>]*id="checkout-coupon".*?</summary>', html, re.S).group(0)


def checked(html: str) -> list[str]:
    return re.findall(r'name="coupon" value="(\w+)" id="coupon-\w+" form="checkout-coupon-form" checked', html)


# --- the coupon at checkout -------------------------------------------------------------------------


def test_checkout_lists_usable_and_unusable_coupons_and_picks_the_best(client, buyer, book, serum, wallet):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = checkout(client)
    assert "满100减30" in summary(html) and "-¥30.00" in summary(html)
    # usable: a radio with what each would take off; the best is picked
    assert "-¥30.00" in option(html, wallet["big"]) and 'type="radio"' in option(html, wallet["big"])
    assert "-¥10.00" in option(html, wallet["small"]) and 'type="radio"' in option(html, wallet["small"])
    assert checked(html) == [str(wallet["big"].pk)]
    # not usable: greyed, no radio, with the reason
    far, other, later = option(html, wallet["far"]), option(html, wallet["other"]), option(html, wallet["later"])
    for row in (far, other, later):
        assert "weui-cell_disabled" in row and 'type="radio"' not in row
    assert "适用商品满 ¥500.00 可用，还差 ¥350.00" in far
    assert "订单中没有适用的商品" in other
    assert "起可用" in later
    assert 'value="none" id="coupon-none"' in html and "不使用优惠券" in html
    # the form carries no coupon: placing the order takes the best again
    assert not re.search(r'<input type="hidden" name="coupon"', html)
    # the bill: the coupon row with its name, 150 − 30, shipping free from ¥99
    assert re.search(r'data-stage="coupon">.*?优惠券.*?满100减30.*?-¥30\.00', html, re.S)
    assert "¥120.00" in html and "本单包邮" in html
    # the list works without JavaScript: a GET form carrying the address
    assert f'<form id="checkout-coupon-form" method="get" action="{reverse("web:checkout")}" hidden>' in html
    assert f'name="address" value="{book.pk}"' in html


def test_switching_to_another_coupon_requotes(client, buyer, book, serum, wallet):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = checkout(client, coupon=wallet["small"].pk, address=book.pk)
    assert "无门槛10元" in summary(html) and "-¥10.00" in summary(html)
    assert checked(html) == [str(wallet["small"].pk)]
    assert f'<input type="hidden" name="coupon" value="{wallet["small"].pk}">' in html
    assert "¥140.00" in html and "满100减30" not in re.search(
        r'id="price-breakdown".*?</div>\s*</div>\s*</div>', html, re.S
    ).group(0)


def test_no_coupon(client, buyer, book, serum, wallet):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = checkout(client, coupon="none")
    assert "不使用优惠券" in summary(html)
    assert checked(html) == ["none"]
    assert '<input type="hidden" name="coupon" value="none">' in html
    assert 'data-stage="coupon"' not in html and "¥150.00" in html


def test_buy_now_keeps_the_item_when_switching(client, buyer, book, serum, wallet):
    html = checkout(client, sku=serum.pk, qty=2, coupon=wallet["small"].pk)
    form = re.search(r'<form id="checkout-coupon-form".*?</form>', html, re.S).group(0)
    assert f'name="sku" value="{serum.pk}"' in form and 'name="qty" value="2"' in form
    assert "¥290.00" in html  # 2 × 150 − 10


def test_an_unusable_coupon_picked_says_why_and_falls_back_to_the_list(client, buyer, book, serum, wallet):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = checkout(client, coupon=wallet["far"].pk)
    assert re.search(r'id="checkout-error">适用商品满 ¥500.00 可用，还差 ¥350.00<', html)
    assert re.search(r'<details class="weui-cells app-coupons" id="checkout-coupons" open>', html)
    assert checked(html) == [str(wallet["big"].pk)]  # priced with the best one meanwhile
    assert not re.search(r'<input type="hidden" name="coupon"', html)
    # somebody else's coupon, or one that does not exist, is not offered either
    stranger = give(UserFactory(), coupon("别人的券"))
    html = checkout(client, coupon=stranger.pk)
    assert "这张优惠券不存在、已使用或已过期" in html and "别人的券" not in html


def test_without_coupons_the_cell_says_so(client, buyer, book, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = checkout(client)
    assert "你还没有优惠券" in html and 'id="checkout-coupon-form"' not in html


# --- placing the order ----------------------------------------------------------------------------


def post_checkout(client, book, **fields):
    return client.post(reverse("web:checkout"), {"address_id": book.pk, "note": "", "token": "tok-c", **fields})


def test_the_order_takes_the_best_coupon_by_default(client, buyer, book, serum, wallet):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    response = post_checkout(client, book)
    order = Order.objects.get(user=buyer)
    assert response.status_code == 302 and response["Location"] == reverse("web:order_pay", args=[order.pk])
    assert order.user_coupon_id == wallet["big"].pk and order.total_fen == 12000
    wallet["big"].refresh_from_db()
    assert wallet["big"].status == UserCoupon.Status.RESERVED
    assert order.price_breakdown["coupon"]["name"] == "满100减30"


def test_the_order_takes_the_coupon_picked(client, buyer, book, serum, wallet):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    post_checkout(client, book, coupon=wallet["small"].pk)
    order = Order.objects.get(user=buyer)
    assert (order.user_coupon_id, order.discount_fen, order.total_fen) == (wallet["small"].pk, 1000, 14000)
    wallet["small"].refresh_from_db()
    wallet["big"].refresh_from_db()
    assert wallet["small"].status == UserCoupon.Status.RESERVED
    assert wallet["big"].status == UserCoupon.Status.AVAILABLE
    adjustment = OrderLineAdjustment.objects.get(line__order=order)
    assert (adjustment.stage, adjustment.amount_fen, adjustment.label) == ("coupon", 1000, "无门槛10元")


def test_the_order_without_a_coupon(client, buyer, book, serum, wallet):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    post_checkout(client, book, coupon="none")
    order = Order.objects.get(user=buyer)
    assert order.user_coupon_id is None and order.total_fen == 15000
    assert not UserCoupon.objects.filter(status=UserCoupon.Status.RESERVED).exists()


def test_a_coupon_used_meanwhile_is_refused_and_the_list_shown_again(client, buyer, book, serum, wallet):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    UserCoupon.objects.filter(pk=wallet["small"].pk).update(status=UserCoupon.Status.USED, order_reference="other-order")
    response = post_checkout(client, book, coupon=wallet["small"].pk)
    html = html_of(response)
    assert "这张优惠券不存在、已使用或已过期" in html
    assert re.search(r'id="checkout-coupons" open>', html)
    assert not Order.objects.filter(user=buyer).exists()


# --- the breakdown on every page ----------------------------------------------------------------


@pytest.fixture
def every_stage(buyer, nuts):
    """3 × ¥50 nuts: 20% off (限时折扣) → ¥40, 3 pieces 5% off (阶梯价) → ¥38 = ¥114; 满 ¥100 减 ¥10
    with free shipping → ¥104; a ¥10 coupon → ¥94, shipping free through the 满减送 tier."""
    now = timezone.now()
    timed = TimedDiscount.objects.create(
        name="双十二限时折扣", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1)
    )
    TimedDiscountItem.objects.create(discount=timed, sku=nuts, mode="percent", percent_off_bp=2000)
    QuantityTier.objects.create(sku=nuts, min_quantity=3, percent_off_bp=500)
    rule = FullReduction.objects.create(
        name="满100减10包邮", basis="amount", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1)
    )
    FullReductionTier.objects.create(rule=rule, threshold=10000, amount_off_fen=1000, free_shipping=True)
    give(buyer, coupon("无门槛10元", amount_fen=1000))
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=3)


STAGE_ROWS = [
    ("timed", "限时折扣", "双十二限时折扣", "-¥30.00"),
    ("tier", "阶梯价", "满 3 件 9.5 折", "-¥6.00"),
    ("full_reduction", "满减", "满100减10包邮", "-¥10.00"),
    ("coupon", "优惠券", "无门槛10元", "-¥10.00"),
]


def assert_stage_rows(html: str) -> None:
    positions = []
    for stage, title, rule, amount in STAGE_ROWS:
        row = re.search(rf'<div class="weui-cell app-bill__discount" data-stage="{stage}">(.*?)</div>\s*</div>', html, re.S)
        assert row, stage
        assert title in row.group(1) and rule in row.group(1) and amount in row.group(1), row.group(1)
        positions.append(row.start())
    assert positions == sorted(positions)  # in the order the stages apply
    assert re.search(r'运费</div>\s*<div class="weui-cell__ft"><span class="app-bill__free">满减包邮</span>', html)


def test_cart_shows_each_stage(client, buyer, every_stage):
    html = html_of(client.get(reverse("web:cart")))
    assert_stage_rows(html)
    assert "¥94.00" in html and "¥150.00" in html
    assert "优惠 ¥56.00，小计 ¥94.00" in html  # what the line costs after every stage


def test_checkout_and_the_order_show_each_stage(client, buyer, book, every_stage):
    html = checkout(client)
    assert_stage_rows(html)
    assert "优惠 ¥56.00，小计 ¥94.00" in html
    post_checkout(client, book)
    order = Order.objects.get(user=buyer)
    assert (order.goods_fen, order.discount_fen, order.shipping_fen, order.total_fen) == (15000, 5600, 0, 9400)
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    assert_stage_rows(html)
    assert "优惠 ¥56.00 · 小计 ¥94.00" in html  # unpaid: what the line comes to
    orders = html_of(client.get(reverse("web:orders")))
    assert "优惠后 ¥94.00" in orders


def test_an_order_kept_before_the_stages_still_shows_its_breakdown(client, buyer, serum):
    order = OrderFactory(user=buyer, items=[(serum, 1)])
    Order.objects.filter(pk=order.pk).update(
        price_breakdown={
            "goods_fen": 15000,
            "discounts": [{"code": "opening", "label": "开业立减", "amount_fen": 500}],
            "shipping_fen": 0,
            "total_fen": 14500,
        }
    )
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    assert re.search(r'<div class="weui-cell app-bill__discount">\s*<div class="weui-cell__bd">\s*开业立减', html)
    assert "-¥5.00" in html and "¥145.00" in html


# --- not delivered, nothing to pay ---------------------------------------------------------------


@pytest.fixture
def remote():
    """A product whose shipping template does not deliver to 浙江省."""
    template = ShippingTemplate.objects.create(name="偏远不发", excluded_provinces=[ZHEJIANG])
    ShippingRate.objects.create(template=template, provinces=[], first_units=1, first_fen=800)
    return SkuFactory(product=ProductFactory(name="冰鲜海鲜", shipping_template=template), retail_fen=8000, stock=10)


def test_a_product_not_delivered_to_the_province_is_marked_and_refused(client, buyer, book, serum, remote):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    services.add_to_cart(user=buyer, sku_id=remote.pk, quantity=1)
    cart = html_of(client.get(reverse("web:cart")))
    assert re.search(rf'id="cart-line-{remote.pk}".*?不配送至该地区', cart, re.S)
    html = checkout(client)
    line = re.search(rf'<div class="[^"]*" id="checkout-line-{remote.pk}".*?</div>\s*</div>\s*</div>', html, re.S).group(0)
    assert "不配送至该地区" in line and "app-line_off" in line
    serum_line = re.search(rf'<div class="[^"]*" id="checkout-line-{serum.pk}".*?</div>\s*</div>\s*</div>', html, re.S).group(0)
    assert "不配送至该地区" not in serum_line
    assert "部分商品不配送到所选地区" in html
    assert re.search(r'<button type="submit" class="[^"]*weui-btn_disabled"\s*disabled>提交订单</button>', html)
    # the form sent anyway is refused with the same reason
    response = post_checkout(client, book)
    assert "部分商品不配送到所选地区，请更换收货地址或移除这些商品" in html_of(response)
    assert not Order.objects.filter(user=buyer).exists()


def test_a_new_address_in_a_province_not_delivered_to_is_refused(client, buyer, remote):
    services.add_to_cart(user=buyer, sku_id=remote.pk, quantity=1)
    assert "不配送至该地区" not in checkout(client)  # no address yet: nothing to refuse
    response = client.post(reverse("web:checkout"), {**BOOK_ADDRESS, "note": "", "token": "tok-n"})
    html = html_of(response)
    assert "部分商品不配送到所选地区" in html and "不配送至该地区" in html
    assert not Order.objects.filter(user=buyer).exists()


def test_nothing_to_pay_is_refused(client, buyer, book, serum):
    now = timezone.now()
    rule = FullReduction.objects.create(name="全场包邮", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    FullReductionTier.objects.create(rule=rule, threshold=1, free_shipping=True)
    give(buyer, coupon("150元券", amount_fen=15000))
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = checkout(client)
    assert "订单应付金额须大于 0" in html and re.search(r"disabled>提交订单</button>", html)
    response = post_checkout(client, book)
    assert "订单应付金额须大于 0" in html_of(response)
    assert not Order.objects.filter(user=buyer).exists()
    # without the coupon there is something to pay again
    assert "订单应付金额须大于 0" not in checkout(client, coupon="none")
