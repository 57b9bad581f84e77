"""The operator's marketing activities API (/api/v1/operator/activities): create, read, change (PATCH)
flash sales, group buys and bargain activities, pause / resume / end with a reason, figures, the
refusals in the API's error shape, and the permissions (运营 may, 财务 only reads, a member is
refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from fenxiao.promotions.models import ActivityOrder, PromotionAudit
from fenxiao.promotions.services import activities as service
from tests.api_helpers import assert_error
from tests.factories import SkuFactory, UserFactory

pytestmark = pytest.mark.django_db
OP = "/api/v1/operator/activities"
JSON = "application/json"


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def when(hours: int) -> str:
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return (base + timedelta(hours=hours)).isoformat()


@pytest.fixture
def sku():
    return SkuFactory()  # retail ¥150, control ¥120


@pytest.fixture
def ops(client):
    client.force_login(member_of("运营"))
    return client


def flash_body(sku, **changes):
    body = {
        "name": "十点场",
        "starts_at": when(0),
        "ends_at": when(2),
        "share_text": "限量秒杀",
        "items": [{"sku_id": sku.pk, "price_fen": 9900, "quantity": 10, "per_person_limit": 2}],
    }
    return {**body, **changes}


def group_body(sku, **changes):
    body = {"name": "三人团", "starts_at": when(0), "ends_at": when(48), "items": [{"sku_id": sku.pk, "price_fen": 10500}]}
    return {**body, **changes}


def bargain_body(sku, **changes):
    body = {
        "name": "砍到 9.9",
        "starts_at": when(0),
        "ends_at": when(72),
        "sku_id": sku.pk,
        "start_price_fen": 15000,
        "floor_price_fen": 990,
        "helps_needed": 3,
    }
    return {**body, **changes}


def test_flash_sale_lifecycle(ops, sku):
    created = ops.post(f"{OP}/flash-sales", flash_body(sku), content_type=JSON)
    assert created.status_code == 201, created.content
    sale = created.json()
    assert sale["items"][0]["price_fen"] == 9900 and sale["items"][0]["per_person_limit"] == 2
    assert sale["status"] == "active" and sale["below_control_skus"] == [sku.pk]  # ¥99 < control ¥120
    sale_id = sale["id"]
    assert ops.get(f"{OP}/flash-sales").json()[0]["id"] == sale_id
    assert ops.get(f"{OP}/flash-sales/{sale_id}").json()["name"] == "十点场"

    patched = ops.patch(f"{OP}/flash-sales/{sale_id}", {"name": "十点场 加量"}, content_type=JSON)
    assert patched.status_code == 200, patched.content
    assert patched.json()["name"] == "十点场 加量" and patched.json()["items"][0]["quantity"] == 10
    items = [{"sku_id": sku.pk, "price_fen": 12500, "quantity": 30}]
    repriced = ops.patch(f"{OP}/flash-sales/{sale_id}", {"items": items}, content_type=JSON).json()
    assert repriced["items"][0]["price_fen"] == 12500 and repriced["below_control_skus"] == []

    paused = ops.post(f"{OP}/flash-sales/{sale_id}/pause?reason=调整", content_type=JSON)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert ops.post(f"{OP}/flash-sales/{sale_id}/resume").json()["status"] == "active"
    ended = ops.post(f"{OP}/flash-sales/{sale_id}/end?reason=提前结束")
    assert ended.json()["status"] == "ended"
    actions = list(PromotionAudit.objects.filter(kind="flash", object_id=sale_id).order_by("id").values_list("action", "note"))
    assert actions == [
        ("created", ""),
        ("updated", ""),
        ("updated", ""),
        ("paused", "调整"),
        ("resumed", ""),
        ("ended", "提前结束"),
    ]
    assert_error(ops.post(f"{OP}/flash-sales/{sale_id}/resume"), 409, "invalid_transition")
    assert_error(ops.patch(f"{OP}/flash-sales/{sale_id}", {"name": "再改"}, content_type=JSON), 409, "invalid_promotion")


def test_flash_sale_refusals(ops, sku):
    ops.post(f"{OP}/flash-sales", flash_body(sku), content_type=JSON)
    assert_error(ops.post(f"{OP}/flash-sales", flash_body(sku, name="撞车"), content_type=JSON), 409, "activity_overlap")
    assert_error(ops.post(f"{OP}/flash-sales", flash_body(sku, ends_at=when(0)), content_type=JSON), 400, "invalid_promotion")
    assert_error(
        ops.post(f"{OP}/flash-sales", flash_body(sku, share_text="转发到3个群即可领取"), content_type=JSON),
        400,
        "share_text_refused",
    )
    assert_error(ops.post(f"{OP}/flash-sales", {**flash_body(sku), "extra": 1}, content_type=JSON), 422, "invalid_input")
    assert_error(ops.get(f"{OP}/flash-sales/999999"), 404, "activity_not_found")
    assert_error(ops.patch(f"{OP}/flash-sales/999999", {"name": "x"}, content_type=JSON), 404, "activity_not_found")
    assert_error(ops.post(f"{OP}/flash-sales/999999/pause"), 404, "activity_not_found")
    assert_error(ops.get(f"{OP}/flash-sales?limit=0"), 400, "invalid_promotion")


def test_group_buy_and_bargain(ops, sku):
    created = ops.post(f"{OP}/group-buys", group_body(sku), content_type=JSON)
    assert created.status_code == 201, created.content
    group_id = created.json()["id"]
    assert created.json()["group_size"] == 3 and created.json()["items"][0]["price_fen"] == 10500
    changed = ops.patch(f"{OP}/group-buys/{group_id}", {"group_size": 5, "virtual_min_members": 3}, content_type=JSON)
    assert changed.status_code == 200 and changed.json()["group_size"] == 5
    assert_error(
        ops.patch(f"{OP}/group-buys/{group_id}", {"virtual_min_members": 6}, content_type=JSON), 400, "invalid_promotion"
    )
    assert ops.post(f"{OP}/group-buys/{group_id}/pause?reason=x").json()["status"] == "paused"

    made = ops.post(f"{OP}/bargains", bargain_body(sku), content_type=JSON)
    assert made.status_code == 201, made.content
    bargain_id = made.json()["id"]
    assert made.json()["floor_price_fen"] == 990
    assert ops.patch(f"{OP}/bargains/{bargain_id}", {"helps_needed": 5}, content_type=JSON).json()["helps_needed"] == 5
    assert_error(
        ops.post(f"{OP}/bargains", bargain_body(sku, floor_price_fen=14999), content_type=JSON), 400, "invalid_promotion"
    )
    assert ops.post(f"{OP}/bargains/{bargain_id}/end?reason=结束").json()["status"] == "ended"
    assert [b["id"] for b in ops.get(f"{OP}/bargains?status=ended").json()] == [bargain_id]


def test_figures(ops, sku):
    activity = service.save_group_buy(
        actor=None, **{**group_body(sku), "starts_at": timezone.now(), "ends_at": timezone.now() + timedelta(days=1)}
    )
    ActivityOrder.objects.create(
        order_id=1,
        kind="group",
        activity_id=activity.pk,
        user=UserFactory(),
        quantity=1,
        paid_fen=10500,
        cost_fen=4500,
        state="paid",
    )
    service.record_visit("group", activity.pk, "v:1")
    figures = ops.get(f"{OP}/group-buys/{activity.pk}/figures").json()
    assert (figures["visitors"], figures["orders"], figures["gmv_fen"], figures["cost_fen"]) == (1, 1, 10500, 4500)
    assert figures["groups_opened"] == 0 and figures["starters"] is None
    assert_error(ops.get(f"{OP}/bargains/999999/figures"), 404, "activity_not_found")


def test_permissions(client, sku):
    client.force_login(member_of("财务"))
    assert client.get(f"{OP}/flash-sales").status_code == 200
    assert_error(client.post(f"{OP}/flash-sales", flash_body(sku), content_type=JSON), 403, "forbidden")
    client.force_login(UserFactory())
    assert_error(client.get(f"{OP}/group-buys"), 403, "forbidden")
    client.logout()
    assert_error(client.get(f"{OP}/bargains"), 401, "not_authenticated")
