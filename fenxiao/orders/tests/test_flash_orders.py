"""Flash sale orders (秒杀): the order's activity terms, the limits, the sale's unpaid timeout, the
refusals, and never overselling — through the database alone and with admission in Redis (losers
answered without a query; Redis down mid-sale falls back to the database)."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.utils import timezone

from fenxiao.commissions.models import Commission
from fenxiao.common.errors import DomainError
from fenxiao.distribution.services.binding import bind_customer
from fenxiao.inventory.models import MAIN_LOCATION, Reservation, StockRecord
from fenxiao.orders import services
from fenxiao.orders.models import Order
from fenxiao.orders.services.activities.flash import place_flash_order
from fenxiao.promotions import admission
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import ActivityOrder, FlashItem, FlashSale, RunStatus, flash_location
from fenxiao.promotions.services import flash
from tests.factories import ADDRESS, SkuFactory, UserFactory, accrue_commissions

REDIS_TEST_URL = os.environ.get("FENXIAO_TEST_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
DEAD_REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port


@pytest.fixture(autouse=True)
def _no_redis(settings):
    """The database path unless a test asks for Redis (`flash_redis`)."""
    settings.REDIS_URL = ""


@pytest.fixture
def flash_redis(settings):
    """Redis at the test URL under a prefix of this test alone (skipped when Redis is unreachable)."""
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5, socket_timeout=0.5, decode_responses=True)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL}")
    prefix = f"fx:test:flash:{uuid.uuid4().hex}:"
    settings.REDIS_URL = REDIS_TEST_URL
    settings.FENXIAO_FLASH_REDIS_PREFIX = prefix
    yield client
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def running_item(*, quantity=5, price_fen=9900, per_person=1, per_order=1, starts_in=-1, minutes=60, stock=100, **fields):
    """A flash item of a sale running now (unless told otherwise), its units moved in."""
    now = timezone.now()
    sale = FlashSale.objects.create(
        name="秒杀场",
        starts_at=now + timedelta(minutes=starts_in),
        ends_at=now + timedelta(minutes=starts_in + minutes),
        **fields,
    )
    sku = SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12000, cost_fen=5000, stock=stock)
    item = FlashItem.objects.create(
        sale=sale, sku=sku, price_fen=price_fen, quantity=quantity, per_person_limit=per_person, per_order_limit=per_order
    )
    flash.start_sale(sale.pk)
    item.refresh_from_db()
    return item


def free_at(item) -> int:
    record = StockRecord.objects.get(sku_id=item.sku_id, location=flash_location(item.pk))
    return record.on_hand - record.reserved


def buy(user, item, quantity=1, **kwargs) -> Order:
    return place_flash_order(user=user, item_id=item.pk, quantity=quantity, address=dict(ADDRESS), **kwargs)


# --- the order -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_flash_order_carries_the_activity_and_pays_commission_on_what_was_paid(distributor):
    item = running_item(quantity=5, price_fen=9900)
    buyer = UserFactory()
    bind_customer(customer=buyer, distributor=distributor)

    order = buy(buyer, item)
    assert (order.activity_kind, order.activity_id, order.pays_commission) == ("flash", item.sale_id, True)
    assert order.distributor_id == distributor.pk and not order.is_self_purchase
    assert (order.goods_fen, order.discount_fen) == (15000, 5100)
    assert timedelta(minutes=4, seconds=59) < order.expires_at - order.created_at <= timedelta(minutes=5)
    activity = order.price_breakdown["activity"]
    assert activity["kind"] == "flash" and activity["activity_id"] == item.sale_id
    assert activity["below_control_sku_ids"] == [item.sku_id]  # ¥99 under the ¥120 control price
    assert [(a.stage, a.amount_fen) for a in order.lines.get().adjustments.all()] == [("activity", 5100)]
    reservation = Reservation.objects.get(reference__endswith=str(order.pk))
    assert reservation.stock_record.location == flash_location(item.pk)
    row = ActivityOrder.objects.get(order_id=order.pk)
    assert (row.kind, row.activity_id, row.item_id, row.quantity, row.state) == ("flash", item.sale_id, item.pk, 1, "placed")
    assert free_at(item) == 4
    assert StockRecord.objects.get(sku_id=item.sku_id, location=MAIN_LOCATION).reserved == 0

    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    accrue_commissions()
    commission = Commission.objects.get(order=order, depth=1)
    assert commission.distributor_id == distributor.pk
    assert commission.base_fen == order.lines.get().paid_fen == 9900
    assert ActivityOrder.objects.get(order_id=order.pk).state == "paid"


@pytest.mark.django_db
def test_a_sale_without_commission_pays_none(distributor):
    item = running_item(pays_commission=False)
    buyer = UserFactory()
    bind_customer(customer=buyer, distributor=distributor)
    order = buy(buyer, item)
    assert order.distributor_id == distributor.pk and order.pays_commission is False
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    accrue_commissions()
    assert not Commission.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_points_only_where_the_sale_allows_them():
    item = running_item()
    with pytest.raises(DomainError) as refused:
        buy(UserFactory(), item, points=100)
    assert refused.value.code == "activity_no_points"
    assert free_at(item) == 5


# --- limits --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_per_order_and_per_person_limits():
    item = running_item(quantity=10, per_person=3, per_order=2)
    buyer = UserFactory()
    with pytest.raises(PromotionError) as per_order:
        buy(buyer, item, quantity=3)
    assert per_order.value.code == "activity_limit_reached" and per_order.value.status == 409
    assert per_order.value.detail["per_order_limit"] == 2

    buy(buyer, item, quantity=2)
    with pytest.raises(PromotionError) as per_person:
        buy(buyer, item, quantity=2)
    assert per_person.value.code == "activity_limit_reached"
    assert per_person.value.detail == {"item_id": item.pk, "per_person_limit": 3, "bought": 2, "quantity": 2}
    buy(buyer, item, quantity=1)
    with pytest.raises(PromotionError):
        buy(buyer, item, quantity=1)
    assert free_at(item) == 7
    buy(UserFactory(), item, quantity=2)  # the limit is per person


@pytest.mark.django_db
def test_the_unpaid_timeout_gives_the_unit_back_and_the_buyer_may_buy_again():
    item = running_item(quantity=1, unpaid_timeout_minutes=5)
    buyer, other = UserFactory(), UserFactory()
    order = buy(buyer, item)
    with pytest.raises(PromotionError) as gone:
        buy(other, item)
    assert gone.value.code == "activity_sold_out"

    now = timezone.now()
    assert services.expire_unpaid_orders(now=now + timedelta(minutes=4)) == 0
    assert services.expire_unpaid_orders(now=now + timedelta(minutes=6)) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert ActivityOrder.objects.get(order_id=order.pk).state == "cancelled"
    assert free_at(item) == 1
    again = buy(buyer, item)  # the lapsed order no longer counts for the limit
    assert again.status == Order.Status.PENDING_PAYMENT


# --- refusals ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_not_started_ended_paused_and_missing_are_refused():
    buyer = UserFactory()
    upcoming = running_item(starts_in=1)  # units already moved in (two minutes ahead)
    with pytest.raises(PromotionError) as early:
        buy(buyer, upcoming)
    assert (early.value.code, early.value.status) == ("activity_not_started", 409)

    over = running_item(starts_in=-90, minutes=60)
    with pytest.raises(PromotionError) as late:
        buy(buyer, over)
    assert (late.value.code, late.value.status) == ("activity_ended", 409)

    ended = running_item()
    FlashSale.objects.filter(pk=ended.sale_id).update(status=RunStatus.ENDED)
    with pytest.raises(PromotionError) as stopped:
        buy(buyer, ended)
    assert stopped.value.code == "activity_ended"

    paused = running_item()
    FlashSale.objects.filter(pk=paused.sale_id).update(status=RunStatus.PAUSED)
    with pytest.raises(PromotionError) as on_hold:
        buy(buyer, paused)
    assert (on_hold.value.code, on_hold.value.status) == ("activity_paused", 409)

    with pytest.raises(PromotionError) as missing:
        place_flash_order(user=buyer, item_id=987654, quantity=1, address=dict(ADDRESS))
    assert (missing.value.code, missing.value.status) == ("activity_not_found", 404)
    assert not Order.objects.exists()


# --- the API -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_places_a_flash_order_and_declares_its_refusals(client):
    item = running_item(quantity=1)
    assert (
        client.post("/api/v1/orders/flash", {"item_id": item.pk, "address": ADDRESS}, content_type="application/json").status_code
        == 401
    )
    buyer = UserFactory()
    client.force_login(buyer)
    placed = client.post("/api/v1/orders/flash", {"item_id": item.pk, "address": ADDRESS}, content_type="application/json")
    assert placed.status_code == 201, placed.json()
    body = placed.json()
    assert (body["activity_kind"], body["activity_id"], body["total_fen"]) == ("flash", item.sale_id, 9900)
    assert [line["sku_id"] for line in body["lines"]] == [item.sku_id]

    client.force_login(UserFactory())
    sold_out = client.post("/api/v1/orders/flash", {"item_id": item.pk, "address": ADDRESS}, content_type="application/json")
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "activity_sold_out"
    both = client.post(
        "/api/v1/orders/flash", {"item_id": item.pk, "address": ADDRESS, "address_id": 1}, content_type="application/json"
    )
    assert both.status_code == 422
    unknown = client.post("/api/v1/orders/flash", {"item_id": item.pk, "address_id": 987654}, content_type="application/json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "address_not_found"

    responses = client.get("/api/openapi.json").json()["paths"]["/api/v1/orders/flash"]["post"]["responses"]
    assert {"201", "401", "409", "422"} <= set(map(str, responses))


# --- never oversold ------------------------------------------------------------------------------------

BUYERS = 30
UNITS = 5


def _race(item, buyers) -> list[str]:
    barrier = threading.Barrier(len(buyers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(user):
        try:
            barrier.wait(30)
            try:
                buy(user, item)
                result = "ok"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


def _assert_exactly_sold(item, outcomes) -> None:
    assert len(outcomes) == BUYERS
    assert outcomes.count("ok") == UNITS
    assert set(outcomes) == {"ok", "activity_sold_out"}
    record = StockRecord.objects.get(sku_id=item.sku_id, location=flash_location(item.pk))
    assert (record.on_hand, record.reserved) == (UNITS, UNITS)
    assert Order.objects.filter(activity_kind="flash", activity_id=item.sale_id).count() == UNITS
    assert ActivityOrder.objects.filter(item_id=item.pk, state="placed").count() == UNITS


@pytest.mark.django_db(transaction=True)
def test_30_buyers_for_5_units_through_the_database():
    item = running_item(quantity=UNITS)
    _assert_exactly_sold(item, _race(item, [UserFactory() for _ in range(BUYERS)]))


@pytest.mark.django_db(transaction=True)
def test_30_buyers_for_5_units_with_redis_admission(flash_redis):
    item = running_item(quantity=UNITS)  # committed: the priming ran
    stock, users, _version, _meta = admission.keys(item.pk)
    assert flash_redis.get(stock) == str(UNITS)
    _assert_exactly_sold(item, _race(item, [UserFactory() for _ in range(BUYERS)]))
    assert flash_redis.get(stock) == "0"
    assert sum(int(v) for v in flash_redis.hgetall(users).values()) == UNITS


@pytest.mark.django_db
def test_a_loser_is_answered_without_a_database_query(flash_redis, django_assert_num_queries):
    item = running_item(quantity=1)
    admission.prime([item.pk])  # the test's transaction never commits: prime by hand
    winner, loser = UserFactory(), UserFactory()
    buy(winner, item)
    with django_assert_num_queries(0), pytest.raises(PromotionError) as sold_out:
        buy(loser, item)
    assert (sold_out.value.code, sold_out.value.status) == ("activity_sold_out", 409)
    with django_assert_num_queries(0), pytest.raises(PromotionError) as limit:
        buy(winner, item)
    assert limit.value.code == "activity_limit_reached"


@pytest.mark.django_db
def test_a_failed_placement_hands_the_token_back(flash_redis):
    item = running_item(quantity=2)
    admission.prime([item.pk])
    stock, users, _version, _meta = admission.keys(item.pk)
    buyer = UserFactory()
    with pytest.raises(DomainError):
        buy(buyer, item, points=100)  # refused by the price (no points in this sale) after admission
    assert flash_redis.get(stock) == "2" and flash_redis.hget(users, str(buyer.pk)) is None
    buy(buyer, item)
    assert flash_redis.get(stock) == "1" and flash_redis.hget(users, str(buyer.pk)) == "1"


@pytest.mark.django_db(transaction=True)
def test_an_unpaid_order_that_lapses_gives_its_token_back(flash_redis):
    item = running_item(quantity=1)
    stock, users, _version, _meta = admission.keys(item.pk)
    buyer = UserFactory()
    buy(buyer, item)
    assert flash_redis.get(stock) == "0"
    with pytest.raises(PromotionError):
        buy(UserFactory(), item)
    services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=6))
    assert flash_redis.get(stock) == "1" and flash_redis.hget(users, str(buyer.pk)) is None
    assert admission.reconcile_flash_admission() == {"flash_admission_rebuilt": 0}  # agrees with the database
    buy(UserFactory(), item)


@pytest.mark.django_db(transaction=True)
def test_redis_down_mid_sale_falls_back_to_the_database_without_overselling(flash_redis, settings, caplog):
    item = running_item(quantity=UNITS)
    first = [UserFactory() for _ in range(2)]
    for user in first:
        buy(user, item)
    assert flash_redis.get(admission.keys(item.pk)[0]) == str(UNITS - 2)

    settings.REDIS_URL = DEAD_REDIS_URL  # Redis goes away
    with caplog.at_level(logging.WARNING, logger="fenxiao.promotions.admission"):
        outcomes = _race(item, [UserFactory() for _ in range(BUYERS - 2)])
    assert outcomes.count("ok") == UNITS - 2
    assert set(outcomes) == {"ok", "activity_sold_out"}
    assert "Redis unavailable" in caplog.text
    with pytest.raises(PromotionError) as again:
        buy(first[0], item)  # the database still keeps the per-person limit
    assert again.value.code == "activity_limit_reached"
    record = StockRecord.objects.get(sku_id=item.sku_id, location=flash_location(item.pk))
    assert (record.on_hand, record.reserved) == (UNITS, UNITS)
    assert Order.objects.filter(activity_kind="flash").count() == UNITS
