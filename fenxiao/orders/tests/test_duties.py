"""No one moves money alone in after-sales: staff never review or refund their own order, and a refund
above the approval limit (default ¥500) waits for a finance colleague's approval."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import issue_token
from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.common.errors import DomainError
from fenxiao.orders import services
from fenxiao.orders.models import AfterSale
from tests.api_helpers import assert_error
from tests.factories import OrderFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db
A = AfterSale.Status


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def shipped_order(buyer, address, retail_fen=80000):
    sku = SkuFactory(
        retail_fen=retail_fen, suggested_retail_fen=retail_fen, control_fen=retail_fen - 100, cost_fen=1000, stock=10
    )
    return OrderFactory(shipped=True, user=buyer, items=[(sku, 1)], address=address, operator=member_of("供应链"))


def test_a_refund_above_the_limit_waits_for_finance(buyer, address):
    order = shipped_order(buyer, address)
    service = member_of("客服")
    a = services.request_aftersale(user=buyer, line_id=order.lines.get().pk, kind="refund_only", amount_fen=60000, reason="破损")
    a = services.review_aftersale(aftersale_id=a.pk, actor=service, approve=True)
    assert a.status == A.AWAITING_APPROVAL and a.refund_id is None
    request = ApprovalRequest.objects.get(kind="large_refund")
    assert (request.amount_fen, request.proposed_by, request.beneficiaries) == (60000, service, [buyer.pk])
    with pytest.raises(DomainError) as caught:
        approvals.approve(request_id=request.pk, actor=service)  # not finance, and the proposer
    assert caught.value.code == "forbidden"
    approvals.approve(request_id=request.pk, actor=member_of("财务"))
    a.refresh_from_db()
    order.refresh_from_db()
    assert a.status == A.REFUNDED and order.refunded_fen == 60000
    assert list(a.events.values_list("to_status", flat=True)) == [A.REQUESTED, A.AWAITING_APPROVAL, A.REFUNDING, A.REFUNDED]


def test_a_refund_at_the_limit_goes_at_once(buyer, address):
    order = shipped_order(buyer, address)
    a = services.request_aftersale(user=buyer, line_id=order.lines.get().pk, kind="refund_only", amount_fen=50000, reason="破损")
    assert services.review_aftersale(aftersale_id=a.pk, actor=member_of("客服"), approve=True).status == A.REFUNDED
    assert not ApprovalRequest.objects.exists()


def test_the_limit_is_a_setting(buyer, address, settings):
    settings.FENXIAO_REFUND_APPROVAL_FEN = 1000
    order = shipped_order(buyer, address, retail_fen=5000)
    a = services.request_aftersale(user=buyer, line_id=order.lines.get().pk, kind="refund_only", amount_fen=1001, reason="x")
    assert services.review_aftersale(aftersale_id=a.pk, actor=member_of("客服"), approve=True).status == A.AWAITING_APPROVAL


def test_a_rejected_large_refund_closes_the_aftersale(buyer, address):
    order = shipped_order(buyer, address)
    a = services.request_aftersale(user=buyer, line_id=order.lines.get().pk, kind="refund_only", amount_fen=70000, reason="x")
    services.review_aftersale(aftersale_id=a.pk, actor=member_of("客服"), approve=True)
    approvals.reject(request_id=ApprovalRequest.objects.get().pk, actor=member_of("财务"), reason="证据不足")
    a.refresh_from_db()
    order.refresh_from_db()
    assert (a.status, a.reject_reason, order.refunded_fen) == (A.REJECTED, "证据不足", 0)


def test_a_large_operator_refund_needs_a_second_finance_member(buyer, address):
    order = shipped_order(buyer, address)
    maker, checker = member_of("财务"), member_of("财务")
    a = services.operator_refund_line(line_id=order.lines.get().pk, amount_fen=80000, actor=maker, reason="客诉")
    assert a.status == A.AWAITING_APPROVAL
    request = ApprovalRequest.objects.get()
    with pytest.raises(DomainError) as caught:
        approvals.approve(request_id=request.pk, actor=maker)
    assert caught.value.code == "own_proposal"
    approvals.approve(request_id=request.pk, actor=checker)
    a.refresh_from_db()
    assert a.status == A.REFUNDED


def _post(client, user, url, body):
    return client.post(
        url, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {issue_token(user=user)}"}
    )


def test_staff_never_review_or_refund_their_own_order(client, address):
    service = member_of("客服")
    service.groups.add(Group.objects.get(name="财务"), Group.objects.get(name="供应链"))
    service = type(service).objects.get(pk=service.pk)
    order = shipped_order(service, address, retail_fen=10000)
    line = order.lines.get()
    a = services.request_aftersale(user=service, line_id=line.pk, kind="return_refund", amount_fen=5000, quantity=1, reason="x")
    assert_error(_post(client, service, f"/api/v1/operator/aftersales/{a.pk}/approve", {"reason": ""}), 403, "own_object")
    assert_error(_post(client, service, f"/api/v1/operator/aftersales/{a.pk}/reject", {"reason": "不行"}), 403, "own_object")
    assert_error(
        _post(client, service, f"/api/v1/operator/orders/lines/{line.pk}/refund", {"amount_fen": 100, "reason": "x"}),
        403,
        "own_object",
    )
    colleague = member_of("客服")
    services.review_aftersale(aftersale_id=a.pk, actor=colleague, approve=True)
    services.submit_return(aftersale_id=a.pk, user=service, tracking_number="YT1")
    assert_error(_post(client, service, f"/api/v1/operator/aftersales/{a.pk}/receive-return", {}), 403, "own_object")
    a.refresh_from_db()
    assert a.status == A.RETURNED
