"""The marketing activities in the console: pages render for a superuser and for 运营 (finance only
reads), saves go through the activities service (its refusals shown as form errors, prices typed in
yuan), the pause / resume / end actions ask for a reason, and each activity's figures (read in a fixed
number of queries)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group as StaffGroup
from django.urls import reverse
from django.utils import timezone

from fenxiao.promotions.models import (
    ActivityOrder,
    ActivityVisit,
    Bargain,
    BargainActivity,
    BargainHelp,
    FlashItem,
    FlashSale,
    Group,
    GroupBuy,
    GroupMember,
    PromotionAudit,
    RunStatus,
)
from fenxiao.promotions.selectors_activities import activity_figures
from fenxiao.promotions.services import activities as service
from tests.factories import SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
ACTIVITIES = ("flashsale", "groupbuy", "bargainactivity")
RECORDS = ("group", "bargain", "activityorder")


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(StaffGroup.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def at(hours: float):
    return timezone.localtime(timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours))


def dt(name, value):
    return {f"{name}_0": value.strftime("%Y-%m-%d"), f"{name}_1": value.strftime("%H:%M:%S")}


def management(prefix, rows, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


@pytest.fixture
def operator():
    return StaffFactory()


@pytest.fixture
def sku():
    return SkuFactory()  # retail ¥150, control ¥120


@pytest.fixture
def world(operator, sku):
    sale = service.save_flash_sale(
        actor=operator,
        name="十点场",
        starts_at=at(1),
        ends_at=at(3),
        items=[{"sku_id": sku.pk, "price_fen": 9900, "quantity": 10}],
    )
    group_buy = service.save_group_buy(
        actor=operator, name="三人团", starts_at=at(-1), ends_at=at(48), items=[{"sku_id": sku.pk, "price_fen": 10500}]
    )
    bargain_activity = service.save_bargain_activity(
        actor=operator,
        name="砍到 9.9",
        starts_at=at(-1),
        ends_at=at(72),
        sku_id=sku.pk,
        start_price_fen=15000,
        floor_price_fen=990,
        helps_needed=3,
    )
    leader, starter, helper = UserFactory(), UserFactory(), UserFactory()
    group = Group.objects.create(activity=group_buy, leader=leader, size=3, members_count=1, expires_at=at(24))
    GroupMember.objects.create(group=group, user=leader, order_id=900001, is_leader=True)
    bargain = Bargain.objects.create(
        activity=bargain_activity,
        user=starter,
        start_price_fen=15000,
        floor_price_fen=990,
        current_price_fen=10000,
        helps_needed=3,
        helps_done=1,
        expires_at=at(24),
    )
    BargainHelp.objects.create(bargain=bargain, helper=helper, helper_key=f"u:{helper.pk}", cut_fen=5000)
    order = ActivityOrder.objects.create(
        order_id=900001,
        kind="group",
        activity_id=group_buy.pk,
        item_id=group_buy.items.get().pk,
        group=group,
        user=leader,
        quantity=1,
        paid_fen=10500,
        cost_fen=4500,
        state="paid",
    )
    return {
        "flashsale": sale,
        "groupbuy": group_buy,
        "bargainactivity": bargain_activity,
        "group": group,
        "bargain": bargain,
        "activityorder": order,
    }


@pytest.mark.parametrize("who", ["superuser", "运营", "财务"])
def test_pages_render(client, world, who):
    client.force_login(StaffFactory() if who == "superuser" else member_of(who))
    for model in ACTIVITIES + RECORDS:
        listing = client.get(reverse(f"admin:promotions_{model}_changelist"))
        assert listing.status_code == 200, (model, listing.status_code)
        change = client.get(reverse(f"admin:promotions_{model}_change", args=[world[model].pk]))
        assert change.status_code == 200, (model, change.status_code)
    for model in ACTIVITIES:
        add = client.get(reverse(f"admin:promotions_{model}_add"))
        assert add.status_code == (403 if who == "财务" else 200), (model, add.status_code)
    for model in RECORDS:
        assert client.get(reverse(f"admin:promotions_{model}_add")).status_code == 403


def test_change_page_shows_figures_log_and_control_warning(client, world, operator):
    client.force_login(member_of("运营"))
    page = client.get(reverse("admin:promotions_groupbuy_change", args=[world["groupbuy"].pk])).content.decode()
    assert "开团数" in page and "¥105.00" in page and "¥45.00" in page
    assert "操作记录" in page and "创建" in page
    # below the control price (¥120): allowed, with a warning
    assert "低于控价" in page
    bargain_page = client.get(
        reverse("admin:promotions_bargainactivity_change", args=[world["bargainactivity"].pk])
    ).content.decode()
    assert "助力人数" in bargain_page
    members = client.get(reverse("admin:promotions_group_change", args=[world["group"].pk])).content.decode()
    assert "900001" in members


def flash_form(sku, **changes):
    data = {
        "name": "午间场",
        "unpaid_timeout_minutes": "5",
        "pays_commission": "on",
        "share_text": "限量秒杀",
        **dt("starts_at", at(26)),
        **dt("ends_at", at(28)),
        **management(
            "items",
            [{"sku": str(sku.pk), "price_fen": "99.5", "quantity": "20", "per_person_limit": "2", "per_order_limit": "1"}],
        ),
    }
    return {**data, **changes}


def test_add_flash_sale_through_the_service(client, sku):
    staff = member_of("运营")
    client.force_login(staff)
    response = client.post(reverse("admin:promotions_flashsale_add"), flash_form(sku))
    assert response.status_code == 302, response.content.decode()[:3000]
    sale = FlashSale.objects.get(name="午间场")
    item = FlashItem.objects.get(sale=sale)
    assert (item.price_fen, item.quantity, item.per_person_limit) == (9950, 20, 2)
    assert sale.created_by == staff and sale.pays_commission and not sale.allow_points
    assert PromotionAudit.objects.filter(kind="flash", object_id=sale.pk, action="created", actor=staff).exists()
    # the price is below the control price: saved, with a warning
    follow = client.get(response["Location"]).content.decode()
    assert "低于控价" in follow


def test_flash_sale_form_shows_the_service_refusals(client, sku):
    client.force_login(member_of("运营"))
    client.post(reverse("admin:promotions_flashsale_add"), flash_form(sku))
    overlap = client.post(reverse("admin:promotions_flashsale_add"), flash_form(sku, name="撞车场"))
    assert overlap.status_code == 200
    assert "同一 SKU 同一时间只能参加一场秒杀" in overlap.content.decode()
    shared = client.post(
        reverse("admin:promotions_flashsale_add"), flash_form(sku, name="诱导场", share_text="转发3个群即可领取")
    )
    assert shared.status_code == 200 and "诱导分享" in shared.content.decode()
    too_dear = flash_form(sku, name="贵场")
    too_dear["items-0-price_fen"] = "150.01"
    too_dear.update(dt("starts_at", at(50)) | dt("ends_at", at(52)))
    refused = client.post(reverse("admin:promotions_flashsale_add"), too_dear)
    assert refused.status_code == 200 and "零售价" in refused.content.decode()
    assert list(FlashSale.objects.values_list("name", flat=True)) == ["午间场"]


def test_change_flash_sale_once_stock_moved_keeps_items(client, world):
    client.force_login(member_of("运营"))
    sale = world["flashsale"]
    FlashSale.objects.filter(pk=sale.pk).update(stock_moved_at=timezone.now())
    data = {
        "name": "十点场（热卖）",
        "unpaid_timeout_minutes": "10",
        "share_text": "",
        **dt("ends_at", at(4)),
        **management("items", []),
    }
    response = client.post(reverse("admin:promotions_flashsale_change", args=[sale.pk]), data)
    assert response.status_code == 302, [ln for ln in response.content.decode().splitlines() if "error" in ln]
    sale.refresh_from_db()
    assert (sale.name, sale.unpaid_timeout_minutes, sale.ends_at) == ("十点场（热卖）", 10, at(4))
    assert sale.items.count() == 1


def test_add_group_buy_and_bargain(client, sku):
    staff = member_of("运营")
    client.force_login(staff)
    group_data = {
        "name": "三人拼",
        "group_size": "3",
        "hours": "24",
        "virtual_min_members": "2",
        "when_full": "new_group",
        "leader_reward_fen": "5",
        "per_order_limit": "1",
        "share_text": "",
        **dt("starts_at", at(0)),
        **dt("ends_at", at(48)),
        **management("items", [{"sku": str(sku.pk), "price_fen": "105"}]),
    }
    response = client.post(reverse("admin:promotions_groupbuy_add"), group_data)
    assert response.status_code == 302, response.content.decode()[:3000]
    group_buy = GroupBuy.objects.get(name="三人拼")
    assert group_buy.leader_reward_fen == 500
    assert list(group_buy.items.values_list("price_fen", flat=True)) == [10500]
    too_big = client.post(reverse("admin:promotions_groupbuy_add"), {**group_data, "name": "大团", "virtual_min_members": "4"})
    assert too_big.status_code == 200 and "模拟成团门槛不能多于成团人数" in too_big.content.decode()

    bargain_data = {
        "name": "砍一刀",
        "sku": str(sku.pk),
        "start_price_fen": "150",
        "floor_price_fen": "9.9",
        "helps_needed": "3",
        "hours": "24",
        "daily_help_limit": "3",
        "help_requires_account": "on",
        "share_text": "",
        **dt("starts_at", at(0)),
        **dt("ends_at", at(72)),
    }
    response = client.post(reverse("admin:promotions_bargainactivity_add"), bargain_data)
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = BargainActivity.objects.get(name="砍一刀")
    assert (activity.start_price_fen, activity.floor_price_fen) == (15000, 990)
    assert PromotionAudit.objects.filter(kind="bargain", object_id=activity.pk, action="created", actor=staff).exists()
    no_room = client.post(
        reverse("admin:promotions_bargainactivity_add"),
        {**bargain_data, "name": "砍不动", "start_price_fen": "0.10", "floor_price_fen": "0.09"},
    )
    assert no_room.status_code == 200 and "起砍价与底价之差" in no_room.content.decode()


@pytest.mark.parametrize(("action", "status"), [("pause_selected", "paused"), ("end_selected", "ended")])
def test_actions_ask_for_a_reason(client, world, action, status):
    staff = member_of("运营")
    client.force_login(staff)
    sale = world["flashsale"]
    url = reverse("admin:promotions_flashsale_changelist")
    asked = client.post(url, {"action": action, "_selected_action": [sale.pk]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    no_reason = client.post(url, {"action": action, "_selected_action": [sale.pk], "apply": "1", "reason": ""})
    assert no_reason.status_code == 200
    assert FlashSale.objects.get(pk=sale.pk).status == RunStatus.ACTIVE
    done = client.post(url, {"action": action, "_selected_action": [sale.pk], "apply": "1", "reason": "价格有误"})
    assert done.status_code == 302
    assert FlashSale.objects.get(pk=sale.pk).status == status
    row = PromotionAudit.objects.filter(kind="flash", object_id=sale.pk).first()
    assert (row.action, row.note, row.actor) == (status, "价格有误", staff)


def test_finance_cannot_act(client, world):
    client.force_login(member_of("财务"))
    sale = world["flashsale"]
    url = reverse("admin:promotions_flashsale_changelist")
    client.post(url, {"action": "end_selected", "_selected_action": [sale.pk], "apply": "1", "reason": "x"})
    assert FlashSale.objects.get(pk=sale.pk).status == RunStatus.ACTIVE
    assert client.post(reverse("admin:promotions_flashsale_change", args=[sale.pk]), {"name": "改"}).status_code == 403


# --- figures -----------------------------------------------------------------------------------------------


def _orders(kind, activity_id, rows):
    for n, (user, state, paid, refunded, cost) in enumerate(rows):
        ActivityOrder.objects.create(
            order_id=800000 + activity_id * 100 + n,
            kind=kind,
            activity_id=activity_id,
            user=user,
            quantity=1,
            paid_fen=paid,
            refunded_fen=refunded,
            cost_fen=cost,
            state=state,
        )


def test_figures_of_a_group_buy(world, django_assert_num_queries):
    group_buy = world["groupbuy"]
    a, b = UserFactory(), UserFactory()
    _orders(
        "group",
        group_buy.pk,
        [
            (a, "paid", 10500, 0, 5000),  # 4500 off the list price + a 500 leader reward
            (a, "refunded", 10500, 10500, 4500),
            (b, "placed", 0, 0, 4500),  # not paid: not counted
            (b, "cancelled", 0, 0, 4500),
        ],
    )
    Group.objects.create(activity=group_buy, leader=a, size=3, status="succeeded", expires_at=at(1))
    Group.objects.create(activity=group_buy, leader=b, size=3, status="failed", expires_at=at(1))
    for key, day in (("v:1", date(2026, 1, 1)), ("v:1", date(2026, 1, 2)), ("v:2", date(2026, 1, 1))):
        service.record_visit("group", group_buy.pk, key, day)
    ActivityVisit.objects.create(kind="flash", activity_id=group_buy.pk, visitor_key="v:9", day=date(2026, 1, 1))
    with django_assert_num_queries(3):
        figures = activity_figures("group", group_buy.pk)
    assert figures == {
        "kind": "group",
        "id": group_buy.pk,
        "visitors": 2,
        "participants": 2,  # the world's leader and a
        "orders": 3,
        "gmv_fen": 10500 * 3,
        "refunded_fen": 10500,
        "cost_fen": 4500 + 5000 + 4500,
        "groups_opened": 3,
        "groups_succeeded": 1,
        "groups_failed": 1,
    }


def test_figures_of_a_bargain_and_a_flash_sale(world, django_assert_num_queries):
    activity = world["bargainactivity"]
    other_helper = UserFactory()
    BargainHelp.objects.create(bargain=world["bargain"], helper=other_helper, helper_key="v:x", cut_fen=10)
    _orders("bargain", activity.pk, [(world["bargain"].user, "paid", 990, 0, 14010)])
    with django_assert_num_queries(4):
        figures = activity_figures("bargain", activity.pk)
    assert (figures["starters"], figures["helpers"], figures["bargains"], figures["orders"]) == (1, 2, 1, 1)
    assert (figures["gmv_fen"], figures["cost_fen"], figures["participants"]) == (990, 14010, 1)
    with django_assert_num_queries(2):
        empty = activity_figures("flash", world["flashsale"].pk)
    assert empty["orders"] == 0 and empty["gmv_fen"] == 0 and empty["visitors"] == 0
