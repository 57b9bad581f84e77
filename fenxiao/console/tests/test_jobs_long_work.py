"""The operator's long work runs as background jobs started from the console: the settlement run, the
monthly level evaluation, a leaderboard close and the simulator's synthetic scenario. The buttons post
to the job start, the job calls the app's own service as the requester, and its page shows the summary."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import Permission
from django.urls import reverse

from fenxiao.commissions.models import SettlementBatch
from fenxiao.console.jobs import services
from fenxiao.console.models import BackgroundJob
from fenxiao.growth.models import LeaderboardClose
from tests.factories import LevelFactory, SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def queue_mode(settings):
    settings.FENXIAO_CONSOLE_JOBS = "queue"


def staff(*perms: str):
    user = StaffFactory(is_superuser=False)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return type(user).objects.get(pk=user.pk)


def start(client, kind: str, data: dict | None = None) -> BackgroundJob:
    response = client.post(reverse("console:start_job", args=[kind]), data or {})
    job = BackgroundJob.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("console:job", args=[job.pk])
    return job


def finish(job: BackgroundJob) -> BackgroundJob:
    services.run(job.pk)
    job.refresh_from_db()
    return job


def test_the_settlement_button_starts_a_job_that_runs_the_batch_once(client):
    user = staff("commissions.add_settlementbatch", "commissions.view_settlementbatch")
    client.force_login(user)
    page = client.get(reverse("admin:commissions_settlementbatch_changelist")).content.decode()
    assert reverse("console:start_job", args=["commissions.settlement"]) in page
    job = start(client, "commissions.settlement")
    assert not SettlementBatch.objects.exists()  # nothing ran inside the request
    job = finish(job)
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    batch = SettlementBatch.objects.get()
    assert job.summary["结算期"] == batch.period and job.requested_by == user
    again = finish(start(client, "commissions.settlement"))
    assert "已经运行过" in again.summary["结果"]
    assert SettlementBatch.objects.count() == 1
    shown = client.get(reverse("console:job", args=[job.pk])).content.decode()
    assert batch.period in shown and 'id="job-summary"' in shown


def test_starting_needs_the_services_permission(client):
    client.force_login(staff("commissions.view_settlementbatch"))
    for kind in ("commissions.settlement", "growth.level_evaluation", "growth.leaderboard_close", "commissions.simulation"):
        assert client.post(reverse("console:start_job", args=[kind])).status_code == 403, kind
    assert client.post(reverse("console:start_job", args=["export.orders"])).status_code == 404  # not a button kind
    assert not BackgroundJob.objects.exists()


def test_the_level_evaluation_runs_for_the_month_asked(client):
    client.force_login(staff("growth.change_levelrule", "growth.view_levelchange"))
    page = client.get(reverse("admin:growth_levelchange_changelist")).content.decode()
    assert reverse("console:start_job", args=["growth.level_evaluation"]) in page
    job = finish(start(client, "growth.level_evaluation", {"month": "2026-01"}))
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    assert job.summary["月份"] == "2026-01" and job.summary["评估人数"] == 0


def test_a_refused_leaderboard_close_fails_with_the_services_message(client):
    client.force_login(staff("growth.add_leaderboardclose", "growth.view_leaderboardclose"))
    page = client.get(reverse("admin:growth_leaderboardclose_changelist")).content.decode()
    assert reverse("console:start_job", args=["growth.leaderboard_close"]) in page
    job = finish(start(client, "growth.leaderboard_close", {"board": "nonsense", "period_kind": "month"}))
    assert job.status == BackgroundJob.Status.FAILED and job.error
    assert "Traceback" not in job.error
    ok = finish(start(client, "growth.leaderboard_close", {"board": "sales", "period_kind": "month", "period": "2026-01"}))
    assert ok.status == BackgroundJob.Status.SUCCEEDED, ok.error
    assert LeaderboardClose.objects.get().period == ok.summary["周期"] == "2026-01"


def _simulator_form_data() -> dict[str, str]:
    from fenxiao.catalog.models import Category
    from fenxiao.commissions import simulator
    from fenxiao.commissions.admin.plan import SimulatorForm

    categories = Category.objects.filter(pk__in=list(simulator.category_cost_ratios().keys()))
    form = SimulatorForm(plan=simulator.current_plan(), categories=categories)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()  # what the page shows: the field's own rendering of its initial value
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(field.widget.format_value(value) or "")
    return data


def test_the_simulators_synthetic_scenario_runs_in_the_background(client):
    LevelFactory(rank=1)
    SkuFactory(), SkuFactory()
    client.force_login(
        staff("distribution.change_level", "distribution.change_distributionsettings", "commissions.view_teambonus")
    )
    data = {**_simulator_form_data(), "order_count": "300", "seed": "3", "csrfmiddlewaretoken": "x", "_background": "1"}
    job = start(client, "commissions.simulation", data)
    assert "csrfmiddlewaretoken" not in job.params["form"]
    job = finish(job)
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    assert job.summary["订单数"] == "300"
    assert any(key.startswith("佣金合计") for key in job.summary)

    bad = finish(start(client, "commissions.simulation", {**data, "order_count": "abc"}))
    assert bad.status == BackgroundJob.Status.FAILED and "模拟参数有误" in bad.error
