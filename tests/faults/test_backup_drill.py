"""The backup and restore drill on real money: after orders, a settlement and a refund that claws
back, the dump restored into a new database passes the ledger check and the reconciliation with the
same figures as the source."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fenxiao.orders import services as orders
from fenxiao.orders.models import Order, Shipment
from tests.factories import ADDRESS, StaffFactory

from . import drill
from .test_kill_drills import shop  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump / pg_restore: PostgreSQL only")


def test_a_restored_backup_passes_the_ledger_check_and_reconciles_like_the_source(shop, tmp_path):  # noqa: F811
    operator = StaffFactory(is_superuser=True)
    completed_at = timezone.now() - timedelta(days=10)
    for quantity in (1, 2):
        order = orders.place_order(user=shop.buyer, items=[(shop.serum.pk, quantity)], address=dict(ADDRESS))
        orders.pay_with_dev_provider(user=shop.buyer, order_id=order.pk)
        orders.ship_order(order_id=order.pk, actor=operator, tracking_company="SF", tracking_number=f"SF{order.pk}")
        orders.confirm_receipt(order_id=order.pk, user=shop.buyer)
        Order.objects.filter(pk=order.pk).update(received_at=completed_at - timedelta(days=8))
        Shipment.objects.filter(order_id=order.pk).update(received_at=completed_at - timedelta(days=8))
        orders.complete_orders(now=completed_at)
    drill.finish(drill.manage("run_settlement"))
    orders.place_order(user=shop.buyer, items=[(shop.serum.pk, 1)], address=dict(ADDRESS))  # one left unpaid

    dump = tmp_path / "fenxiao.dump"
    done = subprocess.run(
        [sys.executable, "manage.py", "backup_drill", "--dump", str(dump)],
        cwd=drill.ROOT,
        env=drill.child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "backup drill passed" in done.stdout
    assert "reconciliation ok on both" in done.stdout
    assert dump.stat().st_size > 0
    # the restored copy was dropped again
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s", [connection.settings_dict["NAME"] + "_restore_%"]
        )
        assert cursor.fetchone()[0] == 0
