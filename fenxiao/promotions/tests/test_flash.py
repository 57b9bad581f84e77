"""Flash sales (秒杀): stock moved in at the start and back at the end (never counted twice), the day's
slots, reminders, and the admission counters in Redis (priming, reconcile after a flush)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
import redis
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from fenxiao.common.periods import local_today
from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import MAIN_LOCATION, StockMovement, StockRecord
from fenxiao.orders import services as order_services
from fenxiao.orders.services.activities.flash import place_flash_order
from fenxiao.promotions import admission, selectors_flash
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import FlashItem, FlashReminder, FlashSale, RunStatus, flash_location
from fenxiao.promotions.services import flash
from tests.factories import ADDRESS, SkuFactory, StaffFactory, UserFactory

REDIS_TEST_URL = os.environ.get("FENXIAO_TEST_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


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


def make_sale(*, sku=None, quantity=5, price_fen=9900, per_person=1, per_order=1, starts_in=-1, minutes=60, **fields):
    now = timezone.now()
    sku = sku or SkuFactory(stock=100)
    sale = FlashSale.objects.create(
        name="10点场",
        starts_at=now + timedelta(minutes=starts_in),
        ends_at=now + timedelta(minutes=starts_in + minutes),
        **fields,
    )
    item = FlashItem.objects.create(
        sale=sale, sku=sku, price_fen=price_fen, quantity=quantity, per_person_limit=per_person, per_order_limit=per_order
    )
    return sale, item


def on_hand(sku, location) -> int:
    return StockRecord.objects.filter(sku=sku, location=location).values_list("on_hand", flat=True).first() or 0


def total_on_hand(sku) -> int:
    return StockRecord.objects.filter(sku=sku).aggregate(units=Sum("on_hand"))["units"]


# --- stock moves ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_units_move_in_before_the_start_and_back_at_the_end_never_counted_twice():
    sale, item = make_sale(starts_in=1, quantity=5)  # starts within the two minutes ahead
    sku = item.sku
    assert total_on_hand(sku) == 100

    assert flash.start_due_flash_sales() == {"flash_sales_started": 1, "flash_units_moved_in": 5}
    item.refresh_from_db()
    sale.refresh_from_db()
    assert item.moved_quantity == 5 and sale.stock_moved_at is not None
    assert (on_hand(sku, MAIN_LOCATION), on_hand(sku, flash_location(item.pk))) == (95, 5)
    assert total_on_hand(sku) == 100
    moves = StockMovement.objects.filter(kind=StockMovement.Kind.TRANSFER, stock_record__sku=sku)
    assert sorted(moves.values_list("on_hand_delta", flat=True)) == [-5, 5]

    # running it again moves nothing more
    assert flash.start_due_flash_sales() == {"flash_sales_started": 0, "flash_units_moved_in": 0}
    assert total_on_hand(sku) == 100

    # not ended yet: nothing goes back
    assert flash.return_ended_flash_stock()["flash_units_returned"] == 0

    later = sale.ends_at + timedelta(seconds=1)
    assert flash.return_ended_flash_stock(later) == {"flash_sales_returned": 1, "flash_units_returned": 5}
    sale.refresh_from_db()
    assert sale.stock_returned_at is not None
    assert (on_hand(sku, MAIN_LOCATION), on_hand(sku, flash_location(item.pk))) == (100, 0)
    assert flash.return_ended_flash_stock(later) == {"flash_sales_returned": 0, "flash_units_returned": 0}
    # an ended sale never takes its units again
    assert flash.start_due_flash_sales(later)["flash_units_moved_in"] == 0
    assert total_on_hand(sku) == 100


@pytest.mark.django_db
def test_a_sale_far_ahead_or_paused_is_not_moved_and_a_short_warehouse_is_topped_up_later():
    far, far_item = make_sale(starts_in=30)
    paused, paused_item = make_sale(status=RunStatus.PAUSED)
    short_sku = SkuFactory(stock=2)
    short, short_item = make_sale(sku=short_sku, quantity=5)

    assert flash.start_due_flash_sales() == {"flash_sales_started": 1, "flash_units_moved_in": 2}
    far_item.refresh_from_db()
    paused_item.refresh_from_db()
    short_item.refresh_from_db()
    assert (far_item.moved_quantity, paused_item.moved_quantity, short_item.moved_quantity) == (0, 0, 2)

    inventory.receive_stock(sku_id=short_sku.pk, quantity=10)
    assert flash.start_due_flash_sales() == {"flash_sales_started": 0, "flash_units_moved_in": 3}
    short_item.refresh_from_db()
    assert short_item.moved_quantity == 5
    assert (on_hand(short_sku, MAIN_LOCATION), on_hand(short_sku, flash_location(short_item.pk))) == (7, 5)
    assert flash.start_due_flash_sales()["flash_units_moved_in"] == 0


@pytest.mark.django_db
def test_units_held_by_an_unpaid_order_follow_back_once_it_lapses():
    sale, item = make_sale(quantity=3, unpaid_timeout_minutes=5)
    sku = item.sku
    flash.start_due_flash_sales()
    buyer, payer = UserFactory(), UserFactory()
    unpaid = place_flash_order(user=buyer, item_id=item.pk, quantity=1, address=dict(ADDRESS))
    paid = place_flash_order(user=payer, item_id=item.pk, quantity=1, address=dict(ADDRESS))
    order_services.pay_with_dev_provider(user=payer, order_id=paid.pk)

    # the operator ends the sale early: the one free unit goes back, two are still held
    FlashSale.objects.filter(pk=sale.pk).update(status=RunStatus.ENDED)
    assert flash.return_ended_flash_stock() == {"flash_sales_returned": 0, "flash_units_returned": 1}
    assert on_hand(sku, flash_location(item.pk)) == 2

    # the unpaid order lapses: its unit follows on the next run
    order_services.expire_unpaid_orders(now=unpaid.expires_at + timedelta(seconds=1))
    assert flash.return_ended_flash_stock()["flash_units_returned"] == 1
    sale.refresh_from_db()
    assert sale.stock_returned_at is None  # the paid order still holds its unit until it ships

    order_services.ship_order(order_id=paid.pk, actor=StaffFactory(), tracking_company="SF", tracking_number="SF1")
    assert flash.return_ended_flash_stock() == {"flash_sales_returned": 1, "flash_units_returned": 0}
    assert (on_hand(sku, MAIN_LOCATION), on_hand(sku, flash_location(item.pk))) == (99, 0)
    assert total_on_hand(sku) == 99  # exactly the shipped unit left the books


# --- the day's slots ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_day_slots_give_price_sold_percent_remaining_and_state(django_assert_max_num_queries):
    sale, item = make_sale(quantity=4, per_person=2, per_order=2)
    upcoming, _upcoming_item = make_sale(starts_in=120)
    flash.start_due_flash_sales()
    place_flash_order(user=UserFactory(), item_id=item.pk, quantity=1, address=dict(ADDRESS))

    with django_assert_max_num_queries(4):
        slots = selectors_flash.day_slots(local_today(sale.starts_at))
    by_id = {slot.id: slot for slot in slots}
    running = by_id[sale.pk]
    assert running.state == "running"
    view = running.items[0]
    assert (view.price_fen, view.list_price_fen, view.quantity, view.sold, view.sold_percent, view.remaining) == (
        9900,
        15000,
        4,
        1,
        25,
        3,
    )
    if upcoming.pk in by_id:  # (unless the two hours cross midnight)
        assert by_id[upcoming.pk].state == "upcoming"
    assert selectors_flash.slot_state(sale, sale.ends_at) == "ended"
    sale.status = RunStatus.PAUSED
    assert selectors_flash.slot_state(sale, timezone.now()) == "paused"

    slot, detail = selectors_flash.item_detail(item.pk)
    assert slot.id == sale.pk and detail.sold == 1
    assert selectors_flash.item_detail(987654) is None


@pytest.mark.django_db
def test_the_public_api_lists_the_day_and_an_item(client):
    sale, item = make_sale(quantity=4)
    day = local_today(sale.starts_at).isoformat()
    body = client.get(f"/api/v1/flash-sales?day={day}").json()
    assert body["day"] == day
    slot = next(s for s in body["slots"] if s["id"] == sale.pk)
    assert slot["state"] == "running" and slot["items"][0]["id"] == item.pk
    assert slot["items"][0]["price_fen"] == 9900

    detail = client.get(f"/api/v1/flash-sales/items/{item.pk}")
    assert detail.status_code == 200 and detail.json()["item"]["remaining"] == 4
    missing = client.get("/api/v1/flash-sales/items/987654")
    assert missing.status_code == 404 and missing.json()["code"] == "activity_not_found"
    assert client.get("/api/v1/flash-sales?day=2026-13-01").status_code == 422


# --- reminders ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_remind_me_is_set_once_and_removed(client):
    sale, _item = make_sale(starts_in=60)
    user = UserFactory()
    assert client.post(f"/api/v1/flash-sales/{sale.pk}/remind").status_code == 401
    client.force_login(user)
    first = client.post(f"/api/v1/flash-sales/{sale.pk}/remind")
    assert first.status_code == 201 and first.json() == {"sale_id": sale.pk, "reminded": True}
    assert client.post(f"/api/v1/flash-sales/{sale.pk}/remind").status_code == 201
    assert FlashReminder.objects.filter(sale=sale, user=user).count() == 1
    assert flash.reminded_sale_ids(user, [sale.pk]) == {sale.pk}

    gone = client.delete(f"/api/v1/flash-sales/{sale.pk}/remind")
    assert gone.status_code == 200 and gone.json()["reminded"] is False
    assert not FlashReminder.objects.filter(sale=sale).exists()

    assert client.post("/api/v1/flash-sales/987654/remind").json()["code"] == "activity_not_found"
    ended, _ = make_sale(starts_in=-120, minutes=60)
    refused = client.post(f"/api/v1/flash-sales/{ended.pk}/remind")
    assert refused.status_code == 409 and refused.json()["code"] == "activity_ended"


# --- admission counters in Redis ---------------------------------------------------------------------


@pytest.mark.django_db
def test_without_redis_admission_leaves_it_to_the_database():
    assert admission.admit(item_id=1, user_id=1, quantity=1) is None
    assert admission.reconcile_flash_admission() == {"flash_admission_rebuilt": 0}


@pytest.mark.django_db(transaction=True)
def test_start_primes_redis_and_reconcile_rebuilds_a_flushed_or_wrong_redis(flash_redis):
    sale, item = make_sale(quantity=5, per_person=2, per_order=2)
    flash.start_due_flash_sales()  # commits, so the priming runs
    stock, users, version, meta = admission.keys(item.pk)
    assert flash_redis.get(stock) == "5" and flash_redis.hgetall(meta)["status"] == "active"

    buyer = UserFactory()
    place_flash_order(user=buyer, item_id=item.pk, quantity=2, address=dict(ADDRESS))
    assert flash_redis.get(stock) == "3" and flash_redis.hget(users, str(buyer.pk)) == "2"
    assert admission.reconcile_flash_admission() == {"flash_admission_rebuilt": 0}

    # Redis restarted: everything of the item is gone
    for key in flash_redis.scan_iter(match=settings_prefix() + "*"):
        flash_redis.delete(key)
    assert admission.reconcile_flash_admission() == {"flash_admission_rebuilt": 1}
    assert flash_redis.get(stock) == "3" and flash_redis.hget(users, str(buyer.pk)) == "2"
    assert flash_redis.get(version) == "1"

    # a counter that disagrees with the database is put right
    flash_redis.set(stock, 0)
    flash_redis.hdel(users, str(buyer.pk))
    assert admission.reconcile_flash_admission() == {"flash_admission_rebuilt": 1}
    assert flash_redis.get(stock) == "3" and flash_redis.hget(users, str(buyer.pk)) == "2"

    # the operator pauses the sale: its meta follows once the change commits
    FlashSale.objects.filter(pk=sale.pk).update(status=RunStatus.PAUSED)
    assert admission.reconcile_flash_admission() == {"flash_admission_rebuilt": 1}
    assert flash_redis.hget(meta, "status") == "paused"

    # after the end the keys are dropped with the units going back
    FlashSale.objects.filter(pk=sale.pk).update(status=RunStatus.ENDED)
    flash.return_ended_flash_stock()
    assert flash_redis.get(stock) is None


def settings_prefix() -> str:
    from django.conf import settings

    return settings.FENXIAO_FLASH_REDIS_PREFIX


@pytest.mark.django_db
def test_admission_refuses_losers_from_redis_alone(flash_redis, django_assert_num_queries):
    _sale, item = make_sale(quantity=2, per_person=1, per_order=1)
    flash.start_due_flash_sales()
    admission.prime([item.pk])  # the test's transaction never commits: prime by hand

    first = admission.admit(item_id=item.pk, user_id=1, quantity=1)
    assert first is not None
    with django_assert_num_queries(0), pytest.raises(PromotionError) as again:
        admission.admit(item_id=item.pk, user_id=1, quantity=1)
    assert again.value.code == "activity_limit_reached" and again.value.detail["per_person_limit"] == 1
    with django_assert_num_queries(0), pytest.raises(PromotionError) as too_many:
        admission.admit(item_id=item.pk, user_id=2, quantity=2)
    assert too_many.value.code == "activity_limit_reached" and too_many.value.detail["per_order_limit"] == 1
    assert admission.admit(item_id=item.pk, user_id=2, quantity=1) is not None
    with django_assert_num_queries(0), pytest.raises(PromotionError) as gone:
        admission.admit(item_id=item.pk, user_id=3, quantity=1)
    assert gone.value.code == "activity_sold_out" and gone.value.status == 409

    # a token handed back lets the next buyer in; one taken before a rebuild is not handed back
    admission.give_back(first)
    assert admission.admit(item_id=item.pk, user_id=3, quantity=1) is not None
    admission.prime([item.pk])  # rebuilt from the database (no orders placed): 2 free again
    stock = admission.keys(item.pk)[0]
    assert flash_redis.get(stock) == "2"
    admission.give_back(first)
    assert flash_redis.get(stock) == "2"


@pytest.mark.django_db(transaction=True)
def test_an_operators_change_reaches_the_admission_counters_once_committed(flash_redis):
    sale, item = make_sale(quantity=3)
    flash.start_due_flash_sales()
    _stock, _users, _version, meta = admission.keys(item.pk)
    assert flash_redis.hget(meta, "status") == "active"

    with transaction.atomic():
        FlashSale.objects.filter(pk=sale.pk).update(status=RunStatus.PAUSED)
        flash.sale_changed(sale.pk)
        assert flash_redis.hget(meta, "status") == "active"  # not before the change commits
    assert flash_redis.hget(meta, "status") == "paused"

    with transaction.atomic():
        FlashSale.objects.filter(pk=sale.pk).update(status=RunStatus.ENDED)
        flash.sale_changed(sale.pk)
    assert not any(flash_redis.exists(key) for key in admission.keys(item.pk))
