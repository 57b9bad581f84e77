"""An operator's cancel of a paid order refunds it in full; above the refund approval limit (default ¥500)
the order is held until a finance colleague approves. A buyer's own cancel is always immediate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.common.errors import DomainError
from fenxiao.inventory.models import StockRecord
from fenxiao.orders import services
from fenxiao.orders.errors import OrderError
from fenxiao.orders.models import Order
from tests.factories import OrderFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Order.Status
KIND = services.ORDER_CANCEL_APPROVAL


def member_of(*names):
    user = UserFactory(is_staff=True)
    for name in names:
        user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def paid_order(buyer, address, retail_fen=80000):
    sku = SkuFactory(
        retail_fen=retail_fen, suggested_retail_fen=retail_fen, control_fen=retail_fen - 100, cost_fen=1000, stock=10
    )
    return OrderFactory(paid=True, user=buyer, items=[(sku, 1)], address=address), sku


def reserved(sku):
    return StockRecord.objects.get(sku=sku, location="main").reserved


def ship(order, actor):
    return services.ship_order(order_id=order.pk, actor=actor, tracking_company="顺丰", tracking_number="SF1000")


def test_a_large_operator_cancel_holds_the_order_until_finance_approves(buyer, address):
    order, sku = paid_order(buyer, address)
    service = member_of("客服")
    held = services.cancel_order(order_id=order.pk, actor=service, reason="缺货", as_buyer=False)
    order.refresh_from_db()
    assert held.status == order.status == S.PAID and order.refunded_fen == 0 and reserved(sku) == 1
    request = ApprovalRequest.objects.get(kind=KIND)
    assert (request.amount_fen, request.proposed_by, request.beneficiaries) == (80000, service, [buyer.pk])
    assert request.reference == f"order:{order.pk}" and "缺货" in request.summary
    assert "等待财务审批" in order.events.last().note

    # cannot ship while the cancel waits
    with pytest.raises(OrderError) as caught:
        ship(order, member_of("供应链"))
    assert (caught.value.code, caught.value.status) == ("cancel_awaiting_approval", 409)

    # cancelling again does not ask twice
    services.cancel_order(order_id=order.pk, actor=service, as_buyer=False)
    assert ApprovalRequest.objects.filter(kind=KIND).count() == 1

    with pytest.raises(DomainError) as caught:
        approvals.approve(request_id=request.pk, actor=service)  # no decide permission
    assert caught.value.code == "forbidden"
    finance = member_of("财务")
    approvals.approve(request_id=request.pk, actor=finance)
    order.refresh_from_db()
    request.refresh_from_db()
    assert (order.status, order.cancel_reason, order.refunded_fen) == (S.CANCELLED, "缺货", 80000)
    assert reserved(sku) == 0
    assert all(line.refunded_fen == line.paid_fen for line in order.lines.all())
    assert request.status == "approved" and request.result == {"order_id": order.pk, "amount_fen": 80000}
    assert order.events.get(from_status=S.PAID, to_status=S.CANCELLED).actor == finance


def test_the_requester_cannot_approve_their_own_cancel(buyer, address):
    order, _ = paid_order(buyer, address)
    maker = member_of("客服", "财务")
    services.cancel_order(order_id=order.pk, actor=maker, as_buyer=False)
    request = ApprovalRequest.objects.get(kind=KIND)
    with pytest.raises(DomainError) as caught:
        approvals.approve(request_id=request.pk, actor=maker)
    assert caught.value.code == "own_proposal"
    order.refresh_from_db()
    assert order.status == S.PAID


def test_the_buyer_cannot_approve_the_cancel_of_their_own_order(address):
    buyer = member_of("财务")
    order, _ = paid_order(buyer, address)
    services.cancel_order(order_id=order.pk, actor=member_of("客服"), as_buyer=False)
    with pytest.raises(DomainError) as caught:
        approvals.approve(request_id=ApprovalRequest.objects.get(kind=KIND).pk, actor=buyer)
    assert caught.value.code == "own_object"


def test_a_rejected_cancel_leaves_the_order_paid_and_shippable(buyer, address):
    order, sku = paid_order(buyer, address)
    services.cancel_order(order_id=order.pk, actor=member_of("客服"), reason="缺货", as_buyer=False)
    approvals.reject(request_id=ApprovalRequest.objects.get(kind=KIND).pk, actor=member_of("财务"), reason="仓库有货")
    order.refresh_from_db()
    assert (order.status, order.refunded_fen, reserved(sku)) == (S.PAID, 0, 1)
    assert "仓库有货" in order.events.last().note
    ship(order, member_of("供应链"))
    order.refresh_from_db()
    assert order.status == S.SHIPPED


def test_an_operator_cancel_at_the_limit_is_immediate(buyer, address):
    order, sku = paid_order(buyer, address, retail_fen=50000)
    services.cancel_order(order_id=order.pk, actor=member_of("客服"), as_buyer=False)
    order.refresh_from_db()
    assert (order.status, order.refunded_fen, reserved(sku)) == (S.CANCELLED, 50000, 0)
    assert not ApprovalRequest.objects.exists()


def test_the_limit_is_a_setting(buyer, address, settings):
    settings.FENXIAO_REFUND_APPROVAL_FEN = 1000
    order, _ = paid_order(buyer, address, retail_fen=5000)
    assert services.cancel_order(order_id=order.pk, actor=member_of("客服"), as_buyer=False).status == S.PAID
    assert ApprovalRequest.objects.get(kind=KIND).amount_fen == order.paid_fen > 1000


def test_an_unpaid_order_is_cancelled_by_an_operator_at_once(buyer, address):
    sku = SkuFactory(retail_fen=80000, suggested_retail_fen=80000, control_fen=79900, cost_fen=1000, stock=10)
    order = OrderFactory(user=buyer, items=[(sku, 1)], address=address)
    assert services.cancel_order(order_id=order.pk, actor=member_of("客服"), as_buyer=False).status == S.CANCELLED
    assert not ApprovalRequest.objects.exists()


def test_a_buyers_own_large_cancel_is_immediate(buyer, address):
    order, sku = paid_order(buyer, address)
    services.cancel_order(order_id=order.pk, actor=buyer, reason="不想要了")
    order.refresh_from_db()
    assert (order.status, order.refunded_fen, reserved(sku)) == (S.CANCELLED, 80000, 0)
    assert not ApprovalRequest.objects.exists()


def test_the_buyer_cancelling_meanwhile_withdraws_the_request(buyer, address):
    order, _ = paid_order(buyer, address)
    services.cancel_order(order_id=order.pk, actor=member_of("客服"), as_buyer=False)
    services.cancel_order(order_id=order.pk, actor=buyer)
    order.refresh_from_db()
    assert (order.status, order.refunded_fen) == (S.CANCELLED, 80000)
    assert ApprovalRequest.objects.get(kind=KIND).status == "withdrawn"


def test_the_console_action_says_the_cancel_awaits_approval(client, buyer, address):
    large, _ = paid_order(buyer, address)
    small, _ = paid_order(buyer, address, retail_fen=10000)
    client.force_login(member_of("客服"))
    response = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "cancel_orders", "_selected_action": [large.pk, small.pk], "reason": "缺货"},
        follow=True,
    )
    text = [str(m) for m in response.context["messages"]]
    assert any(large.number in m and "财务审批" in m for m in text)
    assert any(small.number in m and "已取消" in m for m in text)
    large.refresh_from_db()
    small.refresh_from_db()
    assert (large.status, small.status) == (S.PAID, S.CANCELLED)


def test_the_contract_declares_the_held_order_refusal(client):
    spec = client.get("/api/openapi.json").json()
    ship_409 = spec["paths"]["/api/v1/operator/orders/{order_id}/ship"]["post"]["responses"]["409"]
    assert "`cancel_awaiting_approval`" in ship_409["description"]
