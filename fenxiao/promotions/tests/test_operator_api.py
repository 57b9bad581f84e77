"""The operator's promotions API (/api/v1/operator/promotions): CRUD of coupons, 满减送, timed
discounts and tier prices, pause / resume / end, issuing coupons, figures, and the permission
refusals (运营 may, 财务 only reads, a member is refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from fenxiao.promotions.models import Coupon, FullReduction, PromotionAudit, QuantityTier, TimedDiscount, UserCoupon
from tests.api_helpers import assert_error
from tests.factories import ProductFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
OP = "/api/v1/operator/promotions"


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def when(hours: int) -> str:
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return (base + timedelta(hours=hours)).isoformat()


def coupon_body(**changes):
    body = {
        "name": "满100减20",
        "kind": "amount",
        "amount_fen": 2000,
        "threshold_fen": 10000,
        "validity": "dates",
        "valid_until": when(24 * 30),
        "total_quantity": 50,
    }
    return {**body, **changes}


def reduction_body(**changes):
    body = {
        "name": "满减",
        "scope": "all",
        "basis": "amount",
        "starts_at": when(0),
        "ends_at": when(10),
        "tiers": [{"threshold": 10000, "amount_off_fen": 1000}, {"threshold": 20000, "amount_off_fen": 2500}],
    }
    return {**body, **changes}


@pytest.fixture
def ops(client):
    client.force_login(member_of("运营"))
    return client


def test_coupon_crud_and_moves(ops):
    created = ops.post(f"{OP}/coupons", coupon_body(), content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["text"].startswith("满 ¥100 减 ¥20") and body["status"] == "active" and body["issued_count"] == 0
    coupon_id = body["id"]
    assert [c["id"] for c in ops.get(f"{OP}/coupons").json()] == [coupon_id]
    assert ops.get(f"{OP}/coupons/{coupon_id}").json()["name"] == "满100减20"
    changed = ops.put(f"{OP}/coupons/{coupon_id}", coupon_body(name="新名字"), content_type="application/json")
    assert changed.status_code == 200 and changed.json()["name"] == "新名字"
    paused = ops.post(f"{OP}/coupons/{coupon_id}/pause?note=暂停一下")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert ops.get(f"{OP}/coupons", {"status": "active"}).json() == []
    assert ops.post(f"{OP}/coupons/{coupon_id}/resume").json()["status"] == "active"
    assert ops.post(f"{OP}/coupons/{coupon_id}/end").json()["status"] == "ended"
    assert_error(ops.post(f"{OP}/coupons/{coupon_id}/resume"), 409, "invalid_transition")
    actions = list(
        PromotionAudit.objects.filter(object_id=coupon_id, kind="coupon").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["created", "updated", "paused", "resumed", "ended"]


def test_coupon_refusals(ops):
    assert_error(ops.post(f"{OP}/coupons", coupon_body(amount_fen=0), content_type="application/json"), 400, "invalid_promotion")
    assert_error(ops.get(f"{OP}/coupons/999999"), 404, "promotion_not_found")
    assert_error(ops.put(f"{OP}/coupons/999999", coupon_body(), content_type="application/json"), 404, "promotion_not_found")
    assert_error(ops.get(f"{OP}/coupons", {"limit": 0}), 400, "invalid_promotion")
    assert_error(ops.post(f"{OP}/coupons", {**coupon_body(), "extra": 1}, content_type="application/json"), 422, "invalid_input")


def test_issue_by_phone_and_user_id(ops):
    coupon_id = ops.post(f"{OP}/coupons", coupon_body(), content_type="application/json").json()["id"]
    alice, bob = UserFactory(), UserFactory()
    response = ops.post(
        f"{OP}/coupons/{coupon_id}/issue",
        {"phones": [alice.phone, "13000000000"], "user_ids": [bob.pk, alice.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "issued": 2,
        "at_limit": 0,
        "not_issued": 0,
        "unknown_user_ids": [],
        "unknown_phones": ["13000000000"],
    }
    assert set(UserCoupon.objects.filter(coupon_id=coupon_id).values_list("user_id", flat=True)) == {alice.pk, bob.pk}
    again = ops.post(f"{OP}/coupons/{coupon_id}/issue", {"user_ids": [bob.pk]}, content_type="application/json").json()
    assert again["issued"] == 0 and again["at_limit"] == 1
    assert_error(ops.post(f"{OP}/coupons/{coupon_id}/issue", {}, content_type="application/json"), 400, "invalid_promotion")
    figures = ops.get(f"{OP}/coupons/{coupon_id}/figures").json()
    assert figures == {"id": coupon_id, "kind": "coupon", "issued": 2, "used": 0, "orders": 0, "gmv_fen": 0, "cost_fen": 0}


def test_full_reduction_crud_overlap_and_resume(ops):
    first = ops.post(f"{OP}/full-reductions", reduction_body(), content_type="application/json")
    assert first.status_code == 201, first.content
    rule = first.json()
    assert [t["threshold"] for t in rule["tiers"]] == [10000, 20000]
    clash = ops.post(
        f"{OP}/full-reductions", reduction_body(name="第二", starts_at=when(5), ends_at=when(15)), content_type="application/json"
    )
    body = assert_error(clash, 409, "activity_overlap")
    assert body["detail"]["other_id"] == rule["id"]
    touching = ops.post(
        f"{OP}/full-reductions",
        reduction_body(name="第二", starts_at=when(10), ends_at=when(20)),
        content_type="application/json",
    )
    assert touching.status_code == 201
    changed = ops.put(
        f"{OP}/full-reductions/{rule['id']}",
        reduction_body(tiers=[{"threshold": 5000, "amount_off_fen": 0, "free_shipping": True}]),
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["tiers"] == [
        {
            "threshold": 5000,
            "amount_off_fen": 0,
            "free_shipping": True,
            "gift_coupon_id": None,
            "gift_sku_id": None,
            "gift_quantity": 1,
            "points": 0,
        }
    ]
    assert ops.post(f"{OP}/full-reductions/{rule['id']}/pause").json()["status"] == "paused"
    moved = ops.put(
        f"{OP}/full-reductions/{touching.json()['id']}",
        reduction_body(name="第二", starts_at=when(5), ends_at=when(20)),
        content_type="application/json",
    )
    assert moved.status_code == 200  # the paused one does not count
    assert_error(ops.post(f"{OP}/full-reductions/{rule['id']}/resume"), 409, "activity_overlap")
    assert ops.get(f"{OP}/full-reductions/{rule['id']}/figures").json()["orders"] == 0
    assert FullReduction.objects.count() == 2


def test_timed_discounts_and_tiers(ops):
    product = ProductFactory()
    a, b = SkuFactory(product=product), SkuFactory(product=product)
    body = {"name": "限时", "starts_at": when(0), "ends_at": when(5), "items": [{"sku_id": a.pk, "percent_off_bp": 2000}]}
    created = ops.post(f"{OP}/timed-discounts", body, content_type="application/json")
    assert created.status_code == 201, created.content
    discount_id = created.json()["id"]
    other = {**body, "name": "同商品", "items": [{"sku_id": b.pk, "mode": "amount", "amount_off_fen": 100}]}
    assert_error(ops.post(f"{OP}/timed-discounts", other, content_type="application/json"), 409, "activity_overlap")
    assert ops.post(f"{OP}/timed-discounts/{discount_id}/end").json()["status"] == "ended"
    assert ops.post(f"{OP}/timed-discounts", other, content_type="application/json").status_code == 201
    assert_error(ops.put(f"{OP}/timed-discounts/{discount_id}", body, content_type="application/json"), 409, "invalid_promotion")
    assert TimedDiscount.objects.count() == 2

    tier = ops.post(
        f"{OP}/quantity-tiers", {"sku_id": a.pk, "min_quantity": 3, "percent_off_bp": 500}, content_type="application/json"
    )
    assert tier.status_code == 201, tier.content
    tier_id = tier.json()["id"]
    changed = ops.put(
        f"{OP}/quantity-tiers/{tier_id}",
        {"sku_id": a.pk, "min_quantity": 4, "percent_off_bp": 600},
        content_type="application/json",
    )
    assert changed.json() == {"id": tier_id, "sku_id": a.pk, "min_quantity": 4, "percent_off_bp": 600}
    assert [t["id"] for t in ops.get(f"{OP}/quantity-tiers", {"sku_id": a.pk}).json()] == [tier_id]
    assert_error(
        ops.post(
            f"{OP}/quantity-tiers", {"sku_id": a.pk, "min_quantity": 1, "percent_off_bp": 500}, content_type="application/json"
        ),
        400,
        "invalid_promotion",
    )
    assert QuantityTier.objects.count() == 1


def test_finance_reads_but_may_not_write_and_members_are_refused(client):
    coupon = Coupon.objects.create(name="券", amount_fen=100, valid_until=timezone.now() + timedelta(days=3), total_quantity=5)
    client.force_login(member_of("财务"))
    assert client.get(f"{OP}/coupons").status_code == 200
    assert client.get(f"{OP}/coupons/{coupon.pk}/figures").status_code == 200
    assert_error(client.post(f"{OP}/coupons", coupon_body(), content_type="application/json"), 403, "forbidden")
    assert_error(client.post(f"{OP}/coupons/{coupon.pk}/pause"), 403, "forbidden")
    assert_error(
        client.post(f"{OP}/coupons/{coupon.pk}/issue", {"user_ids": [1]}, content_type="application/json"), 403, "forbidden"
    )
    assert_error(client.post(f"{OP}/full-reductions", reduction_body(), content_type="application/json"), 403, "forbidden")
    client.force_login(member_of("客服"))
    assert_error(client.get(f"{OP}/coupons"), 403, "forbidden")
    client.force_login(UserFactory())
    assert_error(client.get(f"{OP}/timed-discounts"), 403, "forbidden")
    client.logout()
    assert_error(client.get(f"{OP}/quantity-tiers"), 401, "not_authenticated")
    client.force_login(StaffFactory())  # a superuser
    assert client.post(f"{OP}/coupons/{coupon.pk}/pause").json()["status"] == "paused"
