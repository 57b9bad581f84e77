"""The staff duty matrix of docs/permissions.md, cell by cell: each default group × each duty, allowed or
refused, through the API and, where the action exists, the console. An allowed call on an object that
does not exist answers its not-found error (it got past the permission check); a refused one answers 403."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory

from fenxiao.accounts.services import STAFF_GROUPS, ensure_staff_groups, issue_token
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.logistics.models import Carrier
from fenxiao.orders.models import AfterSale, Order
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.models import SampleRequest, ShipmentException
from fenxiao.withdrawals.models import Withdrawal
from tests.factories import OrderRecordFactory, UserFactory

OP = "/api/v1/operator"
GROUPS = ("运营", "财务", "客服", "供应链")
MISSING = 999999

# duty → (method, path, body, the groups allowed, the allowed groups' answer: status and error code).
# Paths name objects that do not exist.
API_DUTIES = {
    "review_aftersale_approve": (
        "post",
        f"{OP}/aftersales/{MISSING}/approve",
        {"reason": ""},
        {"客服"},
        (404, "aftersale_not_found"),
    ),
    "review_aftersale_reject": (
        "post",
        f"{OP}/aftersales/{MISSING}/reject",
        {"reason": "x"},
        {"客服"},
        (404, "aftersale_not_found"),
    ),
    "receive_return": ("post", f"{OP}/aftersales/{MISSING}/receive-return", None, {"供应链"}, (404, "aftersale_not_found")),
    "ship_order": (
        "post",
        f"{OP}/orders/{MISSING}/ship",
        {"tracking_company": "顺丰", "tracking_number": "SF1"},
        {"供应链"},
        (404, "order_not_found"),
    ),
    "cancel_order": ("post", f"{OP}/orders/{MISSING}/cancel", {"reason": "x"}, {"客服"}, (404, "order_not_found")),
    "add_carrier": ("post", f"{OP}/carriers", {"code": "NOT A CODE", "name": "x"}, {"供应链"}, (422, "invalid_carrier")),
    "change_carrier": ("patch", f"{OP}/carriers/{MISSING}", {"name": "x"}, {"供应链"}, (404, "carrier_not_found")),
    "deactivate_carrier": ("post", f"{OP}/carriers/{MISSING}/deactivate", None, {"供应链"}, (404, "carrier_not_found")),
    "approve_supplier": ("post", f"{OP}/suppliers/{MISSING}/approve", {"note": ""}, {"供应链"}, (404, "supplier_not_found")),
    "reject_supplier": ("post", f"{OP}/suppliers/{MISSING}/reject", {"reason": "x"}, {"供应链"}, (404, "supplier_not_found")),
    "evaluate_supplier": (
        "post",
        f"{OP}/suppliers/{MISSING}/evaluate",
        {"score": 50, "conclusion": "x"},
        {"供应链"},
        (404, "supplier_not_found"),
    ),
    "suspend_supplier": ("post", f"{OP}/suppliers/{MISSING}/suspend", {"reason": "x"}, {"供应链"}, (404, "supplier_not_found")),
    "reinstate_supplier": ("post", f"{OP}/suppliers/{MISSING}/reinstate", {"note": ""}, {"供应链"}, (404, "supplier_not_found")),
    "approve_sample_request": (
        "post",
        f"{OP}/sample-requests/{MISSING}/approve",
        {"note": ""},
        {"供应链"},
        (404, "sample_request_not_found"),
    ),
    "reject_sample_request": (
        "post",
        f"{OP}/sample-requests/{MISSING}/reject",
        {"reason": "x"},
        {"供应链"},
        (404, "sample_request_not_found"),
    ),
    "refund_money": (
        "post",
        f"{OP}/orders/lines/{MISSING}/refund",
        {"amount_fen": 100, "reason": "x"},
        {"财务"},
        (404, "order_not_found"),
    ),
    "approve_withdrawal": ("post", f"{OP}/withdrawals/{MISSING}/approve", {"note": ""}, {"财务"}, (404, "withdrawal_not_found")),
    "reject_withdrawal": ("post", f"{OP}/withdrawals/{MISSING}/reject", {"reason": "x"}, {"财务"}, (404, "withdrawal_not_found")),
    "payout_batch": ("post", f"{OP}/withdrawals/batches", {"channel": ""}, {"财务"}, (409, "nothing_to_pay")),
    "supplier_payout_batch": ("post", f"{OP}/supplier-statements/batches", {}, {"财务"}, (409, "nothing_to_pay")),
    "approve_payout": ("post", f"{OP}/approvals/{MISSING}/approve", {"note": ""}, {"财务"}, (404, "approval_not_found")),
    "reject_payout": ("post", f"{OP}/approvals/{MISSING}/reject", {"reason": "x"}, {"财务"}, (404, "approval_not_found")),
    "propose_team_bonus": ("post", f"{OP}/commissions/team-bonus/run", {"month": "2001-01"}, {"运营"}, (200, None)),
    "propose_rung": ("post", f"{OP}/growth/invitation-rungs", {"invites": 0, "reward": "gift"}, {"运营"}, (400, "invalid_rung")),
    "propose_prize_close": (
        "post",
        f"{OP}/growth/leaderboard-closes",
        {"board": "likes", "period_kind": "month"},
        {"运营"},
        (400, "invalid_board"),
    ),
}

# (model, admin action) → the groups that see it in the console.
ADMIN_DUTIES = {
    (AfterSale, "approve"): {"客服"},
    (AfterSale, "reject"): {"客服"},
    (AfterSale, "receive_return"): {"供应链"},
    (Order, "cancel_orders"): {"客服"},
    (Carrier, "deactivate_carriers"): {"供应链"},
    (Supplier, "approve"): {"供应链"},
    (Supplier, "reject"): {"供应链"},
    (Supplier, "suspend"): {"供应链"},
    (Supplier, "reinstate"): {"供应链"},
    (ShipmentException, "resolve"): {"客服", "供应链"},
    (SampleRequest, "approve"): {"供应链"},
    (SampleRequest, "reject"): {"供应链"},
    (Withdrawal, "approve"): {"财务"},
    (Withdrawal, "reject"): {"财务"},
    (Withdrawal, "make_batch"): {"财务"},
    (ApprovalRequest, "approve"): {"财务"},
    (ApprovalRequest, "reject"): {"财务"},
}


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def call(client, user, method, path, body):
    headers = {"Authorization": f"Bearer {issue_token(user=user)}"}
    data = json.dumps(body) if body is not None else "{}"
    return getattr(client, method)(path, data, content_type="application/json", headers=headers)


@pytest.mark.django_db
@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("duty", sorted(API_DUTIES))
def test_api_cell(client, group, duty):
    method, path, body, allowed, (status, code) = API_DUTIES[duty]
    response = call(client, member_of(group), method, path, body)
    if group in allowed:
        assert (response.status_code, response.json().get("code")) == (status, code), (group, duty, response.content)
    else:
        assert response.status_code == 403, (group, duty, response.content)
        assert response.json()["code"] == "forbidden"


@pytest.mark.django_db
@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("duty", sorted(ADMIN_DUTIES, key=lambda d: (d[0].__name__, d[1])))
def test_console_cell(group, duty):
    model, action = duty
    request = RequestFactory().get("/admin/")
    request.user = member_of(group)
    actions = admin.site._registry[model].get_actions(request)
    assert (action in actions) == (group in ADMIN_DUTIES[duty]), (group, model.__name__, action)


@pytest.mark.django_db
@pytest.mark.parametrize("group", GROUPS)
def test_supplier_payout_file_export_cell(client, group):
    """The payout file carries full account numbers: only finance may export it."""
    headers = {"Authorization": f"Bearer {issue_token(user=member_of(group))}"}
    response = client.get(f"{OP}/supplier-statements/batches/{MISSING}/export.xlsx", headers=headers)
    expected = (404, "batch_not_found") if group == "财务" else (403, "forbidden")
    assert (response.status_code, response.json()["code"]) == expected, (group, response.content)


@pytest.mark.django_db
@pytest.mark.parametrize("group", GROUPS)
def test_console_ship_page(client, group):
    order = OrderRecordFactory(status=Order.Status.PAID, goods_fen=100, shipping_fen=0, completed_at=None)
    client.force_login(member_of(group))
    response = client.get(f"/admin/orders/order/{order.pk}/ship/")
    assert (response.status_code == 200) == (group == "供应链"), (group, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("group", GROUPS)
def test_carriers_and_tracking_are_seen_by_service_and_supply_chain(client, group):
    response = client.get(f"{OP}/carriers", headers={"Authorization": f"Bearer {issue_token(user=member_of(group))}"})
    assert (response.status_code == 200) == (group in {"客服", "供应链"}), (group, response.status_code)
    user = member_of(group)
    assert user.has_perm("logistics.view_trackingevent") == (group in {"客服", "供应链"})


@pytest.mark.django_db
def test_no_group_but_finance_may_decide_and_nobody_keeps_the_broad_order_permissions():
    holders = {
        name for name in GROUPS if Group.objects.get(name=name).permissions.filter(codename="decide_approvalrequest").exists()
    }
    assert holders == {"财务"}
    for name in GROUPS:
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert not codenames & {"change_order", "change_aftersale", "change_orderline"}, name


@pytest.mark.django_db
def test_existing_databases_lose_the_retired_defaults_and_keep_the_operators_own():
    supply = Group.objects.get(name="供应链")
    broad = Permission.objects.get(content_type__app_label="orders", codename="change_aftersale")
    own = Permission.objects.get(content_type__app_label="addresses", codename="delete_address")
    supply.permissions.add(broad, own)  # as an earlier version granted (broad) and an operator added (own)
    ensure_staff_groups()
    codenames = set(supply.permissions.values_list("codename", flat=True))
    assert "change_aftersale" not in codenames
    assert {"delete_address", "ship_order", "receive_return"} <= codenames


def test_the_matrix_names_every_group():
    assert set(STAFF_GROUPS) == set(GROUPS)
