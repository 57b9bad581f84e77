"""佣金对账 in the admin: finance staff see the identity, the row checks and the months; others get
403; a damaged cache or rows that disagree with the ledger are shown, not hidden."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse

from fenxiao.commissions.models import Commission
from fenxiao.commissions.services import pending_account
from tests.factories import OrderFactory, StaffFactory, UserFactory

from .money_flows import count_queries, first_line, pay_out, received, refund, settle, withdraw

pytestmark = pytest.mark.django_db

URL = "admin:commissions_reconciliation"


def staff_with(*perms):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *[Permission.objects.get(content_type__app_label=p.split(".")[0], codename=p.split(".")[1]) for p in perms]
    )
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def finance(client):
    client.force_login(staff_with("commissions.view_commission"))
    return client


@pytest.fixture
def books(distributor, bound_buyer, beauty):
    operator = StaffFactory()
    order = received(OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)]), bound_buyer, operator)
    settle(order)
    withdraw(distributor.pk, 3000, "w:1")
    pay_out(distributor.pk, 3000, "p:1", fee_fen=100)
    refund(bound_buyer, operator, first_line(order), 15000)  # clawed back after payout: a debt
    OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)])
    return distributor


def test_finance_sees_a_balanced_reconciliation(finance, books):
    response = finance.get(reverse(URL))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="reconciliation-ok"' in page and "对账平衡" in page
    for text in ("佣金费用", "团队奖励费用", "分销商欠款", "已打款", "提现手续费收入", "佣金记录与记账", "按月"):
        assert text in page, text
    assert "29.00" in page and "1.00" in page  # paid out net of the fee, and the fee
    assert "cache-differences" not in page


def test_the_changelist_links_to_the_page(finance, books):
    page = finance.get(reverse("admin:commissions_commission_changelist")).content.decode()
    assert reverse(URL) in page


def test_others_are_refused(client, books):
    client.force_login(staff_with("orders.view_order"))
    assert client.get(reverse(URL)).status_code == 403
    client.force_login(UserFactory())  # not staff: sent to the admin login
    assert client.get(reverse(URL)).status_code == 302


def test_a_damaged_cache_and_a_wrong_row_are_shown(finance, books):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance_fen = balance_fen + 7 WHERE code = %s", [pending_account(books.pk)])
    Commission.objects.filter(distributor=books, status=Commission.Status.PENDING).update(amount_fen=4000)
    page = finance.get(reverse(URL)).content.decode()
    assert 'id="reconciliation-broken"' in page
    assert 'id="cache-differences"' in page and "不成立" in page
    assert 'class="errors" id="check-accrued"' in page and 'class="errors" id="check-pending"' in page


def test_the_page_takes_the_same_queries_for_small_and_larger_books(finance, books, bound_buyer, beauty):
    url = reverse(URL)
    small = count_queries(finance.get, url)
    for _ in range(3):
        OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)])
    assert count_queries(finance.get, url) == small
