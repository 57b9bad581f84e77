from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from fenxiao.orders import services
from fenxiao.orders.models import Order


@pytest.mark.django_db
def test_command_runs_the_jobs_and_is_idempotent(buyer, sku, address):
    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("run_order_jobs", stdout=out)
    assert "expired=1" in out.getvalue()
    out = StringIO()
    call_command("run_order_jobs", "expire", stdout=out)
    assert out.getvalue().strip() == "expire=0"
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
