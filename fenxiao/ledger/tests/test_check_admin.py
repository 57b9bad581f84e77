"""账本核对 in the admin: finance staff who may view accounts see "账平" or every violation, and how
long the check took; other staff get 403."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse

from tests.factories import UserFactory

from .conftest import PENDING, WALLET, fund

pytestmark = pytest.mark.django_db

URL = "admin:ledger_check"


def staff_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="ledger", codename__in=codenames))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def finance(client):
    client.force_login(staff_with("view_account"))
    return client


@pytest.fixture
def ledger(accounts):
    fund(PENDING, 3000, "order:1:paid")
    fund(WALLET, 1000, "settled:1")
    return accounts


def test_a_sound_ledger_is_balanced(finance, ledger):
    response = finance.get(reverse(URL))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="ledger-balanced"' in page and "账平" in page
    assert 'id="ledger-check-time"' in page and "毫秒" in page
    assert response.context["violation_count"] == 0
    assert response.context["totals"]["debits_fen"] == response.context["totals"]["credits_fen"] == 4000
    assert response.context["debits"] == "¥40.00"  # shown in yuan


def test_a_damaged_cache_is_listed(finance, ledger):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance_fen = balance_fen + 50 WHERE code = %s", [PENDING])
    response = finance.get(reverse(URL))
    page = response.content.decode()
    assert 'id="ledger-unbalanced"' in page and "账平" not in page
    assert "cached_balance_mismatch" in page and PENDING in page
    assert "3050" in page and "3000" in page
    assert response.context["violation_count"] == 1


def test_the_account_list_and_the_app_page_link_to_the_check(finance, ledger):
    assert reverse(URL) in finance.get(reverse("admin:ledger_account_changelist")).content.decode()
    assert reverse(URL) in finance.get(reverse("admin:app_list", args=["ledger"])).content.decode()


def test_staff_without_the_ledger_permission_are_refused(client, ledger):
    client.force_login(staff_with("view_transaction"))
    assert client.get(reverse(URL)).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse(URL)).status_code == 302  # not staff: the admin login
