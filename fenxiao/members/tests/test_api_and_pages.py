"""The member API (/api/v1/members), the operator API (/api/v1/operator/members), the phone pages
(/member/, /member/points/) and the console pages of membership and points."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from fenxiao.members import services
from fenxiao.members.models import MemberSettings, Membership, MemberTier, PointsAccount, PointsMovement
from tests.api_helpers import assert_error
from tests.factories import SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers():
    MemberSettings.objects.create(pk=1, member_day=8)
    return (
        MemberTier.objects.create(name="普通会员", min_spend_fen=0),
        MemberTier.objects.create(name="银卡", min_spend_fen=100_000, points_multiplier_bp=15000, member_day_discount_bp=500),
    )


@pytest.fixture
def buyer(client, tiers):
    user = UserFactory()
    client.force_login(user)
    return user


def staff_with(*codenames):
    staff = StaffFactory(is_superuser=False)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="members", codename__in=codenames))
    return staff


# --- the member API -------------------------------------------------------------------------------


def test_me_shows_tier_progress_benefits_and_points(client, buyer, tiers):
    services.record_completed_spend(buyer.pk, "order:1", 30_000)
    services.grant(buyer.pk, 250, reference="g")
    services.credit_frozen(buyer.pk, 40, "order:2")

    body = client.get("/api/v1/members/me").json()

    assert body["tier"]["name"] == "普通会员"
    assert (body["spend_fen"], body["to_next_fen"], body["progress_bp"]) == (30_000, 70_000, 3_000)
    assert body["next_tier"]["name"] == "银卡"
    assert body["points"]["available"] == 250 and body["points"]["frozen"] == 40
    assert body["member_day"] == 8


def test_points_movements_page(client, buyer):
    for i in range(24):
        services.grant(buyer.pk, 1, reference=f"g{i}")
    services.grant(buyer.pk, 10, reference="big")
    services.spend(buyer.pk, 5, "order:1")  # all from the first lots to expire: five of one point

    first = client.get("/api/v1/members/points").json()
    assert (first["total"], first["pages"], len(first["items"])) == (30, 2, 20)
    assert {(m["kind"], m["delta"]) for m in first["items"][:5]} == {("spend", -1)}
    only = client.get("/api/v1/members/points?kind=spend").json()
    assert only["total"] == 5
    assert client.get("/api/v1/members/points?page=2").json()["items"][-1]["reference"] == "g0"
    assert_error(client.get("/api/v1/members/points?kind=bogus"), 422, "invalid_input")


def test_member_api_needs_a_login(client):
    assert_error(client.get("/api/v1/members/me"), 401, "not_authenticated")


# --- the operator API -----------------------------------------------------------------------------


def test_operator_tiers_crud(client, tiers):
    client.force_login(staff_with("view_membertier", "add_membertier", "change_membertier", "delete_membertier"))

    made = client.post(
        "/api/v1/operator/members/tiers", {"name": "金卡", "min_spend_fen": 500_000}, content_type="application/json"
    )
    assert made.status_code == 201
    tier_id = made.json()["id"]
    changed = client.put(
        f"/api/v1/operator/members/tiers/{tier_id}",
        {"name": "金卡", "min_spend_fen": 400_000, "points_multiplier_bp": 20000},
        content_type="application/json",
    )
    assert changed.json()["points_multiplier_bp"] == 20000
    assert [t["name"] for t in client.get("/api/v1/operator/members/tiers").json()] == ["普通会员", "银卡", "金卡"]
    assert_error(
        client.post("/api/v1/operator/members/tiers", {"name": "金卡", "min_spend_fen": 1}, content_type="application/json"),
        409,
        "invalid_tier",
    )
    Membership.objects.create(user=UserFactory(), tier=tiers[1])
    assert_error(client.delete(f"/api/v1/operator/members/tiers/{tiers[1].pk}"), 409, "tier_in_use")
    assert client.delete(f"/api/v1/operator/members/tiers/{tier_id}").status_code == 204
    assert_error(client.delete(f"/api/v1/operator/members/tiers/{tier_id}"), 404, "tier_not_found")


def test_operator_grant_by_phone_once_per_reference(client):
    user = UserFactory()
    client.force_login(staff_with("grant_points"))
    payload = {"phone": user.phone, "points": 500, "note": "客诉补偿", "reference": "ticket-9"}

    first = client.post("/api/v1/operator/members/points/grants", payload, content_type="application/json")
    again = client.post("/api/v1/operator/members/points/grants", payload, content_type="application/json")

    assert first.status_code == again.status_code == 201
    assert first.json()["available"] == again.json()["available"] == 500
    movement = PointsMovement.objects.get(user=user)
    assert (movement.kind, movement.note, movement.actor_id is not None) == ("grant", "客诉补偿", True)
    assert_error(
        client.post(
            "/api/v1/operator/members/points/grants", {"phone": "13000000999", "points": 1}, content_type="application/json"
        ),
        404,
        "user_not_found",
    )
    assert_error(
        client.post("/api/v1/operator/members/points/grants", {"user_id": user.pk, "points": 0}, content_type="application/json"),
        400,
        "invalid_points",
    )


def test_operator_api_needs_the_permission(client):
    client.force_login(staff_with("view_membertier"))
    assert_error(
        client.post("/api/v1/operator/members/points/grants", {"user_id": 1, "points": 5}, content_type="application/json"),
        403,
        "forbidden",
    )
    client.force_login(UserFactory())
    assert_error(client.get("/api/v1/operator/members/tiers"), 403, "forbidden")


# --- phone pages ----------------------------------------------------------------------------------


def test_member_centre_and_points_pages(client, buyer, tiers):
    services.record_completed_spend(buyer.pk, "order:1", 120_000)
    services.grant(buyer.pk, 300, reference="g")
    services.credit_frozen(buyer.pk, 50, "order:2")
    services.spend(buyer.pk, 100, "order:3")

    centre = client.get("/member/").content.decode()
    assert "银卡" in centre and "¥1,200.00" in centre and "已是最高等级" in centre
    points = client.get("/member/points/").content.decode()
    assert 'id="points-available">200<' in points and 'id="points-frozen">50<' in points
    assert "下单抵扣" in points and "-100" in points
    spends = client.get("/member/points/?kind=spend").content.decode()
    assert "运营发放" not in spends.split('id="movements"')[1]
    me = client.get("/me/").content.decode()
    assert 'href="/member/"' in me


def test_pages_need_a_login(client):
    assert client.get("/member/").status_code == 302
    assert client.get("/member/points/").status_code == 302


# --- console --------------------------------------------------------------------------------------


def test_console_pages_render_and_grant_by_phone(client, tiers):
    user = UserFactory()
    services.grant(user.pk, 10, reference="g")
    services.record_completed_spend(user.pk, "order:1", 100)
    sku = SkuFactory()
    client.force_login(StaffFactory())
    for url in (
        "/admin/members/membertier/",
        f"/admin/members/membertier/{tiers[0].pk}/change/",
        "/admin/members/memberprice/",
        "/admin/members/membersettings/",
        "/admin/members/membership/?q=" + user.phone,
        "/admin/members/pointsaccount/",
        "/admin/members/pointslot/",
        "/admin/members/pointsmovement/",
        "/admin/members/pointsmovement/grant/",
    ):
        assert client.get(url).status_code == 200, url

    page = client.get("/admin/members/pointsmovement/grant/")
    token = page.context["form"].initial["token"]
    for _ in range(2):  # submitted twice: granted once
        response = client.post(
            "/admin/members/pointsmovement/grant/", {"phones": user.phone, "points": "40", "note": "活动补发", "token": token}
        )
        assert response.status_code == 302
    assert PointsAccount.objects.get(user=user).available == 50

    response = client.post(
        "/admin/members/membertier/add/",
        {
            "name": "金卡",
            "min_spend_fen": "5000",
            "points_multiplier_bp": "200",
            "member_day_discount_bp": "10",
            "sort": "0",
            "is_active": "on",
            "prices-TOTAL_FORMS": "1",
            "prices-INITIAL_FORMS": "0",
            "prices-0-sku": str(sku.pk),
            "prices-0-price_fen": "99.5",
        },
    )
    assert response.status_code == 302, [str(e) for e in response.context["errors"]]
    gold = MemberTier.objects.get(name="金卡")
    assert (gold.min_spend_fen, gold.points_multiplier_bp, gold.member_day_discount_bp) == (500_000, 20000, 1000)
    assert gold.prices.get().price_fen == 9950


def test_console_grant_action_on_members(client, tiers):
    a, b = UserFactory(), UserFactory()
    for user in (a, b):
        services.record_completed_spend(user.pk, f"order:{user.pk}", 100)
    client.force_login(StaffFactory())
    ids = [str(m.pk) for m in Membership.objects.all()]

    form = client.post("/admin/members/membership/", {"action": "grant_selected", "_selected_action": ids})
    assert form.status_code == 200 and "发放积分" in form.content.decode()
    client.post(
        "/admin/members/membership/",
        {"action": "grant_selected", "_selected_action": ids, "apply": "1", "points": "15", "note": "", "token": "grant:batch1"},
    )

    assert sorted(PointsAccount.objects.values_list("available", flat=True)) == [15, 15]
