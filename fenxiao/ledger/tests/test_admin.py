"""The ledger admin shows accounts and transactions with their entries, and changes nothing."""

import pytest
from django.urls import reverse

from fenxiao.ledger.models import Account, Transaction
from tests.factories import StaffFactory

from .conftest import PENDING, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.mark.parametrize("model", [Account, Transaction])
def test_pages_render_read_only(operator_client, accounts, model):
    fund(PENDING, 12345, "order:1:paid")
    info = (model._meta.app_label, model._meta.model_name)
    response = operator_client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert response.status_code == 200
    obj = model.objects.get(code=PENDING) if model is Account else model.objects.get()
    response = operator_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert "123.45" in response.content.decode()
    assert operator_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403
    assert operator_client.post(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert Transaction.objects.count() == 1
