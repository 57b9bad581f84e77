"""The payments admin shows everything and changes nothing."""

import pytest
from django.contrib import admin
from django.urls import reverse

from fenxiao.payments import services
from fenxiao.payments.models import Notification, Payment, PaymentEvent, Refund
from tests.factories import StaffFactory

from .conftest import TEST_PURPOSE

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def refunded(handler):
    payment = services.create_payment(purpose=TEST_PURPOSE, reference="adm", amount_fen=8800, description="后台")
    services.complete_dev_payment(payment_id=payment.pk)
    services.refund_payment(payment_id=payment.pk, amount_fen=800, reason="部分退款", idempotency_key="adm-1")
    Notification.objects.create(
        provider="wechatpay", outcome=Notification.Outcome.FORGED, headers={"wechatpay-serial": "X"}, body="{}"
    )
    payment.refresh_from_db()
    return payment


@pytest.mark.parametrize("model", [Payment, Refund, Notification])
def test_pages_render_read_only(operator_client, refunded, model):
    info = (model._meta.app_label, model._meta.model_name)
    response = operator_client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert response.status_code == 200
    obj = model.objects.first()
    response = operator_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    model_admin = admin.site._registry[model]
    request = response.wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)


def test_money_fields_cannot_be_posted(operator_client, refunded):
    url = reverse("admin:payments_payment_change", args=[refunded.pk])
    response = operator_client.post(url, {"amount_fen": 1, "refunded_fen": 0, "status": "pending"})
    assert response.status_code == 403
    refunded.refresh_from_db()
    assert (refunded.amount_fen, refunded.refunded_fen, refunded.status) == (8800, 800, Payment.Status.SUCCEEDED)
    assert "amount_fen" in admin.site._registry[Payment].readonly_fields
    assert "refunded_fen" in admin.site._registry[Payment].readonly_fields
    assert PaymentEvent.objects.filter(payment=refunded).count() == 2


def test_payment_page_lists_refunds_and_events(operator_client, refunded):
    response = operator_client.get(reverse("admin:payments_payment_change", args=[refunded.pk]))
    content = response.content.decode()
    refund = Refund.objects.get()
    assert refund.out_refund_no in content
    assert "部分退款" in content
