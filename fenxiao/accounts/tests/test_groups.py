"""The four staff groups exist after migrate, with permissions that fit each role."""

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import STAFF_GROUPS, ensure_staff_groups
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def staff_in(group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return type(user).objects.get(pk=user.pk)  # fresh instance: no cached permissions


def test_staff_groups_exist_after_migrate():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"运营", "财务", "客服", "供应链"} <= names
    for name in STAFF_GROUPS:
        assert Group.objects.get(name=name).permissions.exists(), name


def test_operations_manage_catalog_and_review_distributors():
    user = staff_in("运营")
    assert user.has_perm("catalog.change_product")
    assert user.has_perm("catalog.add_sku")
    assert user.has_perm("distribution.change_distributor")
    assert user.has_perm("distribution.change_distributionsettings")
    assert not user.has_perm("accounts.change_user")


def test_finance_only_reads_catalog():
    user = staff_in("财务")
    assert user.has_perm("catalog.view_product")
    assert user.has_perm("distribution.view_distributor")
    assert not user.has_perm("catalog.change_product")
    assert not user.has_perm("catalog.change_sku")
    assert not user.has_perm("catalog.delete_product")
    assert not user.has_perm("distribution.change_distributionsettings")


def test_service_reads_but_does_not_change():
    user = staff_in("客服")
    assert user.has_perm("accounts.view_user")
    assert user.has_perm("distribution.view_distributor")
    assert not user.has_perm("distribution.change_distributor")
    assert not user.has_perm("catalog.change_sku")


def test_supply_chain_manages_catalog_not_distribution():
    user = staff_in("供应链")
    assert user.has_perm("catalog.change_sku")
    assert user.has_perm("catalog.add_product")
    assert not user.has_perm("catalog.delete_product")
    assert not user.has_perm("distribution.view_distributor")
    assert not user.has_perm("distribution.change_distributionsettings")


def test_ensure_staff_groups_is_idempotent_and_only_adds():
    before = {g.name: g.permissions.count() for g in Group.objects.filter(name__in=STAFF_GROUPS)}
    assert ensure_staff_groups() == before
    finance = Group.objects.get(name="财务")
    finance.permissions.clear()
    ensure_staff_groups()
    assert finance.permissions.count() == before["财务"]
