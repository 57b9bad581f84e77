"""Two runs of the cost change job at once apply each due change once. Runs on SQLite and PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fenxiao.catalog.costs import apply_cost_changes, schedule_cost_change
from fenxiao.catalog.models import Sku, SkuCostChange
from tests.factories import SkuFactory, StaffFactory

RUNS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_apply_each_change_once():
    operator = StaffFactory()
    now = timezone.now()
    skus = [SkuFactory(cost_fen=5000) for _ in range(3)]
    for n, sku in enumerate(skus):
        schedule_cost_change(sku.pk, 4000 + n, now + timedelta(minutes=1), operator)
        schedule_cost_change(sku.pk, 3000 + n, now + timedelta(minutes=2), operator)
    barrier = threading.Barrier(RUNS)
    applied: list[int] = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(30)
            result = apply_cost_changes(now=now + timedelta(minutes=5))
            with lock:
                applied.append(result["cost_changes_applied"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sum(applied) == 6 and len(applied) == RUNS
    assert sorted(Sku.objects.filter(pk__in=[s.pk for s in skus]).values_list("cost_fen", flat=True)) == [3000, 3001, 3002]
    assert not SkuCostChange.objects.filter(status=SkuCostChange.Status.SCHEDULED).exists()
