"""Where an activity order shows its activity: the buyer's order page (the activity beside the price
breakdown, the control-price note, 等待成团 while a 拼团 order waits, no cancel button meanwhile), the
order API (activity_kind, activity_id, hold, pays_commission) and the console's order pages (the
fields, the filter by activity, no ship button while held)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fenxiao.accounts.services import issue_token
from fenxiao.orders import services
from fenxiao.orders.models import Order
from fenxiao.orders.services import activities
from fenxiao.promotions import pricing
from tests.factories import ADDRESS, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def serum(db):
    """¥150 list price, ¥120 control price."""
    return SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12000, cost_fen=5000, stock=20)


@pytest.fixture(autouse=True)
def quiet_hooks(monkeypatch):
    """The kinds' own reactions (a group opened on payment …) are not what these pages are about."""
    from fenxiao.orders.services.activities import bargains, flash, groups

    for module in (flash, groups, bargains):
        monkeypatch.setattr(module, "on_paid", lambda order, row: None)
        monkeypatch.setattr(module, "on_ended", lambda order, row, *, was: None)
        monkeypatch.setattr(module, "on_refunded", lambda order, row: None)


def activity_order(
    user, sku, price_fen, *, kind="flash", activity_id=12, label="秒杀价", hold="", pays_commission=True, paid=False
):
    order = services.place_order(
        user=user,
        items=[(sku.pk, 1)],
        address=dict(ADDRESS),
        activity=pricing.ActivityTerms(
            kind=kind, activity_id=activity_id, label=label, unit_prices={sku.pk: price_fen}, pays_commission=pays_commission
        ),
        hold=hold,
    )
    activities.record(order, kind=kind, activity_id=activity_id, quantity=1)
    if paid:
        services.pay_with_dev_provider(user=user, order_id=order.pk)
    return Order.objects.get(pk=order.pk)


def page(client, order) -> str:
    response = client.get(reverse("web:order_detail", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def cancel_form(order) -> str:
    return f'action="{reverse("web:order_cancel", args=[order.pk])}"'


# --- the buyer's order page ----------------------------------------------------------------------


def test_the_order_page_shows_the_activity_and_the_control_price_note(client, buyer, serum):
    order = activity_order(buyer, serum, 9900)  # below the ¥120 control price
    html = page(client, order)
    assert 'id="order-activity"' in html and 'data-kind="flash"' in html
    assert '<span class="app-tag" id="order-activity-kind">秒杀</span>' in html and "秒杀价" in html
    assert 'id="order-control-note"' in html and "平台活动价，不受控价限制" in html
    assert 'data-stage="activity"' in html and "活动价" in html and "-¥51" in html


def test_an_activity_price_at_or_above_the_control_price_has_no_note(client, buyer, serum):
    order = activity_order(buyer, serum, 12000, kind="bargain", label="砍价")
    html = page(client, order)
    assert '<span class="app-tag" id="order-activity-kind">砍价</span>' in html
    assert "平台活动价，不受控价限制" not in html and 'id="order-control-note"' not in html


def test_an_ordinary_order_shows_no_activity(client, buyer, serum):
    order = services.place_order(user=buyer, items=[(serum.pk, 1)], address=dict(ADDRESS))
    html = page(client, order)
    assert 'id="order-activity"' not in html and "等待成团" not in html
    assert cancel_form(order) in html


def test_a_paid_group_order_waits_for_its_group_without_a_cancel_button(client, buyer, serum):
    order = activity_order(buyer, serum, 10500, kind="group", label="3人团", hold=Order.Hold.GROUP, paid=True)
    html = page(client, order)
    assert '<span class="app-tag" id="order-activity-kind">拼团</span>' in html
    assert "等待成团" in html and html.count('id="order-hold"') == 1
    assert cancel_form(order) not in html

    activities.release_hold([order.pk], note="拼团成功")
    html = page(client, order)
    assert "等待成团" not in html and 'id="order-hold"' not in html
    assert cancel_form(order) in html  # paid and no longer waiting: cancel (and refund) as usual


def test_an_unpaid_group_order_can_still_be_cancelled_from_its_page(client, buyer, serum):
    order = activity_order(buyer, serum, 10500, kind="group", label="3人团", hold=Order.Hold.GROUP)
    html = page(client, order)
    assert cancel_form(order) in html and 'id="order-hold"' not in html
    response = client.post(reverse("web:order_cancel", args=[order.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_my_orders_tag_activity_orders_and_show_a_waiting_group(client, buyer, serum):
    held = activity_order(buyer, serum, 10500, kind="group", hold=Order.Hold.GROUP, paid=True)
    plain = services.place_order(user=buyer, items=[(serum.pk, 1)], address=dict(ADDRESS))
    services.pay_with_dev_provider(user=buyer, order_id=plain.pk)
    html = client.get(reverse("web:orders")).content.decode()
    cards = {
        order.pk: html.split(reverse("web:order_detail", args=[order.pk]), 1)[1].split("</header>", 1)[0]
        for order in (held, plain)
    }
    assert '<span class="app-tag app-ocard__activity">拼团</span>' in cards[held.pk] and "等待成团" in cards[held.pk]
    assert "app-ocard__activity" not in cards[plain.pk] and "待发货" in cards[plain.pk]


# --- the API -------------------------------------------------------------------------------------


def test_the_order_api_tells_the_activity(client, serum):
    user = UserFactory()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=user)}"}
    held = activity_order(user, serum, 10500, kind="group", activity_id=3, hold=Order.Hold.GROUP, paid=True)
    free = activity_order(user, serum, 9900, kind="flash", activity_id=8, pays_commission=False)
    plain = services.place_order(user=user, items=[(serum.pk, 1)], address=dict(ADDRESS))

    body = client.get(f"/api/v1/orders/{held.pk}", **auth).json()
    assert (body["activity_kind"], body["activity_id"], body["hold"], body["pays_commission"]) == ("group", 3, "group", True)
    assert body["price_breakdown"]["activity"]["kind"] == "group"
    assert [d["stage"] for d in body["discounts"]] == ["activity"]
    body = client.get(f"/api/v1/orders/{free.pk}", **auth).json()
    assert (body["activity_kind"], body["activity_id"], body["hold"], body["pays_commission"]) == ("flash", 8, "", False)
    body = client.get(f"/api/v1/orders/{plain.pk}", **auth).json()
    assert (body["activity_kind"], body["activity_id"], body["hold"], body["pays_commission"]) == ("", None, "", True)

    listed = {o["id"]: o for o in client.get("/api/v1/orders", **auth).json()}
    assert listed[held.pk]["hold"] == "group" and listed[free.pk]["pays_commission"] is False


def test_the_api_refuses_the_buyer_s_cancel_and_the_operator_s_ship_of_a_held_order(client, serum):
    user = UserFactory()
    order = activity_order(user, serum, 10500, kind="group", activity_id=3, hold=Order.Hold.GROUP, paid=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=user)}"}
    response = client.post(f"/api/v1/orders/{order.pk}/cancel", {}, content_type="application/json", **auth)
    assert response.status_code == 409 and response.json()["code"] == "order_on_hold"
    staff = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=StaffFactory())}"}
    response = client.post(
        f"/api/v1/operator/orders/{order.pk}/ship",
        {"tracking_company": "顺丰速运", "tracking_number": "SF100"},
        content_type="application/json",
        **staff,
    )
    assert response.status_code == 409
    assert set(response.json()) == {"code", "message", "detail"} and response.json()["code"] == "order_on_hold"


# --- the console ---------------------------------------------------------------------------------


@pytest.fixture
def console(client):
    client.force_login(StaffFactory())
    return client


def test_the_console_order_page_shows_the_activity_fields(console, serum):
    order = activity_order(
        UserFactory(), serum, 9900, kind="group", activity_id=77, label="3人团", hold=Order.Hold.GROUP, paid=True
    )
    html = console.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    for label in ("营销活动", "活动编号", "计算佣金", "暂缓"):
        assert label in html, label
    assert "拼团 #77（3人团）" in html and "等待成团" in html
    assert "平台活动价，不受控价限制" in html  # ¥99 is below the ¥120 control price


def test_the_console_filters_orders_by_activity_and_holds_back_the_ship_button(console, serum):
    flash = activity_order(UserFactory(), serum, 9900, kind="flash", activity_id=5, paid=True)
    group = activity_order(UserFactory(), serum, 10500, kind="group", activity_id=6, hold=Order.Hold.GROUP, paid=True)
    plain = services.place_order(user=UserFactory(), items=[(serum.pk, 1)], address=dict(ADDRESS))
    services.pay_with_dev_provider(user=plain.user, order_id=plain.pk)
    url = reverse("admin:orders_order_changelist")

    def numbers(**params) -> set[str]:
        response = console.get(url, params)
        assert response.status_code == 200
        return {o.number for o in response.context["cl"].result_list}

    assert numbers(activity_kind__exact="flash") == {flash.number}
    assert numbers(activity_kind__exact="group") == {group.number}
    assert numbers(hold__exact="group") == {group.number}
    assert numbers() >= {flash.number, group.number, plain.number}

    html = console.get(url).content.decode()
    ship = lambda order: reverse("admin:orders_order_ship", args=[order.pk])  # noqa: E731
    assert ship(flash) in html and ship(plain) in html and ship(group) not in html
