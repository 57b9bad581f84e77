"""Samples: requests within the monthly quota of the distributor's level (two requests adding up, a new
month), withdrawing, supply chain's approval into the zero-price order from the samples' stock (no
commission), sold out, rejection, one's own request, and the API and pages around them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from fenxiao.accounts.services import ensure_staff_groups, issue_token
from fenxiao.addresses import services as addresses
from fenxiao.commissions.models import Commission
from fenxiao.common.duties import DutyError
from fenxiao.common.errors import DomainError
from fenxiao.common.periods import local_midnight, parse_month
from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import SAMPLES_LOCATION, StockRecord
from fenxiao.orders.models import Order, Shipment
from fenxiao.supply.errors import SupplyError
from fenxiao.supply.models import SampleQuota, SampleRequest, SampleRequestEvent
from fenxiao.supply.samples import selectors, services
from tests.factories import DistributorFactory, LevelFactory, SkuFactory, UserFactory, accrue_commissions, clock

pytestmark = pytest.mark.django_db

BOOK = {
    "receiver": "王小明",
    "phone": "13812345678",
    "province_code": "33",
    "city_code": "3301",
    "district_code": "330106",
    "detail": "文三路 100 号 3 幢 501",
}
R = SampleRequest.Status


@pytest.fixture
def level():
    level = LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500)
    SampleQuota.objects.create(level=level, units_per_month=5)
    return level


@pytest.fixture
def upline(level):
    return DistributorFactory(level=level)


@pytest.fixture
def distributor(level, upline):
    return DistributorFactory(level=level, inviter=upline)


@pytest.fixture
def address(distributor):
    return addresses.add_address(user=distributor.user, data=dict(BOOK))


@pytest.fixture
def sku():
    sku = SkuFactory(cost_fen=3000, retail_fen=9900, stock=100)
    inventory.receive_stock(sku_id=sku.pk, quantity=4, location=SAMPLES_LOCATION)
    return sku


@pytest.fixture
def supply_staff():
    ensure_staff_groups()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="供应链"))
    return user


def ask(distributor, sku, address, quantity=1, reason="门店试用"):
    return services.request_sample(
        distributor=distributor, sku_id=sku.pk, quantity=quantity, address_id=address.pk, reason=reason
    )


# --- quota ---------------------------------------------------------------------------------------------


def test_within_quota_is_recorded_with_the_address(distributor, sku, address):
    r = ask(distributor, sku, address, quantity=3)
    assert r.status == R.REQUESTED and r.quantity == 3
    assert (r.receiver, r.receiver_phone, r.province, r.city, r.district) == (
        "王小明",
        "13812345678",
        "浙江省",
        "杭州市",
        "西湖区",
    )
    assert r.month == selectors.month_of()
    assert selectors.quota_of(distributor).used == 3 and selectors.quota_of(distributor).left == 2
    assert SampleRequestEvent.objects.get(request=r).to_status == R.REQUESTED


def test_two_requests_adding_up_over_the_quota_are_refused(distributor, sku, address):
    ask(distributor, sku, address, quantity=3)
    with pytest.raises(SupplyError) as info:
        ask(distributor, sku, address, quantity=3)
    assert info.value.status == 422 and info.value.code == "sample_quota_exceeded"
    assert info.value.detail["quota"] == 5 and info.value.detail["used"] == 3 and info.value.detail["asked"] == 3
    ask(distributor, sku, address, quantity=2)  # exactly the rest fits


def test_withdrawn_and_rejected_requests_give_their_units_back(distributor, sku, address, supply_staff):
    first = ask(distributor, sku, address, quantity=3)
    second = ask(distributor, sku, address, quantity=2)
    services.withdraw_request(distributor=distributor, request_id=first.pk)
    services.reject_request(request_id=second.pk, actor=supply_staff, reason="暂无此样品")
    assert selectors.quota_of(distributor).used == 0
    ask(distributor, sku, address, quantity=5)


def test_a_new_month_starts_a_new_quota(distributor, sku, address):
    november = local_midnight(parse_month("2026-11")) + timedelta(days=10)
    with clock(november):
        ask(distributor, sku, address, quantity=5)
        with pytest.raises(SupplyError):
            ask(distributor, sku, address, quantity=1)
    with clock(november + timedelta(days=25)):  # December 5th
        assert selectors.quota_of(distributor).used == 0
        assert ask(distributor, sku, address, quantity=5).month == parse_month("2026-12")


def test_a_level_without_quota_may_not_ask(sku):
    other = DistributorFactory(level=LevelFactory(rank=2, name="高级", direct_rate_bp=1000, indirect_rate_bp=500))
    book = addresses.add_address(user=other.user, data=dict(BOOK))
    with pytest.raises(SupplyError) as info:
        ask(other, sku, book)
    assert info.value.detail == {"quota": 0, "used": 0, "asked": 1, "month": selectors.quota_of(other).month_label}


def test_unsellable_sku_someone_elses_address_and_bad_quantity(distributor, sku, address):
    sku.product.is_on_shelf = False
    sku.product.save(update_fields=["is_on_shelf"])
    with pytest.raises(SupplyError) as info:
        ask(distributor, sku, address)
    assert (info.value.status, info.value.code) == (404, "sample_not_sellable")
    sku.product.is_on_shelf = True
    sku.product.save(update_fields=["is_on_shelf"])
    stranger = addresses.add_address(user=UserFactory(), data=dict(BOOK))
    with pytest.raises(DomainError) as info:
        ask(distributor, sku, stranger)
    assert (info.value.status, info.value.code) == (404, "address_not_found")
    with pytest.raises(SupplyError) as info:
        ask(distributor, sku, address, quantity=0)
    assert info.value.code == "invalid_sample_request"


def test_withdraw_only_own_and_only_while_requested(distributor, sku, address, level):
    r = ask(distributor, sku, address)
    other = DistributorFactory(level=level)
    with pytest.raises(SupplyError) as info:
        services.withdraw_request(distributor=other, request_id=r.pk)
    assert info.value.status == 404
    services.withdraw_request(distributor=distributor, request_id=r.pk)
    with pytest.raises(SupplyError) as info:
        services.withdraw_request(distributor=distributor, request_id=r.pk)
    assert info.value.status == 409


# --- review ---------------------------------------------------------------------------------------------


def test_approve_places_the_zero_price_paid_order_from_samples_stock(distributor, sku, address, supply_staff):
    r = ask(distributor, sku, address, quantity=2)
    services.approve_request(request_id=r.pk, actor=supply_staff)
    r.refresh_from_db()
    assert r.status == R.APPROVED and r.decided_at is not None
    order = Order.objects.get(pk=r.order_id)
    assert order.is_sample and not order.pays_commission and order.status == Order.Status.PAID
    assert order.user_id == distributor.user_id and order.total_fen == 0 and order.paid_fen == 0
    assert order.receiver == "王小明" and order.district == "西湖区"
    line = order.lines.get()
    assert (line.sku_id, line.quantity, line.unit_price_fen, line.unit_cost_fen) == (sku.pk, 2, 0, 3000)
    shipment = Shipment.objects.get(order=order)
    assert shipment.route == "main" and shipment.ship_by is not None
    samples = StockRecord.objects.get(sku=sku, location=SAMPLES_LOCATION)
    assert (samples.on_hand, samples.reserved) == (4, 2)
    accrue_commissions()
    assert Commission.objects.count() == 0
    assert selectors.quota_of(distributor).used == 2  # approved units still count


def test_sold_out_keeps_the_request_requested(distributor, sku, address, supply_staff):
    r = ask(distributor, sku, address, quantity=5)  # only 4 sample units
    with pytest.raises(DomainError) as info:
        services.approve_request(request_id=r.pk, actor=supply_staff)
    assert (info.value.status, info.value.code) == (409, "sold_out")
    r.refresh_from_db()
    assert r.status == R.REQUESTED and r.order_id is None
    assert not Order.objects.filter(is_sample=True).exists()


def test_reject_needs_a_reason_and_decides_once(distributor, sku, address, supply_staff):
    r = ask(distributor, sku, address)
    with pytest.raises(SupplyError) as info:
        services.reject_request(request_id=r.pk, actor=supply_staff, reason="  ")
    assert info.value.status == 400
    services.reject_request(request_id=r.pk, actor=supply_staff, reason="样品已停发")
    r.refresh_from_db()
    assert r.status == R.REJECTED and r.reject_reason == "样品已停发"
    with pytest.raises(SupplyError) as info:
        services.approve_request(request_id=r.pk, actor=supply_staff)
    assert info.value.status == 409


def test_staff_never_review_their_own_request(sku, level, supply_staff):
    own = DistributorFactory(level=level, user=supply_staff)
    book = addresses.add_address(user=supply_staff, data=dict(BOOK))
    r = ask(own, sku, book)
    with pytest.raises(DutyError):
        services.approve_request(request_id=r.pk, actor=supply_staff)
    with pytest.raises(DutyError):
        services.reject_request(request_id=r.pk, actor=supply_staff, reason="x")
    r.refresh_from_db()
    assert r.status == R.REQUESTED


def test_monthly_totals_per_distributor(distributor, sku, address, supply_staff, level):
    a = ask(distributor, sku, address, quantity=2)
    ask(distributor, sku, address, quantity=1)
    services.approve_request(request_id=a.pk, actor=supply_staff)
    other = DistributorFactory(level=level)
    ask(other, sku, addresses.add_address(user=other.user, data=dict(BOOK)), quantity=1)
    rows = {r["distributor_id"]: r for r in selectors.monthly_totals(selectors.month_of())}
    assert (rows[distributor.pk]["requests"], rows[distributor.pk]["units"], rows[distributor.pk]["approved_units"]) == (2, 3, 2)
    assert rows[other.pk]["units"] == 1


# --- API ------------------------------------------------------------------------------------------------


def _headers(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def test_api_request_list_withdraw(client, distributor, sku, address):
    h = _headers(distributor.user)
    body = {"sku_id": sku.pk, "quantity": 2, "address_id": address.pk, "reason": "直播展示"}
    created = client.post("/api/v1/distribution/samples", json.dumps(body), content_type="application/json", headers=h)
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    assert created.json()["receiver_phone_masked"] != "13812345678"
    listed = client.get("/api/v1/distribution/samples", headers=h).json()
    assert listed["quota"] == {"month": listed["quota"]["month"], "quota": 5, "used": 2, "left": 3}
    assert [r["id"] for r in listed["requests"]] == [rid]
    over = client.post(
        "/api/v1/distribution/samples", json.dumps({**body, "quantity": 4}), content_type="application/json", headers=h
    )
    assert over.status_code == 422 and over.json()["code"] == "sample_quota_exceeded"
    assert over.json()["detail"]["used"] == 2 and over.json()["detail"]["asked"] == 4
    withdrawn = client.post(f"/api/v1/distribution/samples/{rid}/withdraw", headers=h)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "cancelled"
    assert client.get("/api/v1/distribution/samples/quota", headers=h).json()["used"] == 0


def test_api_operator_approve_reject_and_totals(client, distributor, sku, address, supply_staff):
    a = ask(distributor, sku, address, quantity=1)
    b = ask(distributor, sku, address, quantity=1)
    h = _headers(supply_staff)
    listed = client.get("/api/v1/operator/sample-requests?status=requested", headers=h)
    assert listed.status_code == 200 and {r["id"] for r in listed.json()} == {a.pk, b.pk}
    approved = client.post(
        f"/api/v1/operator/sample-requests/{a.pk}/approve", json.dumps({}), content_type="application/json", headers=h
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved" and approved.json()["order_number"]
    rejected = client.post(
        f"/api/v1/operator/sample-requests/{b.pk}/reject",
        json.dumps({"reason": "重复申请"}),
        content_type="application/json",
        headers=h,
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["reject_reason"] == "重复申请"
    totals = client.get("/api/v1/operator/sample-requests/totals", headers=h).json()
    assert totals["rows"][0]["approved_units"] == 1
    bad = client.get("/api/v1/operator/sample-requests?month=2026-13", headers=h)
    assert bad.status_code == 422
    consumer = client.get("/api/v1/operator/sample-requests", headers=_headers(distributor.user))
    assert consumer.status_code == 403


# --- pages ----------------------------------------------------------------------------------------------


def test_samples_page_shows_quota_form_and_history(client, distributor, sku, address, supply_staff):
    approved = ask(distributor, sku, address, quantity=1)
    services.approve_request(request_id=approved.pk, actor=supply_staff)
    client.force_login(distributor.user)
    page = client.get("/distributor/samples/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="quota-left">4<' in html
    assert sku.product.name in html and Order.objects.get(is_sample=True).number in html
    posted = client.post("/distributor/samples/", {"sku": sku.pk, "quantity": "2", "address": address.pk, "reason": "试用"})
    assert posted.status_code == 302
    assert SampleRequest.objects.filter(distributor=distributor, status=R.REQUESTED, quantity=2).exists()
    over = client.post("/distributor/samples/", {"sku": sku.pk, "quantity": "9", "address": address.pk})
    assert over.status_code == 422 and "超出本月样品额度" in over.content.decode()
    pending = SampleRequest.objects.get(status=R.REQUESTED)
    assert client.post(f"/distributor/samples/{pending.pk}/withdraw/").status_code == 302
    pending.refresh_from_db()
    assert pending.status == R.CANCELLED


def test_samples_page_sends_non_distributors_to_apply(client):
    client.force_login(UserFactory())
    assert client.get("/distributor/samples/").status_code == 302


def test_console_lists_requests_totals_and_quotas(client, distributor, sku, address, supply_staff):
    ask(distributor, sku, address, quantity=2)
    client.force_login(supply_staff)
    listed = client.get("/admin/supply/samplerequest/")
    assert listed.status_code == 200 and distributor.code in listed.content.decode()
    totals = client.get("/admin/supply/samplerequest/totals/")
    assert totals.status_code == 200 and distributor.code in totals.content.decode()
    assert client.get("/admin/supply/samplequota/").status_code == 200


def test_console_approve_action(client, distributor, sku, address, supply_staff):
    r = ask(distributor, sku, address, quantity=1)
    client.force_login(supply_staff)
    response = client.post("/admin/supply/samplerequest/", {"action": "approve", "_selected_action": [r.pk]})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == R.APPROVED
    assert timezone.now() - r.decided_at < timedelta(minutes=1)
