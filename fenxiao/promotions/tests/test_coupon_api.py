"""/api/v1/coupons: the coupon centre, claiming, and my coupons by tab."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.promotions.models import UserCoupon
from fenxiao.promotions.services import coupons
from tests.factories import UserFactory

from .coupon_factories import CouponFactory

pytestmark = pytest.mark.django_db


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=user)}"}


def test_centre_claim_and_mine(client):
    user = UserFactory()
    coupon = CouponFactory(name="新客满减", amount_fen=2000, threshold_fen=10000, total_quantity=3, per_person_limit=1)

    centre = client.get("/api/v1/coupons/centre", **auth(user))
    assert centre.status_code == 200, centre.content
    [entry] = centre.json()
    assert entry["coupon"]["id"] == coupon.pk
    assert entry["coupon"]["text"] == "满 ¥100 减 ¥20"
    assert entry["coupon"]["scope_text"] == "全部商品"
    assert (entry["coupon"]["amount_fen"], entry["coupon"]["threshold_fen"]) == (2000, 10000)
    assert (entry["remaining"], entry["held"], entry["can_claim"]) == (3, 0, True)

    claimed = client.post(f"/api/v1/coupons/{coupon.pk}/claim", **auth(user))
    assert claimed.status_code == 201, claimed.content
    body = claimed.json()
    assert (body["status"], body["source"], body["coupon"]["id"]) == ("available", "claim", coupon.pk)
    assert UserCoupon.objects.filter(user=user, coupon=coupon).count() == 1

    again = client.post(f"/api/v1/coupons/{coupon.pk}/claim", **auth(user))
    assert (again.status_code, again.json()["code"]) == (409, "per_person_limit")
    assert again.json()["message"]

    [after] = client.get("/api/v1/coupons/centre", **auth(user)).json()
    assert (after["remaining"], after["held"], after["can_claim"]) == (2, 1, False)

    mine = client.get("/api/v1/coupons/mine", **auth(user)).json()
    assert mine["tab"] == "usable"
    assert mine["counts"] == {"usable": 1, "used": 0, "expired": 0}
    assert [item["id"] for item in mine["items"]] == [body["id"]]


def test_mine_tabs(client):
    user = UserFactory()
    coupon = CouponFactory(per_person_limit=3)
    kept = coupons.claim(user=user, coupon_id=coupon.pk)
    gone = coupons.claim(user=user, coupon_id=coupon.pk)
    coupons.revoke(user_coupon_id=gone.pk, actor=None, reason="误发")

    expired = client.get("/api/v1/coupons/mine?tab=expired", **auth(user)).json()
    assert [item["id"] for item in expired["items"]] == [gone.pk]
    assert expired["items"][0]["status_label"] == "已收回"
    assert expired["counts"] == {"usable": 1, "used": 0, "expired": 1}
    usable = client.get("/api/v1/coupons/mine?tab=usable", **auth(user)).json()
    assert [item["id"] for item in usable["items"]] == [kept.pk]
    wrong = client.get("/api/v1/coupons/mine?tab=all", **auth(user))
    assert (wrong.status_code, wrong.json()["code"]) == (422, "invalid_input")


def test_claim_refusals(client):
    user = UserFactory()
    missing = client.post("/api/v1/coupons/987654/claim", **auth(user))
    assert (missing.status_code, missing.json()["code"]) == (404, "coupon_not_found")
    later = CouponFactory(claim_starts_at=timezone.now() + timedelta(days=1))
    answer = client.post(f"/api/v1/coupons/{later.pk}/claim", **auth(user))
    assert (answer.status_code, answer.json()["code"]) == (400, "coupon_not_started")
    sold = CouponFactory(total_quantity=1)
    coupons.claim(user=UserFactory(), coupon_id=sold.pk)
    answer = client.post(f"/api/v1/coupons/{sold.pk}/claim", **auth(user))
    assert (answer.status_code, answer.json()["code"]) == (409, "coupon_sold_out")


def test_sign_in_needed(client):
    coupon = CouponFactory()
    assert client.get("/api/v1/coupons/centre").status_code == 401
    assert client.post(f"/api/v1/coupons/{coupon.pk}/claim").status_code == 401
    assert client.get("/api/v1/coupons/mine").status_code == 401


def test_browser_session_works_too(client):
    user = UserFactory()
    client.force_login(user)
    coupon = CouponFactory()
    assert client.post(f"/api/v1/coupons/{coupon.pk}/claim").status_code == 201


def test_the_openapi_document_declares_the_errors(client):
    doc = client.get("/api/openapi.json").json()
    claim = doc["paths"]["/api/v1/coupons/{coupon_id}/claim"]["post"]["responses"]
    assert {"201", "400", "401", "404", "409"} <= set(claim)
    assert "coupon_sold_out" in claim["409"]["description"] and "per_person_limit" in claim["409"]["description"]
    assert "coupon_not_started" in claim["400"]["description"]
    assert "coupon_not_found" in claim["404"]["description"]
    schemas = doc["components"]["schemas"]
    assert {"CouponCentreOut", "UserCouponOut", "CouponWalletOut"} <= set(schemas)
