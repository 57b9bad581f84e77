"""Polling shipped parcels: the journey fetched at most once per interval, the signed-for time set
once on the shipment (the automatic receipt's clock), one failing parcel leaving the others alone."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from fenxiao.logistics.models import Carrier, Parcel, TrackingEvent
from fenxiao.logistics.tests import conftest as logistics_fixtures
from fenxiao.orders.models import Order, Shipment
from fenxiao.orders.services import tracking
from tests.factories import OrderRecordFactory

# the logistics tests' fixtures: the seeded carriers and the fake 快递100
carriers, fake_kuaidi100, sf, zto = (
    logistics_fixtures.carriers,
    logistics_fixtures.fake_kuaidi100,
    logistics_fixtures.sf,
    logistics_fixtures.zto,
)

SHIPPED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DAY_3 = SHIPPED + timedelta(days=3)
ROWS = [
    {"time": "2026-12-03 15:37:00", "context": "【上海市】已签收", "statusCode": "301"},
    {"time": "2026-12-01 18:05:00", "context": "【杭州市】快件已揽收", "statusCode": "1"},
]
IN_TRANSIT = [{"time": "2026-12-01 18:05:00", "context": "【杭州市】快件已揽收", "statusCode": "1"}]


def shipment(carrier, number, *, status=Shipment.Status.SHIPPED, shipped_at=SHIPPED, **fields):
    order = OrderRecordFactory(status=Order.Status.SHIPPED, completed_at=None, receiver_phone="13800005678")
    values = {
        "status": status,
        "carrier": carrier,
        "tracking_company": carrier.name if carrier else "",
        "tracking_number": number,
        "shipped_at": shipped_at,
        **fields,
    }
    row, _created = Shipment.objects.update_or_create(order=order, route="main", defaults=values)
    return row


@pytest.mark.django_db
def test_poll_sets_delivered_at_once(fake_kuaidi100, zto):
    fake_kuaidi100.add("zhongtong", "78912345678901", ROWS, state="3")
    fake_kuaidi100.add("zhongtong", "78912345670000", IN_TRANSIT, state="1")
    delivered = shipment(zto, "78912345678901")
    moving = shipment(zto, "78912345670000")
    assert tracking.poll_tracking(now=DAY_3) == {"tracking_polled": 2, "tracking_failed": 0, "tracking_delivered": 1}
    delivered.refresh_from_db()
    moving.refresh_from_db()
    assert delivered.delivered_at == datetime(2026, 12, 3, 7, 37, tzinfo=UTC)
    assert moving.delivered_at is None
    assert fake_kuaidi100.accepted()[0]["param"]["phone"] == "5678"

    # A later report of another signing never moves the time; a delivered shipment is not asked again.
    fake_kuaidi100.add("zhongtong", "78912345678901", [{"time": "2026-12-04 10:00:00", "context": "再次签收", "statusCode": "3"}])
    asked = len(fake_kuaidi100.requests)
    counts = tracking.poll_tracking(now=DAY_3 + timedelta(hours=2))
    assert counts == {"tracking_polled": 1, "tracking_failed": 0, "tracking_delivered": 0}
    assert len(fake_kuaidi100.requests) == asked + 1  # only the parcel still moving
    delivered.refresh_from_db()
    assert delivered.delivered_at == datetime(2026, 12, 3, 7, 37, tzinfo=UTC)
    assert tracking.mark_delivered(delivered.pk, DAY_3) is False


@pytest.mark.django_db
def test_recently_polled_parcels_are_skipped(fake_kuaidi100, zto, settings):
    settings.FENXIAO_TRACKING_POLL_MINUTES = 60
    fake_kuaidi100.add("zhongtong", "78912345670000", IN_TRANSIT, state="1")
    shipment(zto, "78912345670000")
    assert tracking.poll_tracking(now=DAY_3)["tracking_polled"] == 1
    assert tracking.poll_tracking(now=DAY_3 + timedelta(minutes=59))["tracking_polled"] == 0
    assert len(fake_kuaidi100.requests) == 1
    assert tracking.poll_tracking(now=DAY_3 + timedelta(minutes=61))["tracking_polled"] == 1
    assert TrackingEvent.objects.filter(tracking_number="78912345670000").count() == 1


@pytest.mark.django_db
def test_only_shipped_shipments_with_a_carrier_and_number_are_polled(fake_kuaidi100, zto):
    shipment(zto, "78912345670001", status=Shipment.Status.TO_SHIP, shipped_at=None)
    shipment(zto, "78912345670002", status=Shipment.Status.RECEIVED)
    shipment(None, "78912345670003")
    shipment(zto, "")
    shipment(zto, "78912345670004", delivered_at=SHIPPED + timedelta(days=2))
    due = shipment(zto, "78912345670005")
    assert [s.pk for s in tracking.shipments_to_poll(DAY_3)] == [due.pk]


@pytest.mark.django_db
def test_one_failing_parcel_does_not_stop_the_others(fake_kuaidi100, zto, sf):
    fake_kuaidi100.add("zhongtong", "78912345678901", ROWS, state="3")
    fake_kuaidi100.add("shunfeng", "SF1234567890123", ROWS, state="3")
    # 顺丰 needs the receiver's phone tail: this order has none, so the provider refuses it (408).
    failing = shipment(sf, "SF1234567890123", shipped_at=SHIPPED - timedelta(hours=1))
    Order.objects.filter(pk=failing.order_id).update(receiver_phone="")
    fine = shipment(zto, "78912345678901")
    counts = tracking.poll_tracking(now=DAY_3)
    assert counts == {"tracking_polled": 1, "tracking_failed": 1, "tracking_delivered": 1}
    fine.refresh_from_db()
    failing.refresh_from_db()
    assert fine.delivered_at is not None and failing.delivered_at is None
    assert Parcel.objects.get(number="SF1234567890123").last_error == "408"


@pytest.mark.django_db
def test_limit_takes_the_never_asked_then_the_oldest(fake_kuaidi100, zto):
    old = shipment(zto, "78912345670010", shipped_at=SHIPPED - timedelta(days=1))
    new = shipment(zto, "78912345670011")
    assert [s.pk for s in tracking.shipments_to_poll(DAY_3, limit=1)] == [old.pk]
    tracking.poll_tracking(now=DAY_3, limit=1)
    assert [s.pk for s in tracking.shipments_to_poll(DAY_3 + timedelta(hours=2), limit=1)] == [new.pk]


@pytest.mark.django_db
def test_without_a_provider_nothing_is_asked(settings, zto):
    settings.FENXIAO_TRACKING_PROVIDER = ""
    shipment(zto, "78912345670000")
    assert tracking.poll_tracking(now=DAY_3) == {"tracking_polled": 0, "tracking_failed": 0, "tracking_delivered": 0}
    assert not Parcel.objects.exists()


@pytest.mark.django_db
def test_dev_provider_delivers_about_two_days_after_shipping(settings, zto):
    settings.FENXIAO_TRACKING_PROVIDER = "dev"
    row = shipment(zto, "78912345670000")
    assert tracking.poll_tracking(now=SHIPPED + timedelta(hours=20))["tracking_delivered"] == 0
    assert tracking.poll_tracking(now=SHIPPED + timedelta(days=3))["tracking_delivered"] == 1
    row.refresh_from_db()
    assert timedelta(hours=44) <= row.delivered_at - SHIPPED <= timedelta(hours=50)


@pytest.mark.django_db
def test_the_command_runs_the_job(settings, zto):
    settings.FENXIAO_TRACKING_PROVIDER = "dev"
    shipment(zto, "78912345670000", shipped_at=datetime.now(UTC) - timedelta(days=3))
    out = StringIO()
    call_command("poll_tracking", stdout=out)
    assert out.getvalue().strip() == "tracking_polled=1 tracking_failed=0 tracking_delivered=1"
    out = StringIO()
    call_command("poll_tracking", stdout=out)
    assert out.getvalue().strip() == "tracking_polled=0 tracking_failed=0 tracking_delivered=0"
    assert Carrier.objects.filter(code="zhongtong").exists()


@pytest.mark.django_db
def test_journey_of_a_shipment(settings, zto):
    settings.FENXIAO_TRACKING_PROVIDER = "dev"
    row = shipment(zto, "78912345670000")
    assert tracking.journey(row) == []
    tracking.poll_tracking(now=DAY_3)
    assert [e.state for e in tracking.journey(row)] == ["delivered", "delivering", "in_transit", "in_transit", "picked_up"]
    assert tracking.journey(shipment(None, "")) == []
