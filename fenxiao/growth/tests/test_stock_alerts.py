"""安全库存预警: the 供应链 staff hear once per fall below the safety stock, again only after the
stock went back up and fell once more; other staff and inactive users hear nothing."""

import pytest
from django.contrib.auth.models import Group

from fenxiao.growth.models import Notification, SafetyStockAlert
from fenxiao.growth.services.stock_alerts import notify_recall, safety_stock_alerts
from fenxiao.inventory.services import adjust_stock, receive_stock, reserve, set_safety_stock
from tests.factories import SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supply_staff():
    group, _ = Group.objects.get_or_create(name="供应链")
    members = [StaffFactory(is_superuser=False), StaffFactory(is_superuser=False)]
    for user in members:
        user.groups.add(group)
    gone = StaffFactory(is_superuser=False, is_active=False)
    gone.groups.add(group)
    StaffFactory(is_superuser=False).groups.add(Group.objects.get_or_create(name="财务")[0])
    return members


def alerts():
    return Notification.objects.filter(kind="stock_alert")


def test_once_per_crossing(supply_staff):
    sku = SkuFactory(stock=10)
    set_safety_stock(sku_id=sku.pk, quantity=5)
    assert safety_stock_alerts()["stock_alerts_sent"] == 0  # 10 free, above 5

    reserve(reference="order:1", items=[(sku.pk, 6)])  # 4 free
    result = safety_stock_alerts()
    assert (result["stock_alerts_sent"], result["stock_alerts_records"]) == (2, 1)
    assert sorted(alerts().values_list("user_id", flat=True)) == sorted(u.pk for u in supply_staff)
    notice = alerts().first()
    assert "可用 4" in notice.body and "安全库存 5" in notice.body
    assert SafetyStockAlert.objects.get().available == 4

    adjust_stock(sku_id=sku.pk, delta=-1)  # still below (3 free): told already
    assert safety_stock_alerts()["stock_alerts_sent"] == 0
    assert alerts().count() == 2

    receive_stock(sku_id=sku.pk, quantity=10)  # back above
    assert safety_stock_alerts()["stock_alerts_recovered"] == 1
    assert not SafetyStockAlert.objects.exists()

    reserve(reference="order:2", items=[(sku.pk, 12)])  # falls again: told again
    assert safety_stock_alerts()["stock_alerts_records"] == 1
    assert alerts().count() == 4


def test_several_records_in_one_notice_and_records_without_safety_stock_ignored(supply_staff):
    a, b, c = SkuFactory(stock=1), SkuFactory(stock=2), SkuFactory(stock=0)
    set_safety_stock(sku_id=a.pk, quantity=3)
    set_safety_stock(sku_id=b.pk, quantity=3)
    assert safety_stock_alerts()["stock_alerts_records"] == 2
    assert alerts().count() == 2  # one notice per staff user, listing both
    assert safety_stock_alerts() == {"stock_alerts_sent": 0, "stock_alerts_records": 0, "stock_alerts_recovered": 0}
    assert not SafetyStockAlert.objects.filter(stock_record__sku=c).exists()


def test_recall_notice_reaches_operations_staff():
    group, _ = Group.objects.get_or_create(name="运营")
    operator = StaffFactory(is_superuser=False)
    operator.groups.add(group)
    assert notify_recall(batch_number="H1", sku="蜂蜜 500g", orders=3, buyers=2, note="包装破损") == 1
    notice = Notification.objects.get(user=operator)
    assert notice.kind == "batch_recall" and "3 个订单" in notice.body and "2 位买家" in notice.body
