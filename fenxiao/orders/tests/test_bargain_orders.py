"""Buying a bargain (砍价): the starter's one order at the price reached (the floor, or above it where the
activity allows), the bargain following its order (bought; buyable again when the order is cancelled
unpaid; still bought when a paid order is refunded), and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.addresses import services as address_book
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.orders import services
from fenxiao.orders.models import Order
from fenxiao.orders.services.activities.bargains import place_bargain_order
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import ActivityOrder, Bargain, BargainActivity, BargainEvent
from fenxiao.promotions.services import bargains
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

B = Bargain.Status
START, FLOOR = 15000, 9900


def make_activity(sku, **fields) -> BargainActivity:
    now = timezone.now()
    values = {
        "name": "砍价：精华液",
        "sku": sku,
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=3),
        "start_price_fen": START,
        "floor_price_fen": FLOOR,
        "helps_needed": 2,
        "hours": 24,
    }
    values.update(fields)
    return BargainActivity.objects.create(**values)


def cut_to_floor(bargain: Bargain) -> Bargain:
    for _ in range(bargain.helps_needed - bargain.helps_done):
        bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())
    bargain.refresh_from_db()
    return bargain


def refused(call) -> tuple[str, int]:
    with pytest.raises(PromotionError) as caught:
        call()
    return caught.value.code, caught.value.status


def test_the_starter_buys_at_the_floor_once(buyer, sku, address):
    activity = make_activity(sku, pays_commission=False)
    bargain = cut_to_floor(bargains.start(user=buyer, activity_id=activity.pk))
    assert bargain.status == B.FLOOR
    order = place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address, note="周末送")
    line = order.lines.get()
    assert (line.sku_id, line.quantity, line.unit_price_fen, line.paid_fen) == (sku.pk, 1, START, FLOOR)
    assert (order.activity_kind, order.activity_id, order.pays_commission) == ("bargain", activity.pk, False)
    assert order.total_fen == FLOOR + order.shipping_fen and order.user_coupon_id is None
    assert order.price_breakdown["activity"]
    row = ActivityOrder.objects.get(order_id=order.pk)
    assert (row.kind, row.activity_id, row.bargain_id, row.quantity, row.state) == (
        "bargain",
        activity.pk,
        bargain.pk,
        1,
        "placed",
    )
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_id) == (B.BOUGHT, order.pk)
    assert BargainEvent.objects.filter(bargain=bargain, from_status=B.FLOOR, to_status=B.BOUGHT).exists()
    # one order per bargain
    assert refused(lambda: place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)) == ("bargain_ended", 409)


def test_only_the_starter_and_only_at_the_floor(buyer, sku, address):
    activity = make_activity(sku)
    bargain = bargains.start(user=buyer, activity_id=activity.pk)
    other = UserFactory()
    assert refused(lambda: place_bargain_order(user=other, bargain_id=bargain.pk, address=address)) == (
        "bargain_not_found",
        404,
    )
    assert refused(lambda: place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)) == (
        "bargain_not_at_floor",
        409,
    )
    # expired without reaching the floor, and the activity sells only at the floor
    bargains.expire_bargains(bargain.expires_at + timedelta(seconds=1))
    assert refused(lambda: place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)) == ("bargain_ended", 409)
    assert not Order.objects.exists()


def test_buy_above_floor_buys_now_at_the_price_reached_and_ends_the_bargain(buyer, sku, address):
    activity = make_activity(sku, buy_above_floor=True, helps_needed=3)
    bargain = bargains.start(user=buyer, activity_id=activity.pk)
    bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())
    bargain.refresh_from_db()
    reached = bargain.current_price_fen
    assert FLOOR < reached < START
    order = place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)
    assert order.lines.get().paid_fen == reached
    bargain.refresh_from_db()
    assert bargain.status == B.BOUGHT and bargain.ended_at is not None
    # nobody can help a bought bargain
    assert refused(lambda: bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())) == ("bargain_ended", 409)


def test_an_expired_bargain_is_bought_at_the_price_reached_where_the_activity_allows(buyer, sku, address):
    activity = make_activity(sku, buy_above_floor=True, helps_needed=3)
    bargain = bargains.start(user=buyer, activity_id=activity.pk)
    bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())
    Bargain.objects.filter(pk=bargain.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert bargains.expire_bargains()["expired"] == 1
    bargain.refresh_from_db()
    order = place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)
    assert order.lines.get().paid_fen == bargain.current_price_fen
    bargain.refresh_from_db()
    assert bargain.status == B.BOUGHT


def test_a_cancelled_unpaid_order_makes_the_bargain_buyable_again(buyer, sku, address):
    activity = make_activity(sku)
    bargain = cut_to_floor(bargains.start(user=buyer, activity_id=activity.pk))
    first = place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)
    services.cancel_order(order_id=first.pk, actor=buyer, reason="地址写错了")
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_id) == (B.FLOOR, None)
    assert ActivityOrder.objects.get(order_id=first.pk).state == "cancelled"
    second = place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_id) == (B.BOUGHT, second.pk)

    # left unpaid past its deadline: the job cancels it and the bargain is buyable again
    services.expire_unpaid_orders(now=second.expires_at + timedelta(seconds=1))
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_id) == (B.FLOOR, None)


def test_a_cancelled_order_of_an_unfinished_bargain_reopens_it_until_its_deadline(buyer, sku, address):
    activity = make_activity(sku, buy_above_floor=True, helps_needed=3)
    bargain = bargains.start(user=buyer, activity_id=activity.pk)
    bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())
    order = place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)
    services.cancel_order(order_id=order.pk, actor=buyer)
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_id, bargain.ended_at) == (B.ACTIVE, None, None)
    bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())  # friends can go on helping


def test_a_paid_order_keeps_the_bargain_bought_even_when_refunded(buyer, sku, address):
    activity = make_activity(sku)
    bargain = cut_to_floor(bargains.start(user=buyer, activity_id=activity.pk))
    order = place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    assert ActivityOrder.objects.get(order_id=order.pk).state == "paid"
    assert BargainEvent.objects.filter(bargain=bargain, note="订单已付款").exists()
    services.cancel_order(order_id=order.pk, actor=buyer, reason="不想要了")
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_id) == (B.BOUGHT, order.pk)
    assert refused(lambda: place_bargain_order(user=buyer, bargain_id=bargain.pk, address=address)) == ("bargain_ended", 409)


def test_the_order_api(client, buyer, sku):
    activity = make_activity(sku)
    bargain = bargains.start(user=buyer, activity_id=activity.pk)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=buyer)}"}
    book = address_book.add_address(user=buyer, data=dict(BOOK_ADDRESS))
    early = client.post(
        "/api/v1/orders/bargain", {"bargain_id": bargain.pk, "address_id": book.pk}, content_type="application/json", **headers
    )
    assert early.status_code == 409 and early.json()["code"] == "bargain_not_at_floor"
    cut_to_floor(bargain)
    both = client.post(
        "/api/v1/orders/bargain",
        {"bargain_id": bargain.pk, "address_id": book.pk, "address": dict(BOOK_ADDRESS)},
        content_type="application/json",
        **headers,
    )
    assert both.status_code == 422
    placed = client.post(
        "/api/v1/orders/bargain",
        {"bargain_id": bargain.pk, "address_id": book.pk, "note": "谢谢"},
        content_type="application/json",
        **headers,
    )
    assert placed.status_code == 201, placed.content
    body = placed.json()
    assert body["lines"][0]["paid_fen"] == FLOOR and body["status"] == "pending_payment" and body["note"] == "谢谢"
    again = client.post(
        "/api/v1/orders/bargain", {"bargain_id": bargain.pk, "address_id": book.pk}, content_type="application/json", **headers
    )
    assert again.status_code == 409 and again.json()["code"] == "bargain_ended"
    stranger = client.post(
        "/api/v1/orders/bargain",
        {"bargain_id": bargain.pk, "address_id": book.pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issue_token(user=UserFactory())}",
    )
    assert stranger.status_code == 404
    paid = client.post(f"/api/v1/orders/{body['id']}/pay", {"provider": "dev"}, content_type="application/json", **headers)
    assert paid.status_code == 200 and paid.json()["order"]["status"] == "paid"
