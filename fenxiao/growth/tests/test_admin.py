"""The growth admin: a rule with inline conditions (checked like the API), the read-only change
list, and the button that runs the monthly evaluation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fenxiao.console.jobs import services as jobs
from fenxiao.console.models import BackgroundJob
from fenxiao.growth.models import LevelChange, LevelRule
from tests.factories import StaffFactory

from .conftest import K, member, rule

pytestmark = pytest.mark.django_db


def inline(rows, **extra):
    data = {
        "conditions-TOTAL_FORMS": str(len(rows)),
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
    }
    for i, (kind, threshold) in enumerate(rows):
        data[f"conditions-{i}-kind"] = kind
        data[f"conditions-{i}-threshold"] = str(threshold)
    return {**data, **extra}


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory())
    return client


def test_add_rule_with_conditions(admin_client, senior):
    # an amount is typed in yuan: ¥5,000 is stored as 500000 fen; a count stays a count
    data = inline(
        [(K.DIRECT_INVITES, 10), (K.PERSONAL_SALES_MONTH, "5,000")],
        level=senior.pk,
        combine="all",
        is_enabled="on",
        protection_days="30",
    )
    response = admin_client.post(reverse("admin:growth_levelrule_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = LevelRule.objects.get(level=senior)
    assert sorted(saved.conditions.values_list("kind", "threshold")) == [(K.DIRECT_INVITES, 10), (K.PERSONAL_SALES_MONTH, 500000)]
    listing = admin_client.get(reverse("admin:growth_levelrule_changelist")).content.decode()
    assert "¥5,000.00" in listing and "500000" not in listing
    change = admin_client.get(reverse("admin:growth_levelrule_change", args=[saved.pk])).content.decode()
    assert 'value="5000.00"' in change


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [(K.TEAM_SIZE, -1)],
        [(K.TEAM_SIZE, 1), (K.TEAM_SIZE, 2)],
        [(K.TEAM_SIZE, "1.5")],
        [(K.PERSONAL_SALES_MONTH, "100.001")],
        [(K.PERSONAL_SALES_MONTH, "-5")],
    ],
)
def test_rule_form_refuses(admin_client, senior, rows):
    data = inline(rows, level=senior.pk, combine="all", is_enabled="on", protection_days="30")
    response = admin_client.post(reverse("admin:growth_levelrule_add"), data)
    assert response.status_code == 200
    assert not LevelRule.objects.exists()


def test_run_button_and_change_list(admin_client, regular, senior):
    rule(senior, [(K.DIRECT_INVITES, 1)])
    d = member(regular)
    member(regular, inviter=d)
    page = admin_client.get(reverse("admin:growth_levelchange_changelist"))
    assert "执行月度等级评估" in page.content.decode()
    start = reverse("console:start_job", args=["growth.level_evaluation"])
    assert start in page.content.decode()
    job = run_started(admin_client.post(start, {"month": "2026-02"}))
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    assert LevelChange.objects.filter(distributor=d, period="2026-02").exists()
    listing = admin_client.get(reverse("admin:growth_levelchange_changelist"), {"period": "2026-02"}).content.decode()
    assert d.code in listing
    refused = run_started(admin_client.post(start, {"month": "bad"}))
    assert refused.status == BackgroundJob.Status.FAILED
    assert "月份格式" in admin_client.get(reverse("console:job", args=[refused.pk])).content.decode()


def run_started(response) -> BackgroundJob:
    """The button went to the job's page; run the job there as the worker would."""
    job = BackgroundJob.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("console:job", args=[job.pk])
    jobs.run(job.pk)
    job.refresh_from_db()
    return job
