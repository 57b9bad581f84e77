"""The points mall on the phone: the list with points and cash, a coupon exchanged at once, a product
confirmed with the address and ordered (to the order when nothing is to pay, else to the pay page),
and the links from 我的积分 and 会员中心."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fenxiao.addresses import services as address_services
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.members.services import points as member_points
from fenxiao.orders.models import Order
from fenxiao.promotions.models import PointsMallItem, UserCoupon
from fenxiao.promotions.tests.coupon_factories import CouponFactory
from tests.factories import SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = UserFactory(nickname="小林")
    member_points.grant(user.pk, 2000, reference="mall-pages")
    client.force_login(user)
    return user


def coupon_item(**fields):
    values = {"name": "兑 10 元券", "kind": "coupon", "coupon": CouponFactory(), "points_price": 500, "total_quantity": 5}
    values.update(fields)
    return PointsMallItem.objects.create(**values)


def product_item(**fields):
    values = {
        "name": "保温杯兑换",
        "kind": "product",
        "sku": SkuFactory(retail_fen=9900, cost_fen=3000, stock=10),
        "points_price": 1500,
        "cash_fen": 0,
        "total_quantity": 5,
    }
    values.update(fields)
    return PointsMallItem.objects.create(**values)


def test_the_mall_lists_points_and_cash_and_exchanges_a_coupon(client, member):
    coupon = coupon_item()
    product = product_item(cash_fen=990)

    page = client.get(reverse("web:mall"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "兑 10 元券" in html and "500 积分" in html
    assert "保温杯兑换" in html and "1500 积分 + ¥9.90" in html
    assert reverse("web:mall_exchange", args=[coupon.pk]) in html
    assert reverse("web:mall_confirm", args=[product.pk]) in html

    answer = client.post(reverse("web:mall_exchange", args=[coupon.pk]), follow=True)

    assert answer.redirect_chain[-1][0] == reverse("web:mall")
    assert "兑换成功" in answer.content.decode()
    assert UserCoupon.objects.filter(user=member, coupon=coupon.coupon, source="mall").count() == 1


def test_too_few_points_shows_why(client, member):
    item = coupon_item(points_price=5000)
    answer = client.post(reverse("web:mall_exchange", args=[item.pk]), follow=True)
    assert "积分不足" in answer.content.decode()
    assert not UserCoupon.objects.exists()


def test_a_points_only_product_goes_to_the_order(client, member, settings):
    settings.FENXIAO_SHIPPING_FEE_FEN = 0
    book = address_services.add_address(user=member, data=dict(BOOK_ADDRESS))
    item = product_item()

    page = client.get(reverse("web:mall_confirm", args=[item.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert BOOK_ADDRESS["detail"] in html and "包邮" in html and 'name="address_id"' in html

    answer = client.post(reverse("web:mall_confirm", args=[item.pk]), {"address_id": book.pk})

    order = Order.objects.get(user=member)
    assert order.status == Order.Status.PAID and order.points_used == 1500
    assert answer.status_code == 302 and answer["Location"] == reverse("web:order_detail", args=[order.pk])
    detail = client.get(answer["Location"])
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "兑换成功，无需付款" in html and "1500" in html


def test_a_product_with_cash_goes_to_the_pay_page(client, member):
    book = address_services.add_address(user=member, data=dict(BOOK_ADDRESS))
    item = product_item(cash_fen=1990)

    answer = client.post(reverse("web:mall_confirm", args=[item.pk]), {"address_id": book.pk})

    order = Order.objects.get(user=member)
    assert order.status == Order.Status.PENDING_PAYMENT and order.total_fen == 1990 + order.shipping_fen
    assert answer["Location"] == reverse("web:order_pay", args=[order.pk])
    assert client.get(answer["Location"]).status_code == 200


def test_without_an_address_the_page_links_to_the_address_book(client, member):
    item = product_item()
    html = client.get(reverse("web:mall_confirm", args=[item.pk])).content.decode()
    assert reverse("web:address_new") in html and "disabled" in html

    answer = client.post(reverse("web:mall_confirm", args=[item.pk]), {})
    assert answer.status_code == 400 and "请选择收货地址" in answer.content.decode()
    assert not Order.objects.exists()


def test_the_points_and_member_pages_link_to_the_mall(client, member):
    for name in ("web:member_points", "web:member_centre"):
        assert reverse("web:mall") in client.get(reverse(name)).content.decode()
