"""Points and 满减送 gifts on the buying pages: the 积分 cell of checkout (the offer, the 使用积分 switch
re-pricing without JavaScript, an order placed with points, a refusal), the points an order earns, the
gifts and gift coupons on cart and checkout, gift lines on the order page (no after-sale on them) and
the points rows of the order's bill."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.members import selectors as member_selectors
from fenxiao.members.errors import MemberCode, MemberError
from fenxiao.members.models import MemberSettings
from fenxiao.members.services import points as member_points
from fenxiao.orders import services
from fenxiao.orders.errors import OrderCode, OrderError
from fenxiao.orders.models import Order
from fenxiao.promotions.tests.conftest import make_coupon, make_reduction
from tests.factories import OrderFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="阿华", phone="13955550002")
    client.force_login(user)
    return user


@pytest.fixture
def book(buyer):
    return address_book.add_address(user=buyer, data=dict(BOOK_ADDRESS))


@pytest.fixture
def rules(db):
    """100 points take ¥1 off, at most 20% of the goods; ¥1 paid earns 1 point."""
    MemberSettings.objects.update_or_create(
        pk=1, defaults={"points_per_yuan_off": 100, "max_points_share_bp": 2000, "earn_points_per_yuan": 1}
    )


@pytest.fixture
def serum():
    """¥150, 10 in stock."""
    return SkuFactory(product=ProductFactory(name="玻尿酸精华"), spec="30ml", retail_fen=15000, control_fen=12000, stock=10)


@pytest.fixture
def rich(buyer, rules):
    """5000 points (¥50): on a ¥150 order at most 3000 of them (¥30, the 20% cap) may be used."""
    member_points.grant(buyer.pk, 5000, reference="checkout-points")
    return buyer


def html_of(response) -> str:
    assert response.status_code == 200, response
    return response.content.decode()


def checkout(client, **params) -> str:
    return html_of(client.get(reverse("web:checkout"), params))


def points_cell(html: str) -> str:
    found = re.search(r'<div class="weui-cells app-points" id="checkout-points">.*?</div>\s*</div>\s*\n', html, re.S)
    assert found, "no points cell"
    return found.group(0)


def hidden_points(html: str) -> str:
    return re.search(r'<input type="hidden" name="points" value="(\w*)">', html).group(1)


def total(html: str) -> str:
    return re.search(r'app-paybar__sum">.*?<strong class="app-price">([^<]+)</strong>', html, re.S).group(1)


def balance(user) -> int:
    return member_selectors.spendable_points(user.pk, timezone.now())


def post_checkout(client, book, sku, **fields):
    data = {"sku": sku.pk, "qty": 1, "address_id": book.pk, "token": fields.pop("token", "t-points"), **fields}
    return client.post(reverse("web:checkout"), data)


# --- the points cell ------------------------------------------------------------------------------


def test_checkout_offers_the_points_switched_off(client, rich, book, serum):
    html = checkout(client, sku=serum.pk, qty=1)
    cell = points_cell(html)
    assert "可用 5000 积分，本单最多抵 ¥30.00" in cell
    assert "使用积分" in cell
    switch = re.search(r'<input id="id_use_points"[^>]*>', cell).group(0)
    assert 'name="points" value="all"' in switch and 'form="checkout-coupon-form"' in switch
    assert "checked" not in switch
    # the order form carries "0", the price has no points, and the whole goods amount earns points
    assert hidden_points(html) == "0"
    assert total(html) == "¥150.00"
    assert 'data-stage="points"' not in html
    assert "本单可得 150 积分" in html and "确认收货且售后期结束后到账" in html
    # the switch re-prices through the GET form the coupons use
    assert '<form id="checkout-coupon-form" method="get"' in html


def test_switching_points_on_reprices_the_order(client, rich, book, serum):
    html = checkout(client, sku=serum.pk, qty=1, points="all")
    cell = points_cell(html)
    assert re.search(r'<input id="id_use_points"[^>]*checked>', cell)
    assert "-¥30.00" in cell
    assert hidden_points(html) == "all"
    assert total(html) == "¥120.00"
    bill = re.search(r'data-stage="points".*?</div>\s*</div>', html, re.S).group(0)
    assert "积分抵扣" in bill and "3000" in bill and "-¥30.00" in bill
    assert "本单可得 120 积分" in html
    # the address book sends the buyer back with the switch still on
    assert "points%3Dall" in re.search(r'href="([^"]*)" id="change-address"', html).group(1)


def test_the_order_is_placed_with_the_points(client, rich, book, serum):
    response = post_checkout(client, book, serum, points="all")
    assert response.status_code == 302, response.content.decode()[:500]
    order = Order.objects.get(user=rich)
    assert order.points_used == 3000
    assert order.total_fen == 15000 - 3000 + order.shipping_fen
    assert order.price_breakdown["points_used"] == 3000 and order.price_breakdown["points_to_earn"] == 120
    assert balance(rich) == 2000


def test_the_order_is_placed_without_points_when_the_switch_is_off(client, rich, book, serum):
    assert post_checkout(client, book, serum, points="0").status_code == 302
    order = Order.objects.get(user=rich)
    assert order.points_used == 0 and balance(rich) == 5000


def test_points_beyond_the_balance_or_the_cap_are_refused_with_their_reason(client, rich, book, serum):
    html = html_of(post_checkout(client, book, serum, points="6000"))
    assert not Order.objects.exists()
    assert "积分不足：可用 5000 分" in re.search(r'id="checkout-error">([^<]*)<', html).group(1)
    # the page is priced again without points, the switch off
    assert hidden_points(html) == "0" and total(html) == "¥150.00"
    html = html_of(post_checkout(client, book, serum, points="4000", token="t-points-2"))
    assert "本单最多可用 3000 分（抵 ¥30.00）" in html
    assert not Order.objects.exists() and balance(rich) == 5000


def test_points_spent_elsewhere_meanwhile_show_the_refusal(client, rich, book, serum, monkeypatch):
    def spent_meanwhile(**kwargs):
        raise MemberError(MemberCode.INSUFFICIENT_POINTS, "积分不足：需要 3000，可用 0", {"points": 3000}, status=409)

    monkeypatch.setattr("fenxiao.web.views.cart.services.place_order", spent_meanwhile)
    html = html_of(post_checkout(client, book, serum, points="all"))
    assert "积分不足：需要 3000，可用 0" in html
    assert hidden_points(html) == "0" and total(html) == "¥150.00"


def test_no_points_cell_without_points(client, buyer, rules, book, serum):
    html = checkout(client, sku=serum.pk, qty=1)
    assert 'id="checkout-points"' not in html
    assert hidden_points(html) == "0"


def test_an_order_that_allows_no_points_says_so(client, rich, book, serum):
    MemberSettings.objects.filter(pk=1).update(max_points_share_bp=0)
    html = checkout(client, sku=serum.pk, qty=1, points="all")
    cell = points_cell(html)
    assert "本单不可使用积分" in cell and 'id="id_use_points"' not in cell
    assert total(html) == "¥150.00"


# --- gifts ------------------------------------------------------------------------------------------


@pytest.fixture
def sample():
    """The gift: a 5ml sample, 3 in stock."""
    return SkuFactory(product=ProductFactory(name="精华小样"), spec="5ml", retail_fen=1000, control_fen=800, stock=3)


@pytest.fixture
def gift_rule(sample):
    """From ¥100: the sample and a 回购券 after payment."""
    return make_reduction(
        [
            {
                "threshold": 10000,
                "amount_off_fen": 0,
                "gift_sku": sample,
                "gift_quantity": 1,
                "gift_coupon": make_coupon(name="回购券"),
            }
        ],
        name="满100送小样",
    )


def gift_row(html: str, rule, sku) -> str:
    found = re.search(rf'<div class="weui-cell app-bill__gift[^"]*" id="gift-{rule.pk}-{sku.pk}">.*?</div>\s*</div>', html, re.S)
    assert found, "no gift row"
    return found.group(0)


def test_cart_and_checkout_show_the_gift_and_the_gift_coupon(client, buyer, book, serum, sample, gift_rule):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    for html in (html_of(client.get(reverse("web:cart"))), checkout(client)):
        row = gift_row(html, gift_rule, sample)
        assert "赠品" in row and "精华小样 5ml × 1" in row and "赠完即止" in row
        assert "已赠完" not in row
        assert "付款后赠送优惠券：回购券" in html


def test_a_gift_out_of_stock_is_shown_as_given_out(client, buyer, book, serum, sample, gift_rule):
    OrderFactory(user=UserFactory(), items=[(sample, 3)])  # the last three are reserved by another order
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    for html in (html_of(client.get(reverse("web:cart"))), checkout(client)):
        row = gift_row(html, gift_rule, sample)
        assert "已赠完" in row and "赠完即止" not in row


def test_no_gift_below_the_threshold(client, buyer, book, sample, gift_rule):
    cheap = SkuFactory(retail_fen=5000, control_fen=4000, stock=5)
    services.add_to_cart(user=buyer, sku_id=cheap.pk, quantity=1)
    html = html_of(client.get(reverse("web:cart")))
    assert "app-bill__gift" not in html and "付款后赠送优惠券" not in html


@pytest.fixture
def shipped_with_gift(buyer, serum, gift_rule):
    return OrderFactory(shipped=True, user=buyer, items=[(serum, 1)])


def test_order_detail_shows_the_gift_line_without_after_sale(client, shipped_with_gift, sample):
    order = shipped_with_gift
    gift = order.lines.get(is_gift=True)
    bought = order.lines.get(is_gift=False)
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    line = re.search(
        rf'<div class="weui-cell app-line app-line_gift" id="line-{gift.pk}">.*?</div>\s*</div>\s*</div>', html, re.S
    )
    assert line, "the gift line is not marked"
    assert "赠品" in line.group(0) and "精华小样" in line.group(0) and "¥0" in line.group(0)
    assert reverse("web:aftersale_new", args=[gift.pk]) not in html
    assert reverse("web:aftersale_new", args=[bought.pk]) in html
    # asking for the gift's after-sale page anyway: back to the order with the reason
    response = client.get(reverse("web:aftersale_new", args=[gift.pk]), follow=True)
    assert "赠品不能申请售后" in response.content.decode()


def test_requesting_an_after_sale_on_a_gift_line_is_refused(shipped_with_gift, buyer):
    gift = shipped_with_gift.lines.get(is_gift=True)
    with pytest.raises(OrderError) as refused:
        services.request_aftersale(user=buyer, line_id=gift.pk, kind="refund_only", amount_fen=100, reason="不喜欢")
    assert refused.value.code == OrderCode.AFTERSALE_NOT_ALLOWED
    assert "赠品" in refused.value.message
    assert not gift.aftersales.exists()


# --- the points of an order ---------------------------------------------------------------------------


def test_order_detail_shows_the_points_used_and_to_earn(client, rich, book, serum):
    post_checkout(client, book, serum, points="all")
    order = Order.objects.get(user=rich)
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    used = re.search(r'id="order-points-used">.*?</div>\s*</div>', html, re.S).group(0)
    earn = re.search(r'id="order-points-to-earn">.*?</div>\s*</div>', html, re.S).group(0)
    assert "使用积分" in used and ">3000<" in used
    assert "可得积分" in earn and ">120<" in earn
    assert "本单可得" not in html  # the checkout's note is not repeated on the order


def test_an_older_order_without_points_keys_shows_no_points_rows(client, buyer):
    order = OrderFactory(user=buyer)
    breakdown = {k: v for k, v in order.price_breakdown.items() if not k.startswith("points") and k != "gifts"}
    Order.objects.filter(pk=order.pk).update(price_breakdown=breakdown)
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    assert 'id="order-points-used"' not in html and 'id="order-points-to-earn"' not in html
    assert "价格明细" in html
