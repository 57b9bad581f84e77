"""The points mall's coupons: exchanged for points at once, all or nothing, within the item's total and
each person's limit, also when people exchange the last unit at the same moment."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fenxiao.members import selectors as member_selectors
from fenxiao.members.models import PointsMovement
from fenxiao.members.services import points as member_points
from fenxiao.promotions import selectors_mall
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import PointsExchange, PointsMallItem, RunStatus, UserCoupon
from fenxiao.promotions.services import mall
from tests.factories import SkuFactory, UserFactory

from .coupon_factories import CouponFactory


def balance(user) -> int:
    return member_selectors.spendable_points(user.pk, timezone.now())


def coupon_item(**fields) -> PointsMallItem:
    values = {"name": "10 元券", "kind": "coupon", "points_price": 500, "total_quantity": 10, "per_person_limit": 2}
    values.update(fields)
    if "coupon" not in values:
        values["coupon"] = CouponFactory(total_quantity=100, per_person_limit=5)
    return PointsMallItem.objects.create(**values)


def rich_user(points: int = 2000):
    user = UserFactory()
    member_points.grant(user.pk, points, reference=f"mall-test-{user.pk}")
    return user


@pytest.mark.django_db
def test_exchange_spends_the_points_and_gives_the_coupon():
    user, item = rich_user(2000), coupon_item()

    exchange = mall.exchange_coupon(user=user, item_id=item.pk)

    assert balance(user) == 1500
    held = UserCoupon.objects.get(user=user, coupon=item.coupon)
    assert (held.source, held.source_reference, held.status) == ("mall", exchange.reference, "available")
    assert exchange.reference.startswith("mall:") and exchange.points == 500 and exchange.status == "done"
    spent = PointsMovement.objects.filter(reference=exchange.reference, kind=PointsMovement.Kind.SPEND)
    assert sum(row.available_delta for row in spent) == -500
    item.refresh_from_db()
    assert item.exchanged_count == 1


@pytest.mark.django_db
def test_too_few_points_is_refused_and_nothing_is_taken():
    user, item = rich_user(300), coupon_item()

    with pytest.raises(PromotionError) as exc:
        mall.exchange_coupon(user=user, item_id=item.pk)

    assert exc.value.code == "not_enough_points" and exc.value.status == 409
    assert "500" in exc.value.message and "300" in exc.value.message
    assert balance(user) == 300
    item.refresh_from_db()
    assert item.exchanged_count == 0
    assert not PointsExchange.objects.exists() and not UserCoupon.objects.exists()


@pytest.mark.django_db
def test_the_per_person_limit_and_the_total():
    user, item = rich_user(5000), coupon_item(per_person_limit=2, total_quantity=3)
    mall.exchange_coupon(user=user, item_id=item.pk)
    mall.exchange_coupon(user=user, item_id=item.pk)

    with pytest.raises(PromotionError) as exc:
        mall.exchange_coupon(user=user, item_id=item.pk)
    assert exc.value.code == "mall_limit"
    assert balance(user) == 4000

    other = rich_user(5000)
    mall.exchange_coupon(user=other, item_id=item.pk)
    with pytest.raises(PromotionError) as exc:
        mall.exchange_coupon(user=rich_user(5000), item_id=item.pk)
    assert exc.value.code == "mall_sold_out" and exc.value.status == 409
    item.refresh_from_db()
    assert item.exchanged_count == 3 == PointsExchange.objects.count()


@pytest.mark.django_db
def test_a_coupon_held_to_its_own_limit_refuses_the_exchange_and_keeps_the_points():
    user = rich_user(5000)
    item = coupon_item(coupon=CouponFactory(per_person_limit=1), per_person_limit=3)
    mall.exchange_coupon(user=user, item_id=item.pk)

    with pytest.raises(PromotionError) as exc:
        mall.exchange_coupon(user=user, item_id=item.pk)

    assert exc.value.code == "mall_limit"
    assert balance(user) == 4500
    assert PointsExchange.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": RunStatus.PAUSED}, "mall_item_unavailable"),
        ({"status": RunStatus.ENDED}, "mall_item_unavailable"),
        ({"starts_at": "future"}, "mall_item_unavailable"),
        ({"ends_at": "past"}, "mall_item_unavailable"),
    ],
)
def test_an_item_not_on_offer_is_refused(changes, code):
    now = timezone.now()
    fields = dict(changes)
    if fields.get("starts_at") == "future":
        fields["starts_at"] = now + timedelta(hours=1)
    if fields.get("ends_at") == "past":
        fields["starts_at"], fields["ends_at"] = now - timedelta(days=2), now - timedelta(days=1)
    user, item = rich_user(), coupon_item(**fields)

    with pytest.raises(PromotionError) as exc:
        mall.exchange_coupon(user=user, item_id=item.pk)

    assert exc.value.code == code
    assert balance(user) == 2000


@pytest.mark.django_db
def test_a_missing_item_and_a_product_item_are_refused():
    user = rich_user()
    with pytest.raises(PromotionError) as exc:
        mall.exchange_coupon(user=user, item_id=999999)
    assert exc.value.code == "mall_item_not_found" and exc.value.status == 404

    product = PointsMallItem.objects.create(name="保温杯", kind="product", sku=SkuFactory(), points_price=800, total_quantity=5)
    with pytest.raises(PromotionError) as exc:
        mall.exchange_coupon(user=user, item_id=product.pk)
    assert exc.value.code == "mall_item_unavailable"


@pytest.mark.django_db
def test_the_database_refuses_an_item_of_the_wrong_shape():
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsMallItem.objects.create(name="坏", kind="coupon", points_price=10, total_quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsMallItem.objects.create(name="坏", kind="product", sku=SkuFactory(), points_price=0, total_quantity=1)


@pytest.mark.django_db
def test_the_mall_as_a_person_sees_it():
    user = rich_user(5000)
    first = coupon_item(sort=1, per_person_limit=1)
    second = coupon_item(sort=2, total_quantity=1)
    coupon_item(status=RunStatus.PAUSED)
    mall.exchange_coupon(user=user, item_id=first.pk)

    entries = selectors_mall.mall_entries(user)

    assert [entry.item.pk for entry in entries] == [first.pk, second.pk]
    assert (entries[0].exchanged, entries[0].can_exchange, entries[0].remaining) == (1, False, 9)
    assert (entries[1].exchanged, entries[1].can_exchange, entries[1].remaining) == (0, True, 1)


# --- parallel exchanges: each thread its own connection and transaction ----------------------------


def exchange_concurrently(pairs) -> Counter:
    start = threading.Barrier(len(pairs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(user, item_id) -> None:
        start.wait()
        try:
            with transaction.atomic():
                mall.exchange_coupon(user=user, item_id=item_id)
            outcome = "ok"
        except PromotionError as exc:
            outcome = exc.code
        except Exception as exc:  # a deadlock or a lock timeout lands here and fails the test
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an exchange never finished"
    return Counter(outcomes)


@pytest.mark.django_db(transaction=True)
def test_people_exchanging_the_last_unit_at_once():
    item = coupon_item(total_quantity=1)
    people = [rich_user(1000) for _ in range(4)]

    outcomes = exchange_concurrently([(person, item.pk) for person in people])

    assert outcomes == Counter({"ok": 1, "mall_sold_out": 3})
    item.refresh_from_db()
    assert item.exchanged_count == 1
    assert UserCoupon.objects.filter(coupon=item.coupon).count() == 1
    assert sorted(balance(person) for person in people) == [500, 1000, 1000, 1000]


@pytest.mark.django_db(transaction=True)
def test_one_person_exchanging_at_once_stays_within_the_limit():
    item = coupon_item(total_quantity=50, per_person_limit=2)
    person = rich_user(10000)

    outcomes = exchange_concurrently([(person, item.pk)] * 5)

    assert outcomes == Counter({"ok": 2, "mall_limit": 3})
    assert balance(person) == 9000
    assert PointsExchange.objects.filter(item=item, user=person).count() == 2


# --- the console ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_console_adds_an_item_with_cash_in_yuan_and_shows_exchanges(client):
    from django.urls import reverse

    from tests.factories import StaffFactory

    client.force_login(StaffFactory(is_superuser=True))
    sku = SkuFactory()
    answer = client.post(
        reverse("admin:promotions_pointsmallitem_add"),
        {
            "name": "保温杯",
            "kind": "product",
            "sku": sku.pk,
            "points_price": 800,
            "cash_fen": "9.90",
            "total_quantity": 20,
            "per_person_limit": 1,
            "status": "active",
            "sort": 0,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    item = PointsMallItem.objects.get(name="保温杯")
    assert (item.cash_fen, item.sku_id, item.points_price) == (990, sku.pk, 800)

    refused = client.post(
        reverse("admin:promotions_pointsmallitem_add"),
        {
            "name": "坏券",
            "kind": "coupon",
            "points_price": 10,
            "cash_fen": "0",
            "total_quantity": 1,
            "per_person_limit": 1,
            "status": "active",
            "sort": 0,
        },
    )
    assert refused.status_code == 200 and "兑换优惠券须选择优惠券" in refused.content.decode()

    user = rich_user()
    mall.exchange_coupon(user=user, item_id=coupon_item().pk)
    assert client.get(reverse("admin:promotions_pointsmallitem_changelist")).status_code == 200
    page = client.get(reverse("admin:promotions_pointsexchange_changelist"))
    assert page.status_code == 200 and user.phone in page.content.decode()
