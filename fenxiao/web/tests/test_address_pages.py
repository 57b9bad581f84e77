"""The address book pages: list with the default first, add / edit with the region picker, delete,
set default, picking an address for checkout; checkout with the book; the order keeps its own copy."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fenxiao.addresses import services as address_book
from fenxiao.addresses.models import MAX_ADDRESSES, Address
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.orders import services
from fenxiao.orders.models import Order
from tests.factories import ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

BEIJING = {**BOOK_ADDRESS, "receiver": "李雷", "province_code": "11", "city_code": "1101", "district_code": "110108"}


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="阿华", phone="13955550001")
    client.force_login(user)
    return user


@pytest.fixture
def serum():
    product = ProductFactory(name="玻尿酸精华")
    return SkuFactory(product=product, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000, stock=10)


def html_of(response) -> str:
    return response.content.decode()


def form(**changes) -> dict:
    return {**BOOK_ADDRESS, **changes}


# --- the book ------------------------------------------------------------------------------------


def test_the_me_page_links_to_the_book(client, buyer):
    assert f'href="{reverse("web:addresses")}"' in html_of(client.get(reverse("web:me")))


def test_the_book_lists_the_default_first_with_a_badge(client, buyer):
    hangzhou = address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    beijing = address_book.add_address(user=buyer, data=BEIJING)
    html = html_of(client.get(reverse("web:addresses")))
    assert html.index(f'id="address-{hangzhou.pk}"') < html.index(f'id="address-{beijing.pk}"')
    assert "浙江省 杭州市 西湖区 文三路 100 号 3 幢 501" in html
    assert "北京市 海淀区" in html and "市辖区" not in html
    assert html.count(">默认</span>") == 1
    assert reverse("web:address_default", args=[beijing.pk]) in html
    assert reverse("web:address_default", args=[hangzhou.pk]) not in html  # already the default


def test_add_an_address_with_the_picker(client, buyer):
    page = html_of(client.get(reverse("web:address_new")))
    assert 'name="province_code"' in page and 'hx-get="/me/addresses/regions/"' in page
    assert '<option value="33">浙江省</option>' in page
    assert 'value="13955550001"' in page  # the first address starts with the account's phone
    response = client.post(reverse("web:address_new"), form())
    assert response.status_code == 302 and response["Location"] == reverse("web:addresses")
    saved = Address.objects.get(user=buyer)
    assert (saved.province, saved.city, saved.district, saved.is_default) == ("浙江省", "杭州市", "西湖区", True)


def test_a_wrong_region_is_shown_on_the_form_with_the_lists_of_the_chosen_province(client, buyer):
    response = client.post(reverse("web:address_new"), form(city_code="3201", district_code="320106"))
    html = html_of(response)
    assert response.status_code == 400
    assert "请选择所在省份下的城市" in html
    assert re.search(r'weui-cell_warn">\s*<div class="weui-cell__hd"><label class="weui-label" for="id_city_code"', html)
    assert '<option value="3301">杭州市</option>' in html and "南京市" not in html  # 浙江's cities
    assert 'value="王小明"' in html  # what was typed stays
    assert not Address.objects.exists()


def test_refresh_without_javascript_refills_the_lists_and_saves_nothing(client, buyer):
    response = client.post(reverse("web:address_new"), form(province_code="11", city_code="", district_code="", refresh="1"))
    html = html_of(response)
    assert response.status_code == 200 and not Address.objects.exists()
    assert '<option value="1101" selected>市辖区</option>' in html
    assert '<option value="110105">朝阳区</option>' in html


def test_edit_set_default_and_delete(client, buyer):
    first = address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    second = address_book.add_address(user=buyer, data=BEIJING)
    page = html_of(client.get(reverse("web:address_edit", args=[second.pk])))
    assert '<option value="11" selected>北京市</option>' in page and '<option value="110108" selected>海淀区</option>' in page
    client.post(reverse("web:address_edit", args=[second.pk]), {**BEIJING, "district_code": "110105", "detail": "建国路 1 号"})
    second.refresh_from_db()
    assert (second.district, second.detail) == ("朝阳区", "建国路 1 号")

    response = client.post(reverse("web:address_default", args=[second.pk]), follow=True)
    assert "已设为默认地址" in html_of(response)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default

    response = client.post(reverse("web:address_delete", args=[second.pk]), follow=True)
    assert "收货地址已删除" in html_of(response)
    first.refresh_from_db()
    assert first.is_default and not Address.objects.filter(pk=second.pk).exists()


def test_another_users_address_is_not_found(client, buyer):
    theirs = address_book.add_address(user=UserFactory(), data=BOOK_ADDRESS)
    assert client.get(reverse("web:address_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:address_edit", args=[theirs.pk]), form(detail="改掉")).status_code == 404
    assert client.post(reverse("web:address_default", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:address_delete", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.detail == BOOK_ADDRESS["detail"]
    assert f"address-{theirs.pk}" not in html_of(client.get(reverse("web:addresses")))


def test_the_book_is_full_at_twenty(client, buyer):
    for _ in range(MAX_ADDRESSES):
        address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    html = html_of(client.get(reverse("web:addresses")))
    assert 'id="address-add"' not in html and "最多保存 20 个收货地址" in html
    response = client.post(reverse("web:address_new"), form())
    assert response.status_code == 400 and "最多保存 20 个收货地址" in html_of(response)


def test_the_pages_need_a_login(client):
    for url in (reverse("web:addresses"), reverse("web:address_new")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


# --- the picker endpoint -------------------------------------------------------------------------


def test_the_picker_endpoint_fills_the_cities_of_the_chosen_province(client):
    html = html_of(client.get(reverse("web:address_regions"), {"province_code": "33"}))
    assert 'id="region-picker"' not in html  # only the selects: the picker around them stays on the page
    assert '<option value="33" selected>浙江省</option>' in html
    assert '<option value="3301">杭州市</option>' in html and "南京市" not in html
    assert re.search(r'name="district_code" autocomplete="off" required disabled', html)


def test_the_picker_endpoint_resets_a_city_of_another_province(client):
    html = html_of(
        client.get(reverse("web:address_regions"), {"province_code": "32", "city_code": "3301", "district_code": "330106"})
    )
    assert '<option value="3201">南京市</option>' in html and "杭州市" not in html and "西湖区" not in html


def test_the_picker_endpoint_chooses_a_municipalitys_only_city(client):
    html = html_of(client.get(reverse("web:address_regions"), {"province_code": "11"}))
    assert '<option value="1101" selected>市辖区</option>' in html
    assert '<option value="110105">朝阳区</option>' in html


def test_the_picker_endpoint_shows_the_towns_of_a_city_without_counties(client):
    html = html_of(client.get(reverse("web:address_regions"), {"province_code": "44", "city_code": "4419"}))
    assert '<option value="441900118">大岭山镇</option>' in html


# --- checkout ------------------------------------------------------------------------------------


def test_checkout_offers_another_address_of_the_book(client, buyer, serum):
    address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    other = address_book.add_address(user=buyer, data=BEIJING)
    checkout = f"{reverse('web:checkout')}?sku={serum.pk}&qty=1"
    html = html_of(client.get(checkout))
    change = re.search(r'href="([^"]+)" id="change-address"', html).group(1).replace("&amp;", "&")
    picking = html_of(client.get(change))
    assert "选择收货地址" in picking
    pick = f"{reverse('web:checkout')}?sku={serum.pk}&amp;qty=1&amp;address={other.pk}"
    assert pick in picking
    html = html_of(client.get(pick.replace("&amp;", "&")))
    assert f'name="address_id" value="{other.pk}"' in html and "李雷" in html
    client.post(reverse("web:checkout"), {"sku": serum.pk, "qty": 1, "address_id": other.pk, "token": "t1"})
    order = Order.objects.get(user=buyer)
    assert (order.receiver, order.province, order.city, order.district) == ("李雷", "北京市", "北京市", "海淀区")


def test_checkout_can_add_an_address_to_the_book_and_come_back(client, buyer, serum):
    checkout = f"{reverse('web:checkout')}?sku={serum.pk}&qty=1"
    address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    response = client.post(f"{reverse('web:address_new')}", {**BEIJING, "next": checkout})
    added = Address.objects.get(user=buyer, receiver="李雷")
    assert response.status_code == 302 and response["Location"] == f"{checkout}&address={added.pk}"


def test_checkout_with_an_empty_book_saves_the_new_address_as_default(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = html_of(client.get(reverse("web:checkout")))
    assert 'id="region-picker"' in html and 'name="save_address" value="1" checked' in html
    response = client.post(reverse("web:checkout"), form(save_address="1", token="t1"))
    order = Order.objects.get(user=buyer)
    assert response["Location"] == reverse("web:order_pay", args=[order.pk])
    saved = Address.objects.get(user=buyer)
    assert saved.is_default and (saved.province_code, saved.city_code, saved.district_code) == ("33", "3301", "330106")
    assert (order.province, order.city, order.district, order.address_detail) == (
        "浙江省",
        "杭州市",
        "西湖区",
        BOOK_ADDRESS["detail"],
    )


def test_checkout_refuses_a_wrong_region_inline(client, buyer, serum):
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    response = client.post(reverse("web:checkout"), form(district_code="110105", token="t1"))
    html = html_of(response)
    assert "请选择所在城市下的区县" in html and not Order.objects.exists()
    assert re.search(r'weui-cell_warn">\s*<div class="weui-cell__hd"><label class="weui-label" for="id_district_code"', html)


def test_checkout_refuses_somebody_elses_address(client, buyer, serum):
    mine = address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    theirs = address_book.add_address(user=UserFactory(), data=BEIJING)
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    html = html_of(client.get(f"{reverse('web:checkout')}?address={theirs.pk}"))
    assert f'name="address_id" value="{mine.pk}"' in html and "李雷" not in html  # back to the own default
    response = client.post(reverse("web:checkout"), {"address_id": theirs.pk, "token": "t1"})
    assert "收货地址不存在，请重新选择" in html_of(response)
    assert not Order.objects.exists()


def test_the_order_keeps_its_address_when_the_book_changes(client, buyer, serum):
    saved = address_book.add_address(user=buyer, data=BOOK_ADDRESS)
    services.add_to_cart(user=buyer, sku_id=serum.pk, quantity=1)
    client.post(reverse("web:checkout"), {"address_id": saved.pk, "token": "t1"})
    order = Order.objects.get(user=buyer)
    address_book.update_address(user=buyer, address_id=saved.pk, data={**BEIJING, "receiver": "换人了"})
    order.refresh_from_db()
    assert (order.receiver, order.province, order.city, order.district) == ("王小明", "浙江省", "杭州市", "西湖区")
    address_book.delete_address(user=buyer, address_id=saved.pk)
    order.refresh_from_db()
    assert order.address_detail == BOOK_ADDRESS["detail"]
    assert "文三路 100 号 3 幢 501" in html_of(client.get(reverse("web:order_detail", args=[order.pk])))
