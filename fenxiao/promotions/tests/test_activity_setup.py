"""Setting up marketing activities: the checks of flash sales, group buys and bargain activities, a SKU
in two flash sales at once, the share text (contact details, 诱导分享), the audit rows, pause / resume /
end, and the visitors count."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import (
    ActivityVisit,
    BargainActivity,
    FlashItem,
    FlashSale,
    GroupBuy,
    PromotionAudit,
    RunStatus,
)
from fenxiao.promotions.services import activities as service
from tests.factories import SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


def at(hours: float):
    return timezone.now().replace(microsecond=0) + timedelta(hours=hours)


@pytest.fixture
def operator():
    return StaffFactory()


@pytest.fixture
def sku():
    return SkuFactory()  # retail ¥150, control ¥120


def flash_values(sku, **changes):
    values = {
        "name": "十点场",
        "starts_at": at(1),
        "ends_at": at(3),
        "unpaid_timeout_minutes": 5,
        "share_text": "限量秒杀，手慢无",
        "items": [{"sku_id": sku.pk, "price_fen": 9900, "quantity": 10, "per_person_limit": 2, "per_order_limit": 1}],
    }
    return {**values, **changes}


def group_values(sku, **changes):
    values = {
        "name": "三人团",
        "starts_at": at(-1),
        "ends_at": at(48),
        "group_size": 3,
        "hours": 24,
        "virtual_min_members": 2,
        "items": [{"sku_id": sku.pk, "price_fen": 10500}],
    }
    return {**values, **changes}


def bargain_values(sku, **changes):
    values = {
        "name": "砍到 9.9",
        "starts_at": at(-1),
        "ends_at": at(72),
        "sku_id": sku.pk,
        "start_price_fen": 15000,
        "floor_price_fen": 990,
        "helps_needed": 3,
    }
    return {**values, **changes}


def refused(code, call, *args, **kwargs) -> PromotionError:
    with pytest.raises(PromotionError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, (caught.value.code, caught.value.message)
    assert 400 <= caught.value.status < 500
    return caught.value


# --- flash sales --------------------------------------------------------------------------------------------


def test_create_flash_sale_with_audit(operator, sku):
    sale = service.save_flash_sale(actor=operator, **flash_values(sku))
    item = FlashItem.objects.get(sale=sale)
    assert (item.price_fen, item.quantity, item.per_person_limit) == (9900, 10, 2)
    assert sale.created_by == operator and sale.status == RunStatus.ACTIVE
    row = PromotionAudit.objects.get(kind="flash", object_id=sale.pk)
    assert (row.action, row.actor) == ("created", operator)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": at(1)}, "ends_at"),  # the end is not after the start
        ({"name": ""}, "name"),
        ({"unpaid_timeout_minutes": 0}, "unpaid_timeout_minutes"),
        ({"unpaid_timeout_minutes": 61}, "unpaid_timeout_minutes"),
    ],
)
def test_flash_sale_field_checks(operator, sku, changes, field):
    error = refused("invalid_promotion", service.save_flash_sale, actor=operator, **flash_values(sku, **changes))
    assert error.detail["field"] == field
    assert not FlashSale.objects.exists()


@pytest.mark.parametrize(
    "item",
    [
        {"price_fen": 0, "quantity": 1},
        {"price_fen": 15001, "quantity": 1},  # above the retail price
        {"price_fen": 9900, "quantity": 0},
        {"price_fen": 9900, "quantity": 5, "per_person_limit": 1, "per_order_limit": 2},
    ],
)
def test_flash_item_checks(operator, sku, item):
    rows = [{"sku_id": sku.pk, **item}]
    error = refused("invalid_promotion", service.save_flash_sale, actor=operator, **flash_values(sku, items=rows))
    assert error.detail["field"] == "items"


def test_flash_items_need_a_known_sku_once(operator, sku):
    refused("invalid_promotion", service.save_flash_sale, actor=operator, **flash_values(sku, items=[]))
    twice = [{"sku_id": sku.pk, "price_fen": 9900, "quantity": 1}] * 2
    refused("invalid_promotion", service.save_flash_sale, actor=operator, **flash_values(sku, items=twice))
    unknown = [{"sku_id": 999999, "price_fen": 9900, "quantity": 1}]
    refused("invalid_promotion", service.save_flash_sale, actor=operator, **flash_values(sku, items=unknown))


def test_price_below_control_is_allowed_and_reported(operator, sku):
    rows = [{"sku_id": sku.pk, "price_fen": 100, "quantity": 1}]
    sale = service.save_flash_sale(actor=operator, **flash_values(sku, items=rows))
    assert sale.items.get().price_fen == 100
    assert service.below_control({sku.pk: 100}) == [sku.pk]
    assert service.below_control({sku.pk: 12000}) == []


def test_a_sku_in_two_overlapping_flash_sales_is_refused(operator, sku):
    first = service.save_flash_sale(actor=operator, **flash_values(sku))
    error = refused(
        "activity_overlap", service.save_flash_sale, actor=operator, **flash_values(sku, starts_at=at(2), ends_at=at(4))
    )
    assert error.status == 409 and error.detail["other_id"] == first.pk
    # back to back does not overlap; another SKU in the same window is fine
    service.save_flash_sale(actor=operator, **flash_values(sku, starts_at=at(3), ends_at=at(4)))
    other = SkuFactory()
    service.save_flash_sale(actor=operator, **flash_values(sku, items=[{"sku_id": other.pk, "price_fen": 100, "quantity": 1}]))
    # an ended sale no longer holds its SKU
    service.end(kind="flash", activity_id=first.pk, actor=operator, reason="提前结束")
    service.save_flash_sale(actor=operator, **flash_values(sku, starts_at=at(1), ends_at=at(2)))


def test_change_flash_sale_records_the_changes(operator, sku):
    sale = service.save_flash_sale(actor=operator, **flash_values(sku))
    window = {"starts_at": sale.starts_at, "ends_at": sale.ends_at}  # `at()` may have crossed a second since
    item_id = sale.items.get().pk
    rows = [{"sku_id": sku.pk, "price_fen": 8800, "quantity": 20, "per_person_limit": 2, "per_order_limit": 1}]
    service.save_flash_sale(actor=operator, sale=sale.pk, **flash_values(sku, name="十点场 加量", items=rows, **window))
    item = FlashItem.objects.get(sale=sale)
    assert item.pk == item_id  # a kept SKU keeps its row (and stock location)
    assert (item.price_fen, item.quantity) == (8800, 20)
    row = PromotionAudit.objects.get(kind="flash", object_id=sale.pk, action="updated")
    assert row.changes["name"] == ["十点场", "十点场 加量"]
    assert row.changes["items"][1][0]["price_fen"] == 8800
    # saving the same values again writes no row
    service.save_flash_sale(actor=operator, sale=sale, **flash_values(sku, name="十点场 加量", items=rows, **window))
    assert PromotionAudit.objects.filter(kind="flash", object_id=sale.pk, action="updated").count() == 1


def test_items_frozen_once_stock_moved(operator, sku):
    sale = service.save_flash_sale(actor=operator, **flash_values(sku))
    FlashSale.objects.filter(pk=sale.pk).update(stock_moved_at=timezone.now())
    rows = [{"sku_id": sku.pk, "price_fen": 5000, "quantity": 10, "per_person_limit": 2, "per_order_limit": 1}]
    error = refused("invalid_promotion", service.save_flash_sale, actor=operator, sale=sale.pk, **flash_values(sku, items=rows))
    assert error.status == 409
    refused("invalid_promotion", service.save_flash_sale, actor=operator, sale=sale.pk, **flash_values(sku, starts_at=at(0.5)))
    # other fields still change, and it can be ended
    same_window = {"starts_at": sale.starts_at, "ends_at": sale.ends_at}  # `at()` may have crossed a second since
    service.save_flash_sale(actor=operator, sale=sale.pk, **flash_values(sku, name="十点场（热卖）", **same_window))
    assert FlashSale.objects.get(pk=sale.pk).name == "十点场（热卖）"
    service.end(kind="flash", activity_id=sale.pk, actor=operator, reason="库存问题")
    assert FlashSale.objects.get(pk=sale.pk).status == RunStatus.ENDED


# --- group buys ---------------------------------------------------------------------------------------------


def test_create_group_buy(operator, sku):
    activity = service.save_group_buy(actor=operator, **group_values(sku))
    assert (activity.group_size, activity.hours, activity.when_full) == (3, 24, GroupBuy.WhenFull.NEW_GROUP)
    assert list(activity.items.values_list("sku_id", "price_fen")) == [(sku.pk, 10500)]
    assert PromotionAudit.objects.filter(kind="group", object_id=activity.pk, action="created").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"group_size": 1}, "group_size"),
        ({"group_size": 51}, "group_size"),
        ({"virtual_min_members": 4}, "virtual_min_members"),
        ({"hours": 0}, "hours"),
        ({"when_full": "nope"}, "when_full"),
        ({"leader_reward_fen": -1}, "leader_reward_fen"),
        ({"items": [{"sku_id": 0, "price_fen": 100}]}, "items"),
    ],
)
def test_group_buy_checks(operator, sku, changes, field):
    error = refused("invalid_promotion", service.save_group_buy, actor=operator, **group_values(sku, **changes))
    assert error.detail["field"] == field


def test_group_buy_items_replaced(operator, sku):
    activity = service.save_group_buy(actor=operator, **group_values(sku))
    other = SkuFactory()
    service.save_group_buy(
        actor=operator,
        group_buy=activity,
        **group_values(
            sku,
            items=[{"sku_id": sku.pk, "price_fen": 9900}, {"sku_id": other.pk, "price_fen": 5000}],
            starts_at=activity.starts_at,  # `at()` may have crossed a second since
            ends_at=activity.ends_at,
        ),
    )
    assert sorted(activity.items.values_list("sku_id", "price_fen")) == [(sku.pk, 9900), (other.pk, 5000)]
    row = PromotionAudit.objects.get(kind="group", object_id=activity.pk, action="updated")
    assert set(row.changes) == {"items"}


# --- bargains -----------------------------------------------------------------------------------------------


def test_create_bargain_activity(operator, sku):
    activity = service.save_bargain_activity(actor=operator, **bargain_values(sku))
    assert (activity.start_price_fen, activity.floor_price_fen, activity.helps_needed) == (15000, 990, 3)
    assert PromotionAudit.objects.filter(kind="bargain", object_id=activity.pk, action="created").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"floor_price_fen": 0}, "floor_price_fen"),
        ({"start_price_fen": 15001}, "start_price_fen"),  # above the retail price
        ({"start_price_fen": 1000, "floor_price_fen": 998, "helps_needed": 3}, "floor_price_fen"),  # 2 fen for 3 helps
        ({"helps_needed": 0}, "helps_needed"),
        ({"sku_id": 999999}, "sku"),
    ],
)
def test_bargain_checks(operator, sku, changes, field):
    error = refused("invalid_promotion", service.save_bargain_activity, actor=operator, **bargain_values(sku, **changes))
    assert error.detail["field"] == field
    assert not BargainActivity.objects.exists()


def test_bargain_exactly_one_fen_per_help_is_enough(operator, sku):
    activity = service.save_bargain_activity(
        actor=operator, **bargain_values(sku, start_price_fen=1000, floor_price_fen=997, helps_needed=3)
    )
    assert activity.start_price_fen - activity.floor_price_fen == activity.helps_needed


# --- the share text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["限量秒杀，手慢无", "三人成团，好友一起拼更划算", "帮我砍一刀，一起把价格砍下来", "分享这款好物给你", ""],
)
def test_share_text_allowed(text):
    assert service.screen_share_text(text) == text


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("详情见 https://example.com", "url"),
        ("咨询 138 1234 5678", "phone"),
        ("加vx了解更多", "wechat"),
        ("转发到3个群即可领取红包", "induced_sharing"),
        ("转发到三个群", "induced_sharing"),
        ("分享给好友领优惠券", "induced_sharing"),
        ("分享后即可获得10元", "induced_sharing"),
        ("分享朋友圈才能购买", "induced_sharing"),
        ("转发本活动送积分", "induced_sharing"),
        ("集20个赞免费拿", "induced_sharing"),
        ("分享到５个群", "induced_sharing"),  # full-width digits
    ],
)
def test_share_text_refused(text, rule):
    error = refused("share_text_refused", service.screen_share_text, text)
    assert error.detail["rule"] == rule and error.detail["field"] == "share_text"


def test_share_text_checked_on_save(operator, sku):
    refused("share_text_refused", service.save_flash_sale, actor=operator, **flash_values(sku, share_text="转发3个群即可领"))
    refused("share_text_refused", service.save_group_buy, actor=operator, **group_values(sku, share_text="加微信领券"))
    refused("share_text_refused", service.save_bargain_activity, actor=operator, **bargain_values(sku, share_text="x" * 121))


# --- pause, resume, end -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["flash", "group", "bargain"])
def test_pause_resume_end_with_audit(operator, sku, kind):
    make = {
        "flash": lambda: service.save_flash_sale(actor=operator, **flash_values(sku)),
        "group": lambda: service.save_group_buy(actor=operator, **group_values(sku)),
        "bargain": lambda: service.save_bargain_activity(actor=operator, **bargain_values(sku)),
    }[kind]
    activity = make()
    model = type(activity)
    service.pause(kind=kind, activity_id=activity.pk, actor=operator, reason="调整价格")
    assert model.objects.get(pk=activity.pk).status == RunStatus.PAUSED
    service.resume(kind=kind, activity_id=activity.pk, actor=operator, reason="已调整")
    assert model.objects.get(pk=activity.pk).status == RunStatus.ACTIVE
    service.end(kind=kind, activity_id=activity.pk, actor=operator, reason="活动取消")
    assert model.objects.get(pk=activity.pk).status == RunStatus.ENDED
    rows = list(PromotionAudit.objects.filter(kind=kind, object_id=activity.pk).order_by("id"))
    assert [(r.action, r.note) for r in rows] == [
        ("created", ""),
        ("paused", "调整价格"),
        ("resumed", "已调整"),
        ("ended", "活动取消"),
    ]
    assert rows[-1].changes == {"status": ["active", "ended"]}
    # ended is final: no resume, no change
    refused("invalid_transition", service.resume, kind=kind, activity_id=activity.pk, actor=operator)
    if kind == "bargain":
        refused("invalid_promotion", service.save_bargain_activity, actor=operator, activity=activity.pk, **bargain_values(sku))


def test_a_paused_flash_sale_still_holds_its_sku(operator, sku):
    first = service.save_flash_sale(actor=operator, **flash_values(sku))
    service.pause(kind="flash", activity_id=first.pk, actor=operator, reason="暂停")
    # a paused sale still holds its SKU
    refused("activity_overlap", service.save_flash_sale, actor=operator, **flash_values(sku))
    service.end(kind="flash", activity_id=first.pk, actor=operator, reason="换场")
    second = service.save_flash_sale(actor=operator, **flash_values(sku, name="新场"))
    assert second.pk != first.pk


def test_unknown_activity(operator):
    error = refused("activity_not_found", service.pause, kind="flash", activity_id=424242, actor=operator)
    assert error.status == 404
    refused("invalid_promotion", service.pause, kind="coupon", activity_id=1, actor=operator)


# --- visitors -----------------------------------------------------------------------------------------------


def test_record_visit_once_a_day():
    today = date(2026, 12, 7)
    for _ in range(3):
        service.record_visit("flash", 7, "v:abc", today)
    service.record_visit("flash", 7, "v:abc", today + timedelta(days=1))
    service.record_visit("flash", 7, "u:12", today)
    service.record_visit("flash", 7, "", today)  # no visitor key: not counted
    assert ActivityVisit.objects.filter(kind="flash", activity_id=7).count() == 3


# --- at the same time ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_flash_sales_saved_at_once_one_wins():
    operator, sku = StaffFactory(), SkuFactory()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def save(n):
        try:
            barrier.wait(30)
            try:
                service.save_flash_sale(actor=operator, **flash_values(sku, name=f"场次{n}"))
                result = "ok"
            except PromotionError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "activity_overlap"}
    assert FlashItem.objects.filter(sku=sku).count() == 1
