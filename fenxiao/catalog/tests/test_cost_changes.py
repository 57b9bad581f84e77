"""Cost prices that change at a date: scheduled in the future only, applied by the job when due (the
latest due change per SKU wins, twice changes nothing more), never changing orders already placed;
a supplier schedules only for the SKUs it fulfils."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fenxiao.catalog.costs import apply_cost_changes, cancel_cost_change, schedule_cost_change
from fenxiao.catalog.errors import CatalogError
from fenxiao.catalog.models import Sku, SkuCostChange
from fenxiao.jobs.schedule import job_named
from fenxiao.orders.models import OrderLine
from fenxiao.suppliers import services as suppliers
from tests.factories import OrderFactory, ProductFactory, SkuFactory, StaffFactory, UserFactory, clock

pytestmark = pytest.mark.django_db
CS = SkuCostChange.Status


@pytest.fixture
def operator():
    return StaffFactory()


def a_supplier(name):
    return suppliers.create_supplier(name=name, user=UserFactory())


def test_a_change_in_the_past_or_now_is_refused(operator):
    sku = SkuFactory(cost_fen=5000)
    for when in (timezone.now() - timedelta(minutes=1), timezone.now()):
        with pytest.raises(CatalogError) as exc:
            schedule_cost_change(sku.pk, 4000, when, operator)
        assert (exc.value.status, exc.value.code) == (422, "cost_change_in_past")
    for cost in (-1, 1.5, True, "4000"):
        with pytest.raises(CatalogError) as exc:
            schedule_cost_change(sku.pk, cost, timezone.now() + timedelta(days=1), operator)
        assert exc.value.status == 422
    with pytest.raises(CatalogError) as exc:
        schedule_cost_change(987654, 4000, timezone.now() + timedelta(days=1), operator)
    assert (exc.value.status, exc.value.code) == (404, "sku_not_found")
    assert not SkuCostChange.objects.exists()


def test_the_job_applies_the_change_at_its_date_and_orders_placed_keep_their_cost(operator):
    sku = SkuFactory(cost_fen=5000, stock=10)
    start = timezone.now()
    change = schedule_cost_change(sku.pk, 4200, start + timedelta(days=2), operator)
    assert (change.status, change.requested_by) == (CS.SCHEDULED, operator)
    old = OrderFactory(items=[(sku, 1)], paid=True)

    assert apply_cost_changes(now=start + timedelta(days=1)) == {"cost_changes_applied": 0, "cost_change_skus": 0}
    assert Sku.objects.get(pk=sku.pk).cost_fen == 5000

    assert apply_cost_changes(now=start + timedelta(days=2)) == {"cost_changes_applied": 1, "cost_change_skus": 1}
    assert Sku.objects.get(pk=sku.pk).cost_fen == 4200
    change.refresh_from_db()
    assert (change.status, change.previous_cost_fen, change.applied_at) == (CS.APPLIED, 5000, start + timedelta(days=2))
    assert apply_cost_changes(now=start + timedelta(days=3)) == {"cost_changes_applied": 0, "cost_change_skus": 0}

    assert OrderLine.objects.get(order=old).unit_cost_fen == 5000  # placed before: keeps its cost
    with clock(start + timedelta(days=2, hours=1)):
        new = OrderFactory(items=[(sku, 1)], paid=True)
    assert OrderLine.objects.get(order=new).unit_cost_fen == 4200


def test_the_latest_due_change_wins_and_a_later_one_waits(operator):
    sku = SkuFactory(cost_fen=5000)
    now = timezone.now()
    first = schedule_cost_change(sku.pk, 4800, now + timedelta(hours=1), operator)
    second = schedule_cost_change(sku.pk, 4600, now + timedelta(hours=2), operator)
    later = schedule_cost_change(sku.pk, 4400, now + timedelta(days=5), operator)
    assert apply_cost_changes(now=now + timedelta(hours=3)) == {"cost_changes_applied": 2, "cost_change_skus": 1}
    assert Sku.objects.get(pk=sku.pk).cost_fen == 4600
    statuses = dict(SkuCostChange.objects.values_list("pk", "status"))
    assert statuses == {first.pk: CS.APPLIED, second.pk: CS.APPLIED, later.pk: CS.SCHEDULED}


def test_a_cancelled_change_never_applies_and_an_applied_one_cannot_be_cancelled(operator):
    sku = SkuFactory(cost_fen=5000)
    now = timezone.now()
    change = schedule_cost_change(sku.pk, 100, now + timedelta(hours=1), operator)
    assert cancel_cost_change(change.pk, actor=operator).status == CS.CANCELLED
    with pytest.raises(CatalogError) as exc:
        cancel_cost_change(change.pk, actor=operator)
    assert (exc.value.status, exc.value.code) == (409, "invalid_cost_change")
    apply_cost_changes(now=now + timedelta(hours=2))
    assert Sku.objects.get(pk=sku.pk).cost_fen == 5000


def test_a_supplier_schedules_only_for_the_skus_it_fulfils():
    mine, theirs = a_supplier("自家供应商"), a_supplier("别家供应商")
    own_sku = SkuFactory(product=ProductFactory(supplier=mine))
    their_sku = SkuFactory(product=ProductFactory(supplier=theirs))
    routed_away = SkuFactory(product=ProductFactory(supplier=mine), supplier=theirs)
    platform_sku = SkuFactory()
    when = timezone.now() + timedelta(days=1)
    change = schedule_cost_change(own_sku.pk, 3000, when, mine.user, supplier=mine)
    assert change.supplier == mine
    for sku in (their_sku, routed_away, platform_sku):
        with pytest.raises(CatalogError) as exc:
            schedule_cost_change(sku.pk, 3000, when, mine.user, supplier=mine)
        assert (exc.value.status, exc.value.code) == (404, "sku_not_found")
    other = schedule_cost_change(their_sku.pk, 3000, when, theirs.user, supplier=theirs)
    with pytest.raises(CatalogError) as exc:
        cancel_cost_change(other.pk, actor=mine.user, supplier=mine)
    assert exc.value.status == 404


def test_the_job_is_scheduled_and_has_a_command(operator, capsys):
    assert job_named("catalog.cost_changes").task.func.__name__ == "apply_cost_changes"
    sku = SkuFactory(cost_fen=5000)
    now = timezone.now()
    schedule_cost_change(sku.pk, 4500, now + timedelta(seconds=30), operator)
    with clock(now + timedelta(minutes=1)):
        call_command("apply_cost_changes")
    assert "生效 1 条成本价调整" in capsys.readouterr().out
    assert Sku.objects.get(pk=sku.pk).cost_fen == 4500


def test_the_console_lists_changes_and_cancels_a_scheduled_one(client, operator):
    sku = SkuFactory(cost_fen=5000)
    change = schedule_cost_change(sku.pk, 4000, timezone.now() + timedelta(days=1), operator)
    client.force_login(operator)
    url = reverse("admin:catalog_skucostchange_changelist")
    assert "¥40.00" in client.get(url).content.decode()
    client.post(url, {"action": "cancel_changes", "_selected_action": [change.pk]})
    assert SkuCostChange.objects.get(pk=change.pk).status == CS.CANCELLED
