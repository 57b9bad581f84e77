"""The settlement endpoints: read and change the schedule and the margin ceiling, list batches, run
the due batch; finance may, a distributor may not; bad input is a 4xx {code, message, detail}."""

import pytest

from fenxiao.accounts.services import issue_token
from fenxiao.commissions.models import Commission, CommissionSettings, SettlementBatch
from tests.api_helpers import assert_error
from tests.factories import OrderFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/operator/commissions/settlement"


@pytest.fixture
def headers(db):
    return {"Authorization": f"Bearer {issue_token(user=StaffFactory())}"}


def test_read_and_change_the_schedule(client, headers):
    response = client.get(URL, headers=headers)
    assert response.status_code == 200
    assert (response.json()["schedule"], response.json()["t_plus_days"], response.json()["ceiling_bp"]) == ("daily", 3, 5000)
    body = {"schedule": "monthly", "t_plus_days": 0, "month_day": 10, "ceiling_bp": 4000}
    response = client.put(URL, body, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    conf = CommissionSettings.objects.get()
    assert (conf.schedule, conf.t_plus_days, conf.month_day, conf.ceiling_bp) == ("monthly", 0, 10, 4000)
    assert response.json()["due"]["period"]


@pytest.mark.parametrize(
    "body",
    [
        {"schedule": "yearly", "t_plus_days": 3},
        {"schedule": "daily", "t_plus_days": 365},
        {"schedule": "monthly", "t_plus_days": 3, "month_day": 30},
        {"schedule": "daily", "t_plus_days": 3, "ceiling_bp": 20000},
    ],
)
def test_bad_schedules_are_refused_and_nothing_changes(client, headers, body):
    response = client.put(URL, body, content_type="application/json", headers=headers)
    assert_error(response, 400, "invalid_schedule" if "ceiling_bp" not in body else "invalid_ceiling")
    conf = CommissionSettings.objects.filter(pk=1).first()
    assert conf is None or (conf.schedule, conf.t_plus_days, conf.ceiling_bp) == ("daily", 3, 5000)


def test_run_and_list_batches(client, headers, bound_buyer, beauty):
    order = OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)])
    Commission.objects.filter(order=order).update(eligible_at="2026-01-01T00:00:00+08:00")
    first = client.post(f"{URL}/run", headers=headers)
    assert first.status_code == 200 and first.json()["ran"] is True
    assert first.json()["batch"]["commission_count"] == 2
    again = client.post(f"{URL}/run", headers=headers)
    assert again.json() == {"ran": False, "batch": None}
    listed = client.get(f"{URL}/batches", headers=headers).json()
    assert [b["period"] for b in listed] == [SettlementBatch.objects.get().period]


def test_a_distributor_may_not(client, db):
    headers = {"Authorization": f"Bearer {issue_token(user=UserFactory())}"}
    assert_error(client.get(URL, headers=headers), 403, "forbidden")
    assert_error(client.post(f"{URL}/run", headers=headers), 403, "forbidden")
    assert not SettlementBatch.objects.exists()
