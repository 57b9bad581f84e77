"""A supplier's shipment exception reaches the 供应链 and 客服 staff as one in-app notice each."""

import pytest
from django.contrib.auth.models import Group

from fenxiao.accounts.services import ensure_staff_groups
from fenxiao.growth.models import Notification
from fenxiao.supply.portal import services as portal
from fenxiao.supply.tests.portal_world import make_supplier, supplier_order, supplier_sku
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reported_exception_notifies_supply_and_service_staff_once_each():
    ensure_staff_groups()
    supply, service, finance = StaffFactory(), StaffFactory(), StaffFactory()
    both = StaffFactory()
    supply.groups.add(Group.objects.get(name="供应链"))
    service.groups.add(Group.objects.get(name="客服"))
    finance.groups.add(Group.objects.get(name="财务"))
    both.groups.add(Group.objects.get(name="供应链"), Group.objects.get(name="客服"))
    supplier = make_supplier()
    _order, shipment = supplier_order(supplier, supplier_sku(supplier))

    exception = portal.report_exception(
        supplier=supplier, shipment_id=shipment.pk, kind="out_of_stock", note="仓库缺货", actor=supplier.user
    )

    notices = Notification.objects.filter(kind=Notification.Kind.SHIPMENT_EXCEPTION)
    assert sorted(notices.values_list("user_id", flat=True)) == sorted([supply.pk, service.pk, both.pk])
    notice = notices.first()
    assert shipment.order.number in notice.body and "仓库缺货" in notice.body
    assert notice.url.endswith(f"/supply/shipmentexception/{exception.pk}/change/")
