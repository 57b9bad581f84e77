"""The carriers API: the public list, and the operator's list, create, change and deactivate."""

import json

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import ensure_staff_groups, issue_token
from fenxiao.logistics.models import Carrier
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("carriers")]
OP = "/api/v1/operator/carriers"


def staff(group: str):
    ensure_staff_groups()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def send(client, method, path, body, headers):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json", headers=headers)


def test_public_list_shows_active_carriers_in_order(client, django_assert_max_num_queries):
    Carrier.objects.filter(code="ems").update(is_active=False)
    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/carriers")
    assert response.status_code == 200
    rows = response.json()
    assert rows[0] == {
        "code": "shunfeng",
        "name": "顺丰速运",
        "tracking_url_template": "https://www.kuaidi100.com/chaxun?com=shunfeng&nu={number}",
        "number_pattern": r"(SF)?\d{12,15}",
    }
    assert "ems" not in {row["code"] for row in rows}
    assert len(rows) == Carrier.objects.filter(is_active=True).count()


def test_supply_chain_keeps_the_list(client):
    headers = staff("供应链")
    response = send(
        client,
        "post",
        OP,
        {"code": "kuayue", "name": "跨越速运", "number_pattern": r"KY\d{10}", "sort_order": 30},
        headers,
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["is_active"] and created["code"] == "kuayue"
    response = send(
        client, "patch", f"{OP}/{created['id']}", {"tracking_url_template": "https://ky.example/q?no={number}"}, headers
    )
    assert response.status_code == 200
    assert response.json()["tracking_url_template"] == "https://ky.example/q?no={number}"
    response = send(client, "post", f"{OP}/{created['id']}/deactivate", {}, headers)
    assert response.json()["is_active"] is False
    listed = client.get(OP, headers=headers).json()
    assert {"kuayue", "shunfeng"} <= {row["code"] for row in listed}
    assert "kuayue" not in {row["code"] for row in client.get("/api/v1/carriers").json()}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"code": "x1", "name": "坏格式", "number_pattern": "(["}, 422, "invalid_carrier"),
        ({"code": "UPPER CASE", "name": "坏编码"}, 422, "invalid_carrier"),
        ({"code": "zhongtong", "name": "重复编码"}, 409, "carrier_taken"),
        ({"code": "x2", "name": "x", "unknown": 1}, 422, "invalid_input"),
        ({"code": "", "name": "x"}, 422, "invalid_input"),
        ({"code": "x3", "name": "x", "sort_order": -1}, 422, "invalid_input"),
    ],
)
def test_bad_input_is_a_clear_4xx(client, body, status, code):
    response = send(client, "post", OP, body, staff("供应链"))
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_missing_carrier_is_404(client):
    headers = staff("供应链")
    assert send(client, "patch", f"{OP}/987654", {"name": "x"}, headers).json()["code"] == "carrier_not_found"
    assert send(client, "post", f"{OP}/987654/deactivate", {}, headers).status_code == 404


@pytest.mark.parametrize("group", ["运营", "财务", "客服"])
def test_other_groups_may_not_change_carriers(client, group):
    headers = staff(group)
    assert send(client, "post", OP, {"code": "x", "name": "x"}, headers).status_code == 403
    zto = Carrier.objects.get(code="zhongtong")
    assert send(client, "post", f"{OP}/{zto.pk}/deactivate", {}, headers).status_code == 403
    assert Carrier.objects.get(code="zhongtong").is_active
