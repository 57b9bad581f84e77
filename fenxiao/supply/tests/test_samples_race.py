"""Requests of one distributor at the same moment cannot together pass its monthly quota (its row is
locked while the quota is checked). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from fenxiao.addresses import services as addresses
from fenxiao.common.errors import DomainError
from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import SAMPLES_LOCATION
from fenxiao.supply.models import SampleQuota, SampleRequest
from fenxiao.supply.samples import services
from tests.factories import DistributorFactory, LevelFactory, SkuFactory

BOOK = {
    "receiver": "王小明",
    "phone": "13812345678",
    "province_code": "33",
    "city_code": "3301",
    "district_code": "330106",
    "detail": "文三路 100 号 3 幢 501",
}
THREADS = 8
QUOTA = 5


@pytest.mark.django_db(transaction=True)
def test_requests_at_once_stay_within_the_quota():
    level = LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500)
    SampleQuota.objects.create(level=level, units_per_month=QUOTA)
    distributor = DistributorFactory(level=level)
    address = addresses.add_address(user=distributor.user, data=dict(BOOK))
    sku = SkuFactory(stock=10)
    inventory.receive_stock(sku_id=sku.pk, quantity=10, location=SAMPLES_LOCATION)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def ask():
        try:
            barrier.wait(30)
            try:
                services.request_sample(distributor=distributor, sku_id=sku.pk, quantity=2, address_id=address.pk)
                result = "ok"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert len(outcomes) == THREADS
    assert outcomes.count("ok") == QUOTA // 2  # 2 + 2 fit in 5; a third 2 does not
    assert set(outcomes) == {"ok", "sample_quota_exceeded"}
    assert sum(SampleRequest.objects.values_list("quantity", flat=True)) == 4
