"""Navigation by task: every admin model in exactly one of the seven groups, in the sidebar and on the
home; the header shows the user's staff groups and links to the page listing their permissions."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from fenxiao.console.home.navigation import GROUPS
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_model_lands_in_exactly_one_task_group():
    superuser = StaffFactory()
    groups = admin.site.get_app_list(_request(superuser))
    labels = [group["name"] for group in groups]
    assert labels == [label for _key, label in GROUPS]  # all seven, in order, none by app
    placed = [model["admin_url"] for group in groups for model in group["models"]]
    registered = [reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry]
    assert sorted(placed) == sorted(registered)  # none lost, none twice
    by_group = {group["name"]: {model["object_name"] for model in group["models"]} for group in groups}
    assert {"Order", "AfterSale"} <= by_group["订单"]
    assert {"Withdrawal", "PayoutBatch", "Commission"} <= by_group["财务"]
    assert {"Product", "Sku", "StockRecord"} <= by_group["商品"]


def test_an_app_index_keeps_its_own_models():
    apps = admin.site.get_app_list(_request(StaffFactory()), "orders")
    assert [app["app_label"] for app in apps] == ["orders"]


def test_sidebar_and_home_show_task_groups(client):
    client.force_login(StaffFactory())
    home = client.get(reverse("admin:index")).content.decode()
    assert 'id="task-finance"' in home and 'id="task-orders"' in home
    page = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert 'class="app-task-orders module' in page  # the sidebar groups by task too
    assert 'class="app-orders module' not in page


def test_header_shows_groups_and_my_permissions_page_lists_them(client):
    user = UserFactory(is_staff=True, phone=None, username="finance-1")
    user.groups.add(Group.objects.get(name="财务"))
    client.force_login(user)
    home = client.get(reverse("admin:index")).content.decode()
    assert '<span class="console-group">财务</span>' in home
    url = reverse("console:my_permissions")
    assert f'href="{url}"' in home
    page = client.get(url).content.decode()
    assert "<li data-group>财务</li>" in page
    assert "withdrawals.change_withdrawal" in page
    assert "catalog.change_product" not in page
    # a user outside the group sees neither
    other = UserFactory(is_staff=True, phone=None, username="plain-1")
    client.force_login(other)
    page = client.get(url).content.decode()
    assert "withdrawals.change_withdrawal" not in page and "data-group" not in page


def test_my_permissions_needs_staff(client):
    client.force_login(UserFactory())
    response = client.get(reverse("console:my_permissions"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
