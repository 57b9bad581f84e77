"""The operator endpoints of the commissions app: simulate, run and list the team bonus. Bad input
leaves as {code, message, detail} with a 4xx status."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import issue_token
from fenxiao.commissions.models import TeamBonus
from fenxiao.commissions.services.team_bonus import month_period
from fenxiao.commissions.tests.test_simulator import paid_order, sku_in
from fenxiao.commissions.tests.test_team_bonus import sale
from fenxiao.distribution.models import DistributionSettings, Level
from fenxiao.ledger.models import Transaction
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, LevelFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

OP = "/api/v1/operator/commissions"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def staff_in(group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def levels(db):
    DistributionSettings.objects.get_or_create(pk=1)
    return (
        LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500),
        LevelFactory(rank=3, name="合伙人", direct_rate_bp=2000, indirect_rate_bp=500, team_bonus_bp=300),
    )


@pytest.fixture
def headers(db):
    return bearer(StaffFactory())


@pytest.fixture
def beauty_sale(levels):
    regular, partner = levels
    p = DistributorFactory(level=partner)
    a = DistributorFactory(level=regular, inviter=p)
    paid_order(a, [(sku_in("beauty", 150, 50), 1)])
    return a


def post(client, path, body, headers):
    return client.post(f"{OP}{path}", body, content_type="application/json", headers=headers)


def test_simulate_a_window(client, headers, levels, beauty_sale):
    regular, _partner = levels
    body = {"plan": {"levels": [{"level_id": regular.pk, "direct_rate_bp": 2000}]}, "scope": {"kind": "window", "days": 7}}
    response = post(client, "/simulate", body, headers)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["gmv_fen"], data["draft"]["direct_fen"], data["current"]["direct_fen"]) == (15000, 3000, 1500)
    assert data["delta"]["commission_fen"] == 1500
    assert data["draft"]["health"] == "high" and data["current"]["health"] == "healthy"
    assert data["draft"]["top_earners"][0]["code"] == beauty_sale.code
    assert "****" in data["draft"]["top_earners"][0]["masked_phone"]
    assert data["draft_plan"]["levels"][0] == [regular.pk, 2000, 500, 0]
    # nothing saved
    assert Level.objects.get(pk=regular.pk).direct_rate_bp == 1000


def test_simulate_defaults_and_synthetic(client, headers, levels, beauty_sale):
    response = post(client, "/simulate", {}, headers)
    assert response.status_code == 200, response.content
    assert response.json()["delta"]["commission_fen"] == 0  # the draft is the current plan
    body = {"scope": {"kind": "synthetic", "order_count": 50, "avg_order_value_fen": 9900, "seed": 3}}
    first = post(client, "/simulate", body, headers).json()
    again = post(client, "/simulate", body, headers).json()
    assert first == again and first["gmv_fen"] == 50 * 9900


@pytest.mark.parametrize(
    ("plan", "status", "code"),
    [
        ({"commission_levels": 3}, 400, "commission_depth_exceeded"),
        ({"level3_rate_bp": 100}, 400, "commission_depth_exceeded"),
        ({"levels": [{"level_id": "LEVEL", "third_rate_bp": 100}]}, 400, "commission_depth_exceeded"),
        ({"commission_levels": 0}, 400, "invalid_setting"),
        ({"ceiling_bp": -1}, 400, "invalid_ceiling"),
        ({"levels": [{"level_id": 987654, "direct_rate_bp": 100}]}, 404, "unknown_level"),
        ({"levels": [{"level_id": "LEVEL", "direct_rate_bp": 20000}]}, 400, "invalid_rate"),
        (
            {"levels": [{"level_id": "LEVEL", "direct_rate_bp": 100}, {"level_id": "LEVEL", "direct_rate_bp": 200}]},
            400,
            "invalid_plan",
        ),
        ({"surprise": 1}, 422, "invalid_input"),  # unknown fields: one rule for every operator input
        ({"commission_levels": "two"}, 422, "invalid_input"),
    ],
)
def test_simulate_refuses_bad_plans(client, headers, levels, plan, status, code):
    regular = levels[0]
    for item in plan.get("levels", []):
        if item["level_id"] == "LEVEL":
            item["level_id"] = regular.pk
    assert_error(post(client, "/simulate", {"plan": plan}, headers), status, code)


@pytest.mark.parametrize(
    ("scope", "status", "code"),
    [
        ({"kind": "window", "days": 0}, 400, "invalid_scope"),
        ({"kind": "window", "days": 366}, 400, "invalid_scope"),
        ({"kind": "window", "days": "many"}, 422, "invalid_input"),
        ({"kind": "crystal_ball"}, 422, "invalid_input"),
        ({"kind": "synthetic", "order_count": 10}, 422, "invalid_input"),
        ({"kind": "synthetic", "order_count": 0, "avg_order_value_fen": 100}, 400, "invalid_scope"),
        (
            {"kind": "synthetic", "order_count": 10, "avg_order_value_fen": 100, "category_mix": {"987654": 1}},
            400,
            "invalid_scope",
        ),
    ],
)
def test_simulate_refuses_bad_scopes(client, headers, levels, scope, status, code):
    assert_error(post(client, "/simulate", {"scope": scope}, headers), status, code)


def test_only_plan_staff(client, levels):
    assert_error(post(client, "/simulate", {}, {}), 401, "not_authenticated")
    assert_error(post(client, "/simulate", {}, bearer(UserFactory())), 403, "forbidden")
    assert_error(post(client, "/simulate", {}, bearer(staff_in("财务"))), 403, "forbidden")
    assert_error(post(client, "/team-bonus/run", {}, bearer(staff_in("客服"))), 403, "forbidden")
    assert_error(client.get(f"{OP}/team-bonus", headers=bearer(staff_in("财务"))), 403, "forbidden")
    assert post(client, "/simulate", {}, bearer(staff_in("运营"))).status_code == 200


def test_run_and_list_the_team_bonus(client, headers, levels):
    regular, partner = levels
    p = DistributorFactory(level=partner)
    period = month_period(None)  # the previous month of the real clock
    sale(DistributorFactory(level=regular, inviter=p), 10000, completed_at=period.start + timedelta(days=2))

    response = post(client, "/team-bonus/run", {"month": period.label}, headers)
    assert response.status_code == 200, response.content
    proposed = response.json()
    # Proposed, not paid: finance approves it as a second person, and only then is it paid.
    assert (proposed["created"], proposed["amount_fen"], proposed["approval_status"]) == (False, 300, "pending")
    assert not TeamBonus.objects.exists()
    assert post(client, "/team-bonus/run", {"month": period.label}, headers).json()["approval_id"] == proposed["approval_id"]
    approved = client.post(
        f"/api/v1/operator/approvals/{proposed['approval_id']}/approve",
        "{}",
        content_type="application/json",
        headers=bearer(staff_in("财务")),
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["result"]["amount_fen"] == 300
    data = post(client, "/team-bonus/run", {"month": period.label}, headers).json()
    assert (data["month"], data["partner_count"], data["amount_fen"]) == (period.label, 1, 300)
    assert data["bonuses"][0]["distributor_code"] == p.code
    again = post(client, "/team-bonus/run", {}, headers).json()  # default: the previous month
    assert (again["created"], again["amount_fen"], again["ledger_transaction_id"]) == (False, 300, data["ledger_transaction_id"])
    assert TeamBonus.objects.count() == 1 and Transaction.objects.filter(kind="team_bonus").count() == 1

    listed = client.get(f"{OP}/team-bonus", {"month": period.label}, headers=headers).json()
    assert (listed["partner_count"], listed["amount_fen"], listed["team_sales_fen"]) == (1, 300, 10000)
    assert [item["distributor_id"] for item in listed["items"]] == [p.pk]
    assert client.get(f"{OP}/team-bonus", headers=headers).json()["month"] == period.label
    empty = client.get(f"{OP}/team-bonus", {"month": "2001-01"}, headers=headers).json()
    assert (empty["partner_count"], empty["items"]) == (0, [])


def test_team_bonus_refuses_bad_months(client, headers, levels):
    from django.utils import timezone

    this_month = f"{timezone.localdate():%Y-%m}"
    body = assert_error(post(client, "/team-bonus/run", {"month": this_month}, headers), 400, "month_not_closed")
    assert body["detail"]["month"] == this_month
    assert_error(post(client, "/team-bonus/run", {"month": "2026/01"}, headers), 400, "invalid_month")
    assert_error(post(client, "/team-bonus/run", {"month": 202601}, headers), 422, "invalid_input")
    assert_error(client.get(f"{OP}/team-bonus", {"month": "13-2026"}, headers=headers), 400, "invalid_month")
    assert not TeamBonus.objects.exists()
