"""refresh_tracking: the provider's steps stored once, the parcel's last asking and signed-for time kept."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from fenxiao.logistics import selectors, services
from fenxiao.logistics.errors import LogisticsError
from fenxiao.logistics.models import Parcel, TrackingEvent
from fenxiao.logistics.providers import ProviderCallInTransaction

from .test_providers import ROWS

NUMBER = "78912345678901"


@pytest.mark.django_db
def test_refresh_stores_each_step_once(fake_kuaidi100, zto):
    fake_kuaidi100.add("zhongtong", NUMBER, ROWS[1:], state="5")
    now = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    events = services.refresh_tracking(zto, NUMBER, "13800005678", now=now)
    assert [e.state for e in events] == ["delivering", "in_transit", "picked_up"]
    assert fake_kuaidi100.accepted()[0]["param"]["phone"] == "5678"
    parcel = Parcel.objects.get(carrier=zto, number=NUMBER)
    assert (parcel.last_polled_at, parcel.delivered_at, parcel.last_error) == (now, None, "")

    fake_kuaidi100.add("zhongtong", NUMBER, ROWS, state="3")  # the next asking: one more step
    events = services.refresh_tracking(zto, NUMBER, now=now + timedelta(hours=2))
    assert [e.state for e in events] == ["delivered", "delivering", "in_transit", "picked_up"]
    services.refresh_tracking(zto, NUMBER, now=now + timedelta(hours=3))
    assert TrackingEvent.objects.filter(tracking_number=NUMBER).count() == 4
    assert selectors.events_for(zto.pk, NUMBER) == events
    delivered = datetime(2026, 12, 3, 7, 37, tzinfo=UTC)
    assert selectors.delivered_at(zto.pk, NUMBER) == delivered
    assert Parcel.objects.get(carrier=zto, number=NUMBER).delivered_at == delivered


@pytest.mark.django_db
def test_a_failure_keeps_the_stored_steps_and_the_reason(fake_kuaidi100, zto):
    fake_kuaidi100.add("zhongtong", NUMBER, ROWS[1:], state="5")
    services.refresh_tracking(zto, NUMBER)
    fake_kuaidi100.refuse_with = ("502", "并发过高")
    with pytest.raises(LogisticsError) as caught:
        services.refresh_tracking(zto, NUMBER)
    assert (caught.value.code, caught.value.status) == ("tracking_unavailable", 424)
    assert Parcel.objects.get(carrier=zto, number=NUMBER).last_error == "502"
    assert len(selectors.events_for(zto.pk, NUMBER)) == 3


@pytest.mark.django_db
def test_without_a_provider_refresh_is_unavailable(settings, zto):
    settings.FENXIAO_TRACKING_PROVIDER = ""
    with pytest.raises(LogisticsError) as caught:
        services.refresh_tracking(zto, NUMBER)
    assert caught.value.detail == {"provider_code": "not_configured"}


@pytest.mark.django_db
def test_dev_provider_twice_stores_no_duplicates(dev_tracking, zto):
    shipped = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    later = shipped + timedelta(days=3)
    first = services.refresh_tracking(zto, NUMBER, shipped_at=shipped, now=later)
    second = services.refresh_tracking(zto, NUMBER, now=later + timedelta(hours=1))  # shipped time remembered
    assert first == second and len(first) == 5
    assert TrackingEvent.objects.filter(tracking_number=NUMBER).count() == 5
    assert Parcel.objects.get(number=NUMBER).shipped_at == shipped


@pytest.mark.django_db(transaction=True)
def test_refresh_refuses_to_run_inside_a_transaction(fake_kuaidi100, zto):
    with pytest.raises(ProviderCallInTransaction), transaction.atomic():
        services.refresh_tracking(zto, NUMBER)
    assert fake_kuaidi100.requests == []


@pytest.mark.django_db
def test_claims_are_taken_once_per_interval(zto, sf, settings):
    settings.FENXIAO_TRACKING_POLL_MINUTES = 60
    now = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    pairs = [(zto.pk, NUMBER), (sf.pk, "SF1234567890123"), (zto.pk, NUMBER)]
    assert services.claim_parcels(pairs, now=now) == {(zto.pk, NUMBER), (sf.pk, "SF1234567890123")}
    assert services.claim_parcels(pairs, now=now + timedelta(minutes=30)) == set()
    assert services.claim_parcels(pairs, now=now + timedelta(minutes=61)) == {(zto.pk, NUMBER), (sf.pk, "SF1234567890123")}


def run_in_threads(count: int, work) -> list:
    """work(i) in `count` threads released together; each closes its own connection."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # the test looks at it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_and_claims_store_once(fake_kuaidi100, zto):
    fake_kuaidi100.add("zhongtong", NUMBER, ROWS, state="3")
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    results = run_in_threads(4, lambda i: len(services.refresh_tracking(zto, NUMBER, now=now)))
    assert results == [4, 4, 4, 4]
    assert TrackingEvent.objects.filter(tracking_number=NUMBER).count() == 4
    assert Parcel.objects.filter(number=NUMBER).count() == 1

    pairs = [(zto.pk, f"7891234567{i:04d}") for i in range(10)]
    claims = run_in_threads(4, lambda i: services.claim_parcels(pairs, now=now))
    assert sum(len(c) for c in claims) == 10  # every parcel claimed by exactly one run
    assert set().union(*claims) == set(pairs)
