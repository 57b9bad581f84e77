"""Console: carriers edited with their pattern checked; tracking events and parcels only shown."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from fenxiao.logistics.models import Carrier, Parcel, TrackingEvent
from tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("carriers")]


@pytest.fixture
def operator_client(client):
    client.force_login(StaffFactory())
    return client


def form(**changes):
    data = {
        "code": "kuayue",
        "name": "跨越速运",
        "tracking_url_template": "",
        "number_pattern": r"KY\d{10}",
        "is_active": "on",
        "sort_order": "30",
    }
    data.update(changes)
    return data


def test_carrier_pages_render(operator_client, zto):
    assert operator_client.get(reverse("admin:logistics_carrier_changelist")).status_code == 200
    response = operator_client.get(reverse("admin:logistics_carrier_change", args=[zto.pk]))
    assert response.status_code == 200
    assert "中通快递" in response.content.decode()


def test_a_bad_regex_is_a_form_error(operator_client):
    response = operator_client.post(reverse("admin:logistics_carrier_add"), form(number_pattern="KY(\\d"))
    assert response.status_code == 200
    assert "不是有效的正则表达式" in response.content.decode()
    assert not Carrier.objects.filter(code="kuayue").exists()
    response = operator_client.post(reverse("admin:logistics_carrier_add"), form(tracking_url_template="https://ky.example/"))
    assert "{number}" in response.content.decode()
    response = operator_client.post(reverse("admin:logistics_carrier_add"), form())
    assert response.status_code == 302
    assert Carrier.objects.get(code="kuayue").number_pattern == r"KY\d{10}"


def test_deactivate_action(operator_client, zto):
    response = operator_client.post(
        reverse("admin:logistics_carrier_changelist"),
        {"action": "deactivate_carriers", "_selected_action": [zto.pk]},
    )
    assert response.status_code == 302
    assert not Carrier.objects.get(pk=zto.pk).is_active


def test_tracking_events_are_read_only_and_found_by_number(operator_client, zto):
    event = TrackingEvent.objects.create(
        carrier=zto,
        tracking_number="78912345678901",
        occurred_at=datetime(2026, 12, 3, 7, 37, tzinfo=UTC),
        state=TrackingEvent.State.DELIVERED,
        description="已签收",
    )
    TrackingEvent.objects.create(
        carrier=zto, tracking_number="78900000000000", occurred_at=event.occurred_at, description="另一个包裹"
    )
    Parcel.objects.create(carrier=zto, number="78912345678901")
    response = operator_client.get(reverse("admin:logistics_trackingevent_changelist"), {"q": "78912345678901"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "已签收" in page and "另一个包裹" not in page
    assert operator_client.get(reverse("admin:logistics_trackingevent_change", args=[event.pk])).status_code == 200
    assert operator_client.get(reverse("admin:logistics_trackingevent_add")).status_code == 403
    assert operator_client.get(reverse("admin:logistics_parcel_changelist"), {"q": "78912345678901"}).status_code == 200
