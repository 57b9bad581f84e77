"""The shopping pages through the test client: product buttons, cart, checkout, the payment page, my
orders with their timeline and actions, after-sales, and the orders of a distributor's shop."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.models import Address
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.distribution.services import bind_customer
from fenxiao.inventory.selectors import available_by_sku
from fenxiao.orders import services
from fenxiao.orders.models import AfterSale, CartLine, Order, OrderEvent
from fenxiao.web.templatetags.web_tags import fen_short
from tests.factories import (
    DistributorFactory,
    LevelFactory,
    OrderFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="阿华", phone="13955550001")
    client.force_login(user)
    return user


@pytest.fixture
def serum():
    """¥150, 10 in stock."""
    product = ProductFactory(name="玻尿酸精华")
    return SkuFactory(product=product, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000, stock=10)


@pytest.fixture
def nuts():
    """¥50 (below the ¥99 free-shipping line), 3 in stock."""
    product = ProductFactory(name="每日坚果")
    return SkuFactory(product=product, spec="礼盒", retail_fen=5000, suggested_retail_fen=5000, control_fen=4500, stock=3)


@pytest.fixture
def operator():
    return StaffFactory()


def html_of(response) -> str:
    return response.content.decode()


def checkout_form(token="tok-1", **changes):
    """The new-address form of checkout (empty address book), region by division code."""
    data = {**BOOK_ADDRESS, "note": "", "token": token}
    data.update(changes)
    return data


# --- product page: add to cart / buy now ---------------------------------------------------------


def test_product_page_has_sku_picker_and_both_buttons(client, serum):
    html = html_of(client.get(reverse("web:product", args=[serum.product_id])))
    assert f'action="{reverse("web:cart_add")}"' in html
    assert f'name="sku" value="{serum.pk}"' in html
    assert re.search(rf'value="{serum.pk}" id="sku-{serum.pk}" data-max="10"\s+checked', html)
    assert 'name="qty"' in html
    assert "加入购物车" in html and "立即购买" in html


def test_sold_out_sku_cannot_be_picked(client, serum):
    gone = SkuFactory(product=serum.product, spec="50ml", stock=0)
    html = html_of(client.get(reverse("web:product", args=[serum.product_id])))
    assert re.search(rf'id="sku-{gone.pk}" data-max="0"\s+disabled', html)


def test_product_without_stock_shows_no_buy_buttons(client):
    sku = SkuFactory(stock=0)
    html = html_of(client.get(reverse("web:product", args=[sku.product_id])))
    assert "加入购物车" not in html and "立即购买" not in html
    assert "暂时缺货" in html


def test_anonymous_add_to_cart_goes_to_login_and_back(client, serum):
    product_url = reverse("web:product", args=[serum.product_id])
    response = client.post(reverse("web:cart_add"), {"sku": serum.pk, "qty": 1, "action": "cart", "next": product_url})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={product_url}"
    assert CartLine.objects.count() == 0


def test_anonymous_buy_now_logs_in_then_lands_on_checkout(client, serum):
    response = client.post(reverse("web:cart_add"), {"sku": serum.pk, "qty": 2, "action": "buy"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login") + "?next=")
    assert "checkout" in response["Location"]


def test_add_to_cart_returns_to_the_product(client, buyer, serum):
    product_url = reverse("web:share_product", args=["ANY", serum.product_id])
    response = client.post(reverse("web:cart_add"), {"sku": serum.pk, "qty": 2, "action": "cart", "next": product_url})
    assert response.status_code == 302 and response["Location"] == product_url
    assert CartLine.objects.get(user=buyer, sku=serum).quantity == 2
    client.post(reverse("web:cart_add"), {"sku": serum.pk, "qty": 1, "action": "cart"})
    assert CartLine.objects.get(user=buyer, sku=serum).quantity == 3


def test_add_to_cart_refusals_are_messages(client, buyer, serum):
    hidden = SkuFactory(product=ProductFactory(is_on_shelf=False))
    response = client.post(reverse("web:cart_add"), {"sku": hidden.pk, "qty": 1, "action": "cart"}, follow=True)
    assert response.status_code == 200
    assert "该商品已下架或不存在" in html_of(response)
    response = client.post(reverse("web:cart_add"), {"sku": serum.pk, "qty": "abc", "action": "cart"}, follow=True)
    assert "数量须为 1 到 999 之间的整数" in html_of(response)
    response = client.post(reverse("web:cart_add"), {"qty": 1, "action": "cart"}, follow=True)
    assert "请选择规格" in html_of(response)
    assert CartLine.objects.count() == 0


def test_odd_numbers_in_forms_are_refused_not_crashing(client, buyer, serum):
    for qty in ("²", "1.5", "-1", "99999999999", "0"):
        response = client.post(reverse("web:cart_add"), {"sku": serum.pk, "qty": qty, "action": "cart"}, follow=True)
        assert response.status_code == 200, qty
        assert "数量须为 1 到 999 之间的整数" in html_of(response)
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    response = client.post(reverse("web:cart_line", args=[serum.pk]), {"qty": "³"}, follow=True)
    assert response.status_code == 200 and "数量须为 1 到 999 之间的整数" in html_of(response)
    assert client.get(f"{reverse('web:checkout')}?sku={serum.pk}&qty=²").status_code == 404
    assert CartLine.objects.get(user=buyer).quantity == 1


def test_buy_now_goes_to_checkout_with_the_item(client, buyer, serum):
    response = client.post(reverse("web:cart_add"), {"sku": serum.pk, "qty": 2, "action": "buy"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:checkout')}?sku={serum.pk}&qty=2"
    assert CartLine.objects.count() == 0


# --- cart ----------------------------------------------------------------------------------------


def test_cart_requires_login(client):
    response = client.get(reverse("web:cart"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_empty_cart(client, buyer):
    html = html_of(client.get(reverse("web:cart")))
    assert "购物车还是空的" in html
    # nothing to ship, so no shipping line and no free-shipping hint
    assert "价格明细" not in html and "即可免运费" not in html and "本单包邮" not in html


def test_cart_shows_lines_breakdown_and_free_shipping_hint(client, buyer, nuts):
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=1)
    html = html_of(client.get(reverse("web:cart")))
    assert "每日坚果" in html and "礼盒" in html
    assert "商品金额" in html and "运费" in html and "¥10.00" in html
    # no shipping template: the legacy rule (¥10, free from ¥99 of goods)
    assert "再买 ¥49.00 即可免运费" in html
    assert "本单包邮" not in html
    assert "¥60.00" in html  # 50 + 10 shipping
    assert "去结算（1）" in html
    assert 'id="tab-cart"' in html and 'class="weui-badge app-tabbar__badge">1<' in html


def test_cart_over_the_threshold_ships_free(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = html_of(client.get(reverse("web:cart")))
    assert "本单包邮" in html and "即可免运费" not in html
    assert re.search(r'<span class="app-bill__free">包邮</span>', html)
    assert "¥10.00" not in html
    assert "¥150.00" in html


def test_cart_plus_minus_and_remove(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    url = reverse("web:cart_line", args=[serum.pk])
    assert client.post(url, {"qty": 3})["Location"] == reverse("web:cart")
    assert CartLine.objects.get(user=buyer).quantity == 3
    client.post(url, {"qty": 2})
    assert CartLine.objects.get(user=buyer).quantity == 2
    client.post(url, {"qty": 0})
    assert not CartLine.objects.filter(user=buyer).exists()


def test_cart_with_htmx_rerenders_in_place_with_inline_error(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    url = reverse("web:cart_line", args=[serum.pk])
    response = client.post(url, {"qty": 2}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="cart"' in html_of(response)
    assert CartLine.objects.get(user=buyer).quantity == 2
    response = client.post(url, {"qty": 1000}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "数量须为 1 到 999 之间的整数" in html_of(response)
    assert CartLine.objects.get(user=buyer).quantity == 2


def test_cart_warns_when_stock_is_short(client, buyer, nuts):
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=5)
    html = html_of(client.get(reverse("web:cart")))
    assert "库存不足，仅剩 3 件" in html


def test_cart_marks_products_taken_off_shelf(client, buyer, serum, nuts):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=1)
    nuts.product.is_on_shelf = False
    nuts.product.save()
    response = client.get(reverse("web:cart"))
    html = html_of(response)
    assert response.status_code == 200
    assert "已下架，无法购买" in html
    assert "去结算（1）" in html


def test_cart_and_checkout_leave_out_products_of_a_disabled_category(client, buyer, serum, nuts):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=1)
    category = nuts.product.category
    category.is_active = False
    category.save()
    html = html_of(client.get(reverse("web:cart")))
    assert "去结算（1）" in html
    assert f'app-line app-line_off" id="cart-line-{nuts.pk}"' in html
    assert f'app-line" id="cart-line-{serum.pk}"' in html
    checkout = html_of(client.get(reverse("web:checkout")))
    assert "玻尿酸精华" in checkout and "每日坚果" not in checkout


def test_other_users_cart_lines_are_not_shown(client, buyer, serum):
    services.add_to_cart(user=UserFactory(), sku_id=serum.pk, quantity=1)
    assert "玻尿酸精华" not in html_of(client.get(reverse("web:cart")))


# --- checkout ------------------------------------------------------------------------------------


def test_checkout_with_empty_cart_goes_back_to_cart(client, buyer):
    response = client.get(reverse("web:checkout"))
    assert response.status_code == 302 and response["Location"] == reverse("web:cart")


def test_checkout_page_shows_items_breakdown_and_a_token(client, buyer, nuts):
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=1)
    response = client.get(reverse("web:checkout"))
    html = html_of(response)
    assert response.status_code == 200
    assert "每日坚果" in html and "¥60.00" in html and "提交订单" in html
    assert re.search(r'name="token" value="[\w-]{16,}"', html)
    assert 'name="save_address" value="1" checked' in html  # first address: saved by default


def test_checkout_uses_the_default_address_of_the_book(client, buyer, serum):
    saved = address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = html_of(client.get(reverse("web:checkout")))
    assert f'name="address_id" value="{saved.pk}"' in html
    assert "王小明" in html and "13812345678" in html and "浙江省 杭州市 西湖区 文三路 100 号 3 幢 501" in html
    assert 'name="save_address"' not in html  # no new-address form for a known address


def test_checkout_from_cart_places_the_order_and_empties_the_cart(client, buyer, serum, nuts):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=2)
    response = client.post(reverse("web:checkout"), checkout_form(note="请尽快发货", save_address="1"))
    order = Order.objects.get(user=buyer)
    assert response.status_code == 302 and response["Location"] == reverse("web:order_pay", args=[order.pk])
    assert order.lines.count() == 2
    assert (order.goods_fen, order.shipping_fen, order.total_fen) == (25000, 0, 25000)
    assert order.note == "请尽快发货"
    assert not CartLine.objects.filter(user=buyer).exists()
    address = Address.objects.get(user=buyer)
    assert (address.receiver, address.phone, address.is_default) == ("王小明", "13812345678", True)


def test_checkout_does_not_save_the_address_unless_asked(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    client.post(reverse("web:checkout"), checkout_form())
    assert Order.objects.filter(user=buyer).count() == 1
    assert not Address.objects.filter(user=buyer).exists()


def test_checkout_does_not_duplicate_a_saved_address(client, buyer, serum):
    saved = address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    client.post(reverse("web:checkout"), {"address_id": saved.pk, "note": "", "token": "tok-1"})
    assert Order.objects.filter(user=buyer).count() == 1
    assert Address.objects.filter(user=buyer).count() == 1


def test_double_submit_creates_one_order(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    first = client.post(reverse("web:checkout"), checkout_form(token="same-token"))
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)  # even with something new in the cart
    second = client.post(reverse("web:checkout"), checkout_form(token="same-token"))
    assert Order.objects.filter(user=buyer).count() == 1
    assert first["Location"] == second["Location"]
    third = client.post(reverse("web:checkout"), checkout_form(token="another-token"))
    assert Order.objects.filter(user=buyer).count() == 2
    assert third["Location"] != first["Location"]


def test_buy_now_checkout_orders_the_single_item_and_keeps_the_cart(client, buyer, serum, nuts):
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=1)
    url = f"{reverse('web:checkout')}?sku={serum.pk}&qty=2"
    html = html_of(client.get(url))
    assert "玻尿酸精华" in html and "每日坚果" not in html
    assert f'name="sku" value="{serum.pk}"' in html and 'name="qty" value="2"' in html
    client.post(reverse("web:checkout"), checkout_form(sku=serum.pk, qty=2))
    order = Order.objects.get(user=buyer)
    line = order.lines.get()
    assert (line.sku_id, line.quantity, order.total_fen) == (serum.pk, 2, 30000)
    assert CartLine.objects.filter(user=buyer, sku=nuts).exists()


def test_buy_now_with_an_unknown_sku_says_so(client, buyer):
    response = client.get(f"{reverse('web:checkout')}?sku=999999&qty=1")
    assert response.status_code == 200
    assert "部分商品已下架或不存在" in html_of(response)
    assert "提交订单" not in html_of(response)
    assert client.get(f"{reverse('web:checkout')}?sku=abc&qty=1").status_code == 404


def test_invalid_phone_is_shown_inline(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    response = client.post(reverse("web:checkout"), checkout_form(phone="12345"))
    html = html_of(response)
    assert response.status_code == 200
    assert "收货手机号格式不正确" in html
    assert re.search(r'weui-cell_warn" for="id_phone"', html)
    assert 'value="王小明"' in html  # what was typed stays
    assert Order.objects.count() == 0
    assert CartLine.objects.filter(user=buyer).exists()


def test_missing_address_field_is_shown_inline(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    response = client.post(reverse("web:checkout"), checkout_form(detail=""))
    assert response.status_code == 200
    assert "请填写完整的收货地址" in html_of(response)
    assert Order.objects.count() == 0


def test_quantity_over_stock_is_refused_inline(client, buyer, nuts):
    services.add_to_cart(user=buyer, sku_id=nuts.pk, quantity=5)
    assert "库存不足，仅剩 3 件" in html_of(client.get(reverse("web:checkout")))  # warned before submitting
    response = client.post(reverse("web:checkout"), checkout_form())
    html = html_of(response)
    assert response.status_code == 200
    assert "库存不足" in html and "每日坚果" in html
    assert Order.objects.count() == 0
    assert available_by_sku([nuts.pk])[nuts.pk] == 3
    # the same form, fixed, goes through with the same token
    services.set_cart_quantity(user=buyer, sku_id=nuts.pk, quantity=3)
    token = re.search(r'name="token" value="([\w-]+)"', html).group(1)
    assert client.post(reverse("web:checkout"), checkout_form(token=token)).status_code == 302
    assert Order.objects.count() == 1


# --- payment -------------------------------------------------------------------------------------


def test_pay_page_shows_the_dev_provider_and_the_deadline(client, buyer, serum):
    order = OrderFactory(user=buyer, items=[(serum, 1)])
    html = html_of(client.get(reverse("web:order_pay", args=[order.pk])))
    assert "开发环境模拟支付（不会真实扣款）" in html
    assert "¥150.00" in html
    deadline = timezone.localtime(order.expires_at, timezone=timezone.get_fixed_timezone(8 * 60)).strftime("%H:%M")
    assert f"请在 {deadline} 前完成支付" in html
    assert re.search(r"剩余 (29|30) 分 \d+ 秒", html)
    assert re.search(r'data-countdown="(17\d\d|1800)"', html)


def test_paying_with_the_dev_provider(client, buyer, serum):
    order = OrderFactory(user=buyer, items=[(serum, 1)])
    response = client.post(reverse("web:order_pay", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:order_detail", args=[order.pk])
    order.refresh_from_db()
    assert order.status == S.PAID and order.paid_fen == 15000
    html = html_of(client.get(response["Location"]))
    assert "支付成功" in html and "待发货" in html


def test_without_dev_payments_the_page_offers_no_button(client, buyer, serum, settings):
    settings.FENXIAO_DEV_PAYMENTS = False
    order = OrderFactory(user=buyer, items=[(serum, 1)])
    html = html_of(client.get(reverse("web:order_pay", args=[order.pk])))
    assert "开发环境模拟支付" not in html and "确认支付" not in html
    assert "当前没有可用的支付方式" in html
    response = client.post(reverse("web:order_pay", args=[order.pk]))
    assert response.status_code == 200 and "开发环境模拟支付未启用" in html_of(response)
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


def test_pay_page_of_a_paid_order_goes_to_the_order(client, buyer, serum):
    order = OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    response = client.get(reverse("web:order_pay", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:order_detail", args=[order.pk])
    client.post(reverse("web:order_pay", args=[order.pk]))
    order.refresh_from_db()
    assert order.paid_fen == 15000


def test_expired_order_cannot_be_paid(client, buyer, serum):
    order = OrderFactory(user=buyer, items=[(serum, 1)])
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    html = html_of(client.get(reverse("web:order_pay", args=[order.pk])))
    assert "已超过支付时限" in html and "确认支付" not in html
    response = client.post(reverse("web:order_pay", args=[order.pk]))
    assert response.status_code == 200
    assert "订单已超过支付时限，请重新下单" in html_of(response)
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


# --- my orders -----------------------------------------------------------------------------------


def test_orders_list_with_status_tabs(client, buyer, serum, nuts, operator):
    pending = OrderFactory(user=buyer, items=[(nuts, 1)])
    paid = OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    received = OrderFactory(shipped=True, user=buyer, items=[(serum, 1)], operator=operator)
    services.confirm_receipt(order_id=received.pk, user=buyer)
    html = html_of(client.get(reverse("web:orders")))
    for label in ("全部", "待付款", "待发货", "已发货", "已完成", "已取消"):
        assert label in html
    for order in (pending, paid, received):
        assert reverse("web:order_detail", args=[order.pk]) in html
    assert reverse("web:order_pay", args=[pending.pk]) in html

    html = html_of(client.get(reverse("web:orders"), {"status": "paid"}))
    assert reverse("web:order_detail", args=[paid.pk]) in html
    assert reverse("web:order_detail", args=[pending.pk]) not in html
    html = html_of(client.get(reverse("web:orders"), {"status": "completed"}))
    assert reverse("web:order_detail", args=[received.pk]) in html  # received counts as done
    assert reverse("web:order_detail", args=[paid.pk]) not in html
    assert "还没有相关订单" in html_of(client.get(reverse("web:orders"), {"status": "cancelled"}))
    assert client.get(reverse("web:orders"), {"status": "nonsense"}).status_code == 200


def test_orders_list_pages(client, buyer):
    for _ in range(12):
        OrderFactory(user=buyer, items=[(SkuFactory(stock=1), 1)])
    first = html_of(client.get(reverse("web:orders")))
    assert "1 / 2" in first and "下一页" in first
    second = html_of(client.get(reverse("web:orders"), {"page": 2}))
    assert "2 / 2" in second and "上一页" in second


def test_orders_list_shows_only_my_orders(client, buyer, serum):
    other = OrderFactory(user=UserFactory(), items=[(serum, 1)])
    assert reverse("web:order_detail", args=[other.pk]) not in html_of(client.get(reverse("web:orders")))


def test_me_page_links_to_my_orders_with_counts(client, buyer, serum, nuts):
    OrderFactory(user=buyer, items=[(nuts, 1)])
    OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    html = html_of(client.get(reverse("web:me")))
    assert f'href="{reverse("web:orders")}"' in html
    assert f'href="{reverse("web:orders")}?status=pending_payment"' in html
    assert re.search(r"<strong>1</strong>\s*<span>待付款</span>", html)
    assert re.search(r"<strong>1</strong>\s*<span>待发货</span>", html)


def test_order_detail_shows_everything_the_buyer_needs(client, buyer, serum, operator):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 2)], operator=operator)
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    assert "已发货" in html
    assert "王小明" in html and "13812345678" in html and "浙江省杭州市西湖区文三路 100 号 3 幢 501" in html
    assert "顺丰速运" in html and "SF1234567890" in html
    assert "玻尿酸精华" in html and "30ml" in html and "× 2" in html
    assert "商品金额" in html and "¥300.00" in html and "订单金额" in html
    assert order.number in html
    for title in ("订单已提交", "付款成功", "商家已发货"):
        assert title in html
    assert "确认收货" in html and "取消订单" not in html
    assert reverse("web:aftersale_new", args=[order.lines.get().pk]) in html


def test_timeline_times_are_shanghai_time(client, buyer, serum):
    order = OrderFactory(user=buyer, items=[(serum, 1)])
    OrderEvent.objects.filter(order=order).update(created_at=datetime(2024, 5, 1, 16, 30, tzinfo=UTC))
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    assert "2024-05-02 00:30" in html


def test_other_users_orders_are_404(client, buyer, serum, operator):
    stranger = UserFactory()
    order = OrderFactory(shipped=True, user=stranger, items=[(serum, 1)], operator=operator)
    line = order.lines.get()
    for url in (
        reverse("web:order_detail", args=[order.pk]),
        reverse("web:order_pay", args=[order.pk]),
        reverse("web:aftersale_new", args=[line.pk]),
        reverse("web:order_detail", args=[999999]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "订单不存在" in html_of(response)
    response = client.post(reverse("web:order_receive", args=[order.pk]))
    assert response.status_code == 404
    response = client.post(reverse("web:aftersale_new", args=[line.pk]), {"kind": "refund_only", "amount": "1", "reason": "x"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == S.SHIPPED and not AfterSale.objects.exists()


def test_order_pages_require_login(client, serum):
    order = OrderFactory(user=UserFactory(), items=[(serum, 1)])
    for url in (reverse("web:orders"), reverse("web:order_detail", args=[order.pk]), reverse("web:checkout")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_cancel_an_unpaid_order(client, buyer, serum):
    order = OrderFactory(user=buyer, items=[(serum, 1)])
    response = client.post(reverse("web:order_cancel", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert "订单已取消" in html_of(response)
    assert available_by_sku([serum.pk])[serum.pk] == 10


def test_cancel_a_paid_order_refunds_it(client, buyer, serum):
    order = OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    response = client.post(reverse("web:order_cancel", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.refunded_fen == 15000
    html = html_of(response)
    assert "订单已取消，货款将原路退回" in html and "已退款" in html


def test_cancel_after_shipping_is_refused_inline(client, buyer, serum, operator):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 1)], operator=operator)
    response = client.post(reverse("web:order_cancel", args=[order.pk]))
    assert response.status_code == 200
    assert "订单已发货或已结束，不能取消；请申请售后" in html_of(response)
    order.refresh_from_db()
    assert order.status == S.SHIPPED


def test_action_urls_opened_directly_go_to_the_order(client, buyer, serum):
    order = OrderFactory(user=buyer, items=[(serum, 1)])
    for name in ("web:order_cancel", "web:order_receive"):
        response = client.get(reverse(name, args=[order.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("web:order_detail", args=[order.pk])
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


def test_confirm_receipt(client, buyer, serum, operator):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 1)], operator=operator)
    response = client.post(reverse("web:order_receive", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    html = html_of(response)
    assert "已确认收货" in html and "确认收货</button>" not in html


def test_confirm_receipt_of_an_unshipped_order_is_refused_inline(client, buyer, serum):
    order = OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    response = client.post(reverse("web:order_receive", args=[order.pk]))
    assert response.status_code == 200
    assert 'id="action-error"' in html_of(response)


# --- after-sales ---------------------------------------------------------------------------------


def test_aftersale_form_offers_what_is_refundable(client, buyer, serum, operator):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 2)], operator=operator)
    line = order.lines.get()
    html = html_of(client.get(reverse("web:aftersale_new", args=[line.pk])))
    assert "仅退款" in html and "退货退款" in html
    assert 'name="amount" value="300.00"' in html
    assert "最多 ¥300.00" in html
    assert 'max="2"' in html


def test_refund_only_request_is_listed_on_the_order(client, buyer, serum, operator):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 2)], operator=operator)
    line = order.lines.get()
    response = client.post(
        reverse("web:aftersale_new", args=[line.pk]), {"kind": "refund_only", "amount": "99.5", "reason": "少发了赠品"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:order_detail", args=[order.pk]) + "#aftersales"
    aftersale = AfterSale.objects.get(line=line)
    assert (aftersale.kind, aftersale.amount_fen, aftersale.quantity, aftersale.status) == ("refund_only", 9950, 0, "requested")
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    assert "仅退款 · ¥99.50" in html and "待审核" in html and "少发了赠品" in html
    assert "售后中" in html
    assert reverse("web:aftersale_new", args=[line.pk]) not in html  # one open after-sale per line


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("300.01", "退款金额不能超过 ¥300.00"),
        ("abc", "请输入正确的退款金额，最多两位小数"),
        ("1.234", "请输入正确的退款金额，最多两位小数"),
        ("0", "请输入正确的退款金额，最多两位小数"),
        ("-5", "请输入正确的退款金额，最多两位小数"),
    ],
)
def test_bad_refund_amounts_are_refused_inline(client, buyer, serum, operator, amount, message):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 2)], operator=operator)
    line = order.lines.get()
    response = client.post(
        reverse("web:aftersale_new", args=[line.pk]), {"kind": "refund_only", "amount": amount, "reason": "破损"}
    )
    assert response.status_code == 200
    assert message in html_of(response)
    assert not AfterSale.objects.exists()


def test_missing_reason_is_refused_inline(client, buyer, serum, operator):
    line = OrderFactory(shipped=True, user=buyer, items=[(serum, 1)], operator=operator).lines.get()
    response = client.post(reverse("web:aftersale_new", args=[line.pk]), {"kind": "refund_only", "amount": "10", "reason": " "})
    assert response.status_code == 200
    assert "请填写售后原因" in html_of(response)


def test_return_quantity_is_checked(client, buyer, serum, operator):
    line = OrderFactory(shipped=True, user=buyer, items=[(serum, 2)], operator=operator).lines.get()
    url = reverse("web:aftersale_new", args=[line.pk])
    response = client.post(url, {"kind": "return_refund", "amount": "150", "quantity": "3", "reason": "不合适"})
    assert response.status_code == 200
    assert "退货数量须为 1 到 2 件" in html_of(response)
    client.post(url, {"kind": "return_refund", "amount": "150", "quantity": "1", "reason": "不合适"})
    aftersale = AfterSale.objects.get(line=line)
    assert (aftersale.kind, aftersale.amount_fen, aftersale.quantity) == ("return_refund", 15000, 1)


def test_aftersale_before_shipping_goes_back_to_the_order(client, buyer, serum):
    order = OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    response = client.get(reverse("web:aftersale_new", args=[order.lines.get().pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:order_detail", args=[order.pk])
    assert "只有已发货或已收货的订单可以申请售后" in html_of(response)


def test_return_tracking_number_and_withdraw(client, buyer, serum, operator):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 2)], operator=operator)
    line = order.lines.get()
    aftersale = services.request_aftersale(
        user=buyer, line_id=line.pk, kind="return_refund", amount_fen=15000, quantity=1, reason="不合适"
    )
    services.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
    detail = reverse("web:order_detail", args=[order.pk])
    html = html_of(client.get(detail))
    assert "待买家退货" in html and 'name="tracking_number"' in html and "撤销申请" in html

    return_url = reverse("web:aftersale_return", args=[order.pk, aftersale.pk])
    response = client.post(return_url, {"tracking_number": " "})
    assert response.status_code == 200
    assert "请填写退货快递单号" in html_of(response)

    response = client.post(return_url, {"tracking_number": "YT998877"}, follow=True)
    aftersale.refresh_from_db()
    assert aftersale.status == "returned" and aftersale.return_tracking_number == "YT998877"
    html = html_of(response)
    assert "退货单号已提交" in html and "退货单号：YT998877" in html and "买家已退货" in html
    assert "撤销申请" not in html  # no withdrawing once the goods are on their way back

    response = client.post(reverse("web:aftersale_withdraw", args=[order.pk, aftersale.pk]))
    assert response.status_code == 200 and 'role="alert"' in html_of(response)


def test_withdraw_a_request(client, buyer, serum, operator):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 1)], operator=operator)
    line = order.lines.get()
    aftersale = services.request_aftersale(user=buyer, line_id=line.pk, kind="refund_only", amount_fen=100, reason="拍错了")
    response = client.post(reverse("web:aftersale_withdraw", args=[order.pk, aftersale.pk]), follow=True)
    aftersale.refresh_from_db()
    assert aftersale.status == "withdrawn"
    html = html_of(response)
    assert "售后申请已撤销" in html and "已撤销" in html
    assert reverse("web:aftersale_new", args=[line.pk]) in html  # can ask again


def test_refunded_aftersale_shows_on_line_and_bill(client, buyer, serum, operator):
    order = OrderFactory(shipped=True, user=buyer, items=[(serum, 2)], operator=operator)
    line = order.lines.get()
    aftersale = services.request_aftersale(user=buyer, line_id=line.pk, kind="refund_only", amount_fen=5000, reason="破损")
    services.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
    html = html_of(client.get(reverse("web:order_detail", args=[order.pk])))
    assert "已退款" in html and "已退 ¥50.00" in html and "¥50.00" in html


def test_someone_elses_aftersale_cannot_be_touched(client, buyer, serum, operator):
    mine = OrderFactory(shipped=True, user=buyer, items=[(serum, 1)], operator=operator)
    stranger = UserFactory()
    theirs = OrderFactory(shipped=True, user=stranger, items=[(serum, 1)], operator=operator)
    aftersale = services.request_aftersale(
        user=stranger, line_id=theirs.lines.get().pk, kind="refund_only", amount_fen=100, reason="x"
    )
    response = client.post(reverse("web:aftersale_withdraw", args=[mine.pk, aftersale.pk]))
    assert response.status_code == 200 and "售后单不存在" in html_of(response)
    aftersale.refresh_from_db()
    assert aftersale.status == "requested"


# --- distributor: my shop's orders ---------------------------------------------------------------


def test_shop_orders_show_the_buyer_masked(client, serum):
    shop = DistributorFactory(user=UserFactory(nickname="小美"), level=LevelFactory(rank=1))
    customer = UserFactory(nickname="张三丰", phone="13812349876")
    bind_customer(customer=customer, distributor=shop)
    order = OrderFactory(paid=True, user=customer, items=[(serum, 2)])
    client.force_login(shop.user)

    dc = html_of(client.get(reverse("web:distributor_center")))
    assert "我的小店订单" in dc and reverse("web:shop_orders") in dc and "1 笔" in dc

    html = html_of(client.get(reverse("web:shop_orders")))
    assert "张**" in html and "138****9876" in html
    assert "张三丰" not in html and "13812349876" not in html
    assert "13812345678" not in html and "王小明" not in html and "文三路" not in html  # nor the shipping address
    assert "待发货" in html and "¥300.00" in html and "共 2 件" in html
    assert timezone.localtime(order.created_at).strftime("%Y-%m-%d") in html


def test_shop_orders_list_only_the_shops_own(client, serum):
    level = LevelFactory(rank=1)
    shop, other = DistributorFactory(level=level), DistributorFactory(level=level)
    customer = UserFactory(nickname="李四")
    bind_customer(customer=customer, distributor=other)
    OrderFactory(user=customer, items=[(serum, 1)])
    client.force_login(shop.user)
    html = html_of(client.get(reverse("web:shop_orders")))
    assert "李*" not in html and "还没有订单" in html


def test_shop_orders_need_an_approved_distributor(client, buyer):
    response = client.get(reverse("web:shop_orders"))
    assert response.status_code == 302 and response["Location"] == reverse("web:apply")


# --- display helpers -----------------------------------------------------------------------------


def test_fen_short_drops_zero_fen():
    assert fen_short(9900) == "¥99"
    assert fen_short(9950) == "¥99.50"
    assert fen_short(None) == ""


def test_no_float_reaches_the_refund_service(client, buyer, serum, operator):
    line = OrderFactory(shipped=True, user=buyer, items=[(serum, 1)], operator=operator).lines.get()
    with mock.patch.object(services, "request_aftersale", wraps=services.request_aftersale) as spy:
        client.post(reverse("web:aftersale_new", args=[line.pk]), {"kind": "refund_only", "amount": "0.1", "reason": "x"})
    assert spy.call_args.kwargs["amount_fen"] == 10
    assert type(spy.call_args.kwargs["amount_fen"]) is int
