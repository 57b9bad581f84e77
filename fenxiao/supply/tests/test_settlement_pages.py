"""The supplier's statement pages: list, detail with lines, confirm; others' statements and non-suppliers refused."""

from __future__ import annotations

import pytest

from fenxiao.supply.models import SupplierStatement
from fenxiao.supply.settlement import services
from tests.factories import UserFactory

from .test_settlement import at, completed_line, make_supplier, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement():
    supplier = make_supplier()
    line = completed_line(supplier, completed_at=at(2026, 11, 10), cost=3000, quantity=2)
    services.issue_statements(now=at(2026, 12, 1, 1, 0))
    refund(line, 5000)
    completed_line(supplier, completed_at=at(2026, 12, 3), cost=1000, quantity=1)
    services.issue_statements(now=at(2027, 1, 1, 1, 0))
    return SupplierStatement.objects.get(period_end=at(2027, 1, 1))


def test_list_and_detail_show_the_lines_at_cost_and_the_deduction(client, statement):
    client.force_login(statement.supplier.user)
    listed = client.get("/supplier/statements/")
    body = listed.content.decode()
    assert listed.status_code == 200 and statement.number in body
    assert client.get("/supplier/statements/?status=issued&page=2").status_code == 200
    page = client.get(f"/supplier/statements/{statement.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "-¥30.00" in body and "¥10.00" in body  # the deduction line and the new line at cost
    assert "-¥20.00" in body  # payable: 1000 − 3000, carried to the next statement
    assert 'id="confirm-statement"' in body


def test_confirm_from_the_page_once(client, statement):
    client.force_login(statement.supplier.user)
    answer = client.post(f"/supplier/statements/{statement.pk}/confirm/")
    assert answer.status_code == 302
    statement.refresh_from_db()
    assert statement.status == SupplierStatement.Status.CONFIRMED
    again = client.post(f"/supplier/statements/{statement.pk}/confirm/", follow=True)
    assert "该对账单已确认" in again.content.decode()
    assert 'id="confirm-statement"' not in again.content.decode()


def test_another_supplier_and_non_suppliers_are_refused(client, statement):
    other = make_supplier()
    client.force_login(other.user)
    assert client.get(f"/supplier/statements/{statement.pk}/").status_code == 404
    assert client.post(f"/supplier/statements/{statement.pk}/confirm/").status_code == 404
    assert statement.number not in client.get("/supplier/statements/").content.decode()
    client.force_login(UserFactory())
    assert client.get("/supplier/statements/").status_code == 403
    client.logout()
    assert client.get("/supplier/statements/").status_code == 302  # to the login page
