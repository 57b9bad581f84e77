"""Due jobs run on a real task worker (db_worker) and their effect happens; a failing job is
recorded as failed, with its error, and shown in the console."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fenxiao.commissions.models import SettlementBatch
from fenxiao.growth import services as growth_services
from fenxiao.growth.errors import GrowthCode, GrowthError
from fenxiao.jobs import services, tasks
from fenxiao.jobs.models import ScheduledRun
from fenxiao.jobs.schedule import job_named, scheduled
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_due_jobs_run_on_the_worker_and_take_effect(run_worker):
    now = timezone.now()
    services.enqueue_due(now)
    assert not SettlementBatch.objects.exists()
    run_worker()
    assert SettlementBatch.objects.count() == 1
    statuses = dict(DBTaskResult.objects.values_list("task_path", "status"))
    assert set(statuses.values()) == {"SUCCESSFUL"}, statuses
    settled = DBTaskResult.objects.get(task_path="fenxiao.jobs.tasks.settle_commissions")
    assert settled.return_value == {"settled": 0}
    sweep = DBTaskResult.objects.get(task_path="fenxiao.jobs.tasks.sweep_orders")
    assert sweep.return_value == {"expired": 0, "auto_received": 0, "completed": 0}
    # The next tick in the same periods enqueues nothing and the worker has nothing to do.
    assert services.enqueue_due(now) == []
    run_worker()
    assert SettlementBatch.objects.count() == 1
    assert DBTaskResult.objects.count() == len(scheduled())


def test_a_failing_job_is_recorded_as_failed_and_shown_in_the_console(run_worker, monkeypatch, client):
    def busy(month=None, now=None, *, actor=None):
        raise GrowthError(GrowthCode.EVALUATION_RUNNING, "该月份的评估正在另一处执行，请稍后重试", {"period": month}, status=409)

    monkeypatch.setattr(growth_services, "run_monthly_evaluation", busy)
    services.enqueue_due()
    run_worker()
    failed = DBTaskResult.objects.get(task_path="fenxiao.jobs.tasks.evaluate_levels")
    assert failed.status == "FAILED"
    assert failed.exception_class_path == "fenxiao.growth.errors.GrowthError"
    assert "evaluation_running" in failed.traceback
    # One failure does not stop the other jobs.
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == len(scheduled()) - 1

    client.force_login(StaffFactory())
    results = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"), {"status__exact": "FAILED"})
    assert results.status_code == 200
    assert str(failed.pk) in results.content.decode()
    run = ScheduledRun.objects.get(job="growth.level_evaluation")
    runs = client.get(reverse("admin:jobs_scheduledrun_changelist"))
    assert runs.status_code == 200
    assert reverse("admin:django_tasks_database_dbtaskresult_change", args=[run.task_id]) in runs.content.decode()
    assert "FAILED" in runs.content.decode()
    assert client.get(reverse("admin:jobs_scheduledrun_add")).status_code == 403


def test_prune_keeps_each_jobs_current_period(run_worker):
    now = timezone.now()
    long_ago = now - timedelta(days=400)
    ScheduledRun.objects.create(job="commissions.settlement", period_key="2020-01-01", enqueued_at=long_ago)
    current_month = job_named("commissions.team_bonus").period_key(now)
    # A monthly record enqueued long ago but for the month that is still current must stay.
    ScheduledRun.objects.create(job="commissions.team_bonus", period_key=current_month, enqueued_at=long_ago)
    old = tasks.noop.enqueue()
    run_worker()
    DBTaskResult.objects.filter(pk=old.id).update(finished_at=long_ago)
    assert tasks.prune_history.call() == {"task_results_pruned": 1, "scheduled_runs_pruned": 1}
    assert ScheduledRun.objects.filter(job="commissions.team_bonus", period_key=current_month).exists()
    enqueued = {e.job for e in services.enqueue_due(now)}
    assert "commissions.team_bonus" not in enqueued
    assert "commissions.settlement" in enqueued


def test_run_jobs_runs_every_job_in_process_and_refuses_every(capsys):
    call_command("run_jobs")
    out = capsys.readouterr().out
    for name in ("expired=0", "settled=0", "team_bonus_proposed=0", "levels_upgraded=0", "leaderboards_closed=0"):
        assert name in out
    assert not DBTaskResult.objects.exists()  # in-process, not through the queue
    with pytest.raises(CommandError, match="run_scheduler"):
        call_command("run_jobs", "--every", "60")


def test_the_monthly_level_evaluation_runs_with_no_upgrade_rule(run_worker):
    """A network with no level rules yet (a fresh install): the scheduled evaluation succeeds and
    changes nothing. On PostgreSQL it used to fail every month (an untyped NULL read as text)."""
    result = tasks.evaluate_levels.enqueue(month="2026-10")
    run_worker()
    done = DBTaskResult.objects.get(pk=result.id)
    assert (done.status, done.return_value) == ("SUCCESSFUL", {"levels_upgraded": 0, "levels_downgraded": 0})
