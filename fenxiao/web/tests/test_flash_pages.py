"""The 秒杀 pages: the day's slots as tabs with their countdown, each item's flash price, 已抢 N% and
its button by the slot's state, 提醒我 and taking it back, a distributor's link to a slot, and buying
on an item's page — where a refusal (sold out, limit reached) is a message on the page, never an error."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.distribution.models import Binding
from fenxiao.orders.models import Order
from fenxiao.orders.services.activities.flash import place_flash_order
from fenxiao.promotions.models import ActivityKind, ActivityVisit, FlashItem, FlashReminder, FlashSale
from fenxiao.promotions.services import activities as activity_services
from fenxiao.promotions.services import flash as flash_services
from tests.factories import ADDRESS, DistributorFactory, ProductFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_FEN = 19900
FLASH_FEN = 9900


def local_today_at(hour: int, minute: int = 0):
    now = timezone.localtime()
    return now.replace(hour=hour, minute=minute, second=0, microsecond=0)


def make_sale(name, starts_at, ends_at, *, items, start=True) -> FlashSale:
    """A flash sale of `items` [(sku, quantity, per_person_limit)], its units moved in when it runs."""
    sale = activity_services.save_flash_sale(
        actor=StaffFactory(),
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        items=[
            {"sku_id": sku.pk, "price_fen": FLASH_FEN, "quantity": quantity, "per_person_limit": limit, "per_order_limit": 1}
            for sku, quantity, limit in items
        ],
    )
    if start and starts_at <= timezone.now() < ends_at:
        flash_services.start_sale(sale.pk)
    return sale


def sku(name="蓝牙耳机", stock=50):
    return SkuFactory(
        product=ProductFactory(name=name), retail_fen=LIST_FEN, suggested_retail_fen=LIST_FEN, control_fen=12000, stock=stock
    )


@pytest.fixture
def running():
    """A slot running now (started ten minutes ago, for two hours) with 10 earphones."""
    now = timezone.now()
    return make_sale("整点秒杀", now - timedelta(minutes=10), now + timedelta(hours=2), items=[(sku(), 10, 2)])


@pytest.fixture
def upcoming():
    """A slot starting in one hour (later today, unless that is past midnight)."""
    now = timezone.now()
    return make_sale("下一场", now + timedelta(hours=1), now + timedelta(hours=3), items=[(sku("充电宝"), 5, 1)])


@pytest.fixture
def buyer(client):
    user = UserFactory(nickname="阿华")
    client.force_login(user)
    return user


def item_of(sale) -> FlashItem:
    return FlashItem.objects.get(sale=sale)


def block(html: str, element_id: str) -> str:
    """The HTML of the <li> (or section) with this id, up to its closing tag."""
    start = html.index(f'id="{element_id}"')
    end = html.index("</li>", start) if "</li>" in html[start:] else len(html)
    return html[start:end]


def test_the_slot_running_is_shown_with_its_countdown_prices_and_buy_button(client, running):
    response = client.get(reverse("web:flash"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="flash-slot-{running.pk}"' in html
    assert re.search(rf'id="flash-slot-{running.pk}"[^>]*aria-current="page"', html)
    assert "抢购中" in html
    assert "距结束" in html
    seconds = int(re.search(r'data-flash-countdown="(\d+)"', html).group(1))
    assert 2 * 3600 - 60 <= seconds <= 2 * 3600
    row = block(html, f"flash-item-{item_of(running).pk}")
    assert "¥99.00" in row and "¥199.00" in row
    assert "已抢 0%" in row
    assert "仅剩 10 件" in row
    assert "马上抢" in row
    assert 'data-button="buy"' in row


def test_sold_percent_follows_the_orders_and_a_sold_out_item_says_so(client, running):
    item = item_of(running)
    buyers = [UserFactory() for _ in range(3)]
    for user in buyers:
        place_flash_order(user=user, item_id=item.pk, quantity=1, address=dict(ADDRESS))
    row = block(client.get(reverse("web:flash")).content.decode(), f"flash-item-{item.pk}")
    assert "已抢 30%" in row
    assert 'style="width: 30%"' in row
    assert "仅剩 7 件" in row

    for _n in range(7):
        place_flash_order(user=UserFactory(), item_id=item.pk, quantity=1, address=dict(ADDRESS))
    row = block(client.get(reverse("web:flash")).content.decode(), f"flash-item-{item.pk}")
    assert "已抢 100%" in row
    assert "已抢光" in row
    assert 'data-button="sold_out"' in row
    assert "马上抢" not in row


def test_tabs_show_today_and_tomorrows_first_slots(client, running):
    tomorrow = timezone.localtime() + timedelta(days=1)
    first = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    later = [
        make_sale(f"明日 {h} 点", first + timedelta(hours=h), first + timedelta(hours=h, minutes=50), items=[(sku(), 5, 1)])
        for h in range(3)
    ]
    html = client.get(reverse("web:flash")).content.decode()
    assert f'id="flash-slot-{running.pk}"' in html
    assert f'id="flash-slot-{later[0].pk}"' in html
    assert f'id="flash-slot-{later[1].pk}"' in html
    assert f'id="flash-slot-{later[2].pk}"' not in html  # only the first two of tomorrow
    assert "明日预告" in html
    # the running slot is the one open by default; another tab opens with ?sale=
    html = client.get(reverse("web:flash"), {"sale": later[0].pk}).content.decode()
    assert re.search(rf'id="flash-slot-{later[0].pk}"[^>]*aria-current="page"', html)
    assert "距开始" in html
    assert 'data-button="remind"' in html


def test_an_upcoming_slot_offers_remind_me_and_takes_it_back(client, buyer, upcoming):
    url = f"{reverse('web:flash')}?sale={upcoming.pk}"
    row = block(client.get(url).content.decode(), f"flash-item-{item_of(upcoming).pk}")
    assert "提醒我" in row and 'data-button="remind"' in row

    response = client.post(reverse("web:flash_remind", args=[upcoming.pk]), {"on": "1", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert FlashReminder.objects.filter(sale=upcoming, user=buyer).count() == 1
    page = client.get(url).content.decode()
    assert "已设置提醒" in page
    row = block(page, f"flash-item-{item_of(upcoming).pk}")
    assert "已设提醒" in row and 'data-button="reminded"' in row

    # asking twice keeps the one reminder; 已设提醒 takes it back
    client.post(reverse("web:flash_remind", args=[upcoming.pk]), {"on": "1", "next": url})
    assert FlashReminder.objects.filter(sale=upcoming, user=buyer).count() == 1
    client.post(reverse("web:flash_remind", args=[upcoming.pk]), {"on": "0", "next": url})
    assert not FlashReminder.objects.filter(sale=upcoming, user=buyer).exists()
    assert 'data-button="remind"' in client.get(url).content.decode()


def test_remind_me_asks_a_visitor_to_sign_in(client, upcoming):
    response = client.post(reverse("web:flash_remind", args=[upcoming.pk]), {"on": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
    assert not FlashReminder.objects.exists()


def test_an_ended_slot_shows_ended_and_no_countdown(client):
    now = timezone.now()
    ended = make_sale("早场", now - timedelta(hours=3), now - timedelta(hours=1), items=[(sku(), 5, 1)], start=False)
    html = client.get(reverse("web:flash"), {"sale": ended.pk}).content.decode()
    assert "本场已结束" in html
    row = block(html, f"flash-item-{item_of(ended).pk}")
    assert "已结束" in row and 'data-button="ended"' in row
    assert 'data-flash-countdown="' not in html


def test_no_slot_today_says_so(client):
    response = client.get(reverse("web:flash"))
    assert response.status_code == 200
    assert 'id="flash-none"' in response.content.decode()


def test_each_page_counts_one_visit_per_visitor_and_day(client, buyer, running):
    client.get(reverse("web:flash"))
    client.get(reverse("web:flash"))
    client.get(reverse("web:flash_item", args=[item_of(running).pk]))
    visits = ActivityVisit.objects.filter(kind=ActivityKind.FLASH, activity_id=running.pk)
    assert list(visits.values_list("visitor_key", flat=True)) == [f"u:{buyer.pk}"]


def test_the_share_link_binds_the_visitor_and_opens_the_slot(client, buyer, running):
    shop = DistributorFactory()
    response = client.get(f"/s/{shop.code}/f/{running.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:flash')}?sale={running.pk}"
    assert Binding.objects.get(customer=buyer).distributor == shop
    assert client.get(f"/s/{shop.code}/f/999999").status_code == 404


def test_a_distributor_sees_its_link_to_the_slot(client, running):
    shop = DistributorFactory()
    client.force_login(shop.user)
    html = client.get(reverse("web:flash")).content.decode()
    assert f"/s/{shop.code}/f/{running.pk}" in html


def test_buying_goes_to_the_payment_page_at_the_flash_price(client, buyer, running):
    address = address_book.add_address(user=buyer, data=dict(BOOK_ADDRESS))
    item = item_of(running)
    url = reverse("web:flash_item", args=[item.pk])
    page = client.get(url).content.decode()
    assert 'id="flash-buy"' in page
    assert "¥99.00" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client.post(url, {"token": token, "qty": "1", "address_id": address.pk, "note": "尽快发货"})
    order = Order.objects.get(user=buyer)
    assert response.status_code == 302 and response["Location"] == reverse("web:order_pay", args=[order.pk])
    assert (order.activity_kind, order.activity_id, order.goods_fen - order.discount_fen) == ("flash", running.pk, FLASH_FEN)
    # the same form sent again goes to the same order
    again = client.post(url, {"token": token, "qty": "1", "address_id": address.pk})
    assert again["Location"] == reverse("web:order_pay", args=[order.pk])
    assert Order.objects.filter(user=buyer).count() == 1


def test_a_sold_out_item_is_a_message_on_the_page_not_an_error(client, buyer):
    now = timezone.now()
    sale = make_sale("只有一件", now - timedelta(minutes=1), now + timedelta(hours=1), items=[(sku(), 1, 1)])
    item = item_of(sale)
    address = address_book.add_address(user=buyer, data=dict(BOOK_ADDRESS))
    url = reverse("web:flash_item", args=[item.pk])
    client.get(url)  # the buyer opens the page while one is left
    place_flash_order(user=UserFactory(), item_id=item.pk, quantity=1, address=dict(ADDRESS))  # somebody is faster

    response = client.post(url, {"token": "t-1", "qty": "1", "address_id": address.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="flash-error"[^>]*>已抢光<', html)
    assert 'id="flash-sold-out"' in html
    assert not Order.objects.filter(user=buyer).exists()


def test_the_per_person_limit_is_a_message_too(client, buyer, running):
    item = item_of(running)  # 2 a person, 1 an order
    address = address_book.add_address(user=buyer, data=dict(BOOK_ADDRESS))
    url = reverse("web:flash_item", args=[item.pk])
    for token in ("a", "b"):
        assert client.post(url, {"token": token, "qty": "1", "address_id": address.pk}).status_code == 302
    page = client.get(url).content.decode()
    assert "你已抢 2 件" in page and 'id="flash-limit"' in page
    response = client.post(url, {"token": "c", "qty": "1", "address_id": address.pk})
    assert response.status_code == 200
    assert 'id="flash-error"' in response.content.decode()
    assert Order.objects.filter(user=buyer).count() == 2


def test_a_visitor_is_asked_to_sign_in_before_buying(client, running):
    url = reverse("web:flash_item", args=[item_of(running).pk])
    page = client.get(url).content.decode()
    assert 'id="flash-login"' in page
    response = client.post(url, {"qty": "1"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_an_unknown_item_is_not_found(client):
    assert client.get(reverse("web:flash_item", args=[987654])).status_code == 404
