"""A job whose worker died stays "running" with no progress: the periodic reaper marks it failed with a
message saying so, once, and leaves alone the jobs that still report progress or already finished."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.console.jobs import services, tasks
from fenxiao.console.models import BackgroundJob
from fenxiao.jobs import schedule
from fenxiao.jobs import services as scheduler
from fenxiao.jobs.models import ScheduledRun
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

S = BackgroundJob.Status


@pytest.fixture(autouse=True)
def queue_mode(settings):
    settings.FENXIAO_CONSOLE_JOBS = "queue"
    settings.FENXIAO_CONSOLE_JOB_STALL_MINUTES = 30


def job(status=S.RUNNING, *, silent_for: int | None = None, started_for: int = 120, **fields) -> BackgroundJob:
    now = timezone.now()
    return BackgroundJob.objects.create(
        kind="export.orders",
        title="导出订单",
        requested_by=fields.pop("by", None) or StaffFactory(),
        status=status,
        started_at=now - timedelta(minutes=started_for) if status != S.QUEUED else None,
        progressed_at=now - timedelta(minutes=silent_for) if silent_for is not None else None,
        params={"language": "zh-hans"},
        **fields,
    )


def test_a_silent_running_job_is_marked_failed_once_with_a_clear_message():
    dead = job(silent_for=31, done=40, total=100)
    never_reported = job(silent_for=None, started_for=45)
    alive = job(silent_for=2)
    young = job(silent_for=None, started_for=5)
    queued = job(S.QUEUED)
    done = job(S.SUCCEEDED, silent_for=300)

    assert services.reap_stalled() == 2
    for row in (dead, never_reported, alive, young, queued, done):
        row.refresh_from_db()
    assert dead.status == never_reported.status == S.FAILED
    assert "超过 30 分钟没有进展" in dead.error and "重新发起" in dead.error
    assert dead.finished_at is not None and dead.done == 40  # the progress it made stays on its record
    assert (alive.status, young.status, queued.status, done.status) == (S.RUNNING, S.RUNNING, S.QUEUED, S.SUCCEEDED)
    assert services.reap_stalled() == 0  # again: nothing more
    dead.refresh_from_db()
    assert "超过 30 分钟" in dead.error


def test_the_setting_chooses_how_long_a_job_may_stay_silent(settings):
    settings.FENXIAO_CONSOLE_JOB_STALL_MINUTES = 5
    row = job(silent_for=6)
    assert tasks.reap_stalled_jobs.call() == {"console_jobs_stalled": 1}
    row.refresh_from_db()
    assert row.status == S.FAILED and "超过 5 分钟" in row.error


def test_progress_keeps_a_job_alive():
    from fenxiao.console.jobs.registry import Progress

    row = job(silent_for=40)
    Progress(row).set_total(10)
    assert services.reap_stalled() == 0
    row.refresh_from_db()
    assert row.status == S.RUNNING and row.progressed_at > timezone.now() - timedelta(minutes=1)


def test_a_reaped_job_is_not_run_again_when_its_task_comes_again():
    row = job(S.QUEUED)
    row.kind = "commissions.settlement"
    row.save()
    # the worker claims it, then is silent past the limit while the scheduler reaps it
    claimed = services.JOB_MACHINE.move_if(BackgroundJob, row.pk, S.QUEUED, S.RUNNING)
    BackgroundJob.objects.filter(pk=claimed.pk).update(progressed_at=timezone.now() - timedelta(hours=1))
    assert services.reap_stalled() == 1
    assert services.run(row.pk) == {"skipped": S.FAILED}  # a redelivered task does not run it again
    row.refresh_from_db()
    assert row.status == S.FAILED


def test_the_reaper_is_on_the_schedule_every_minute():
    reaper = schedule.job_named("console.reap_stalled_jobs")
    assert reaper.cadence == schedule.Cadence.MINUTE and reaper in schedule.scheduled()
    assert reaper not in schedule.SCHEDULE  # added by the console, which the scheduler does not import
    enqueued = {run.job for run in scheduler.enqueue_due()}
    assert "console.reap_stalled_jobs" in enqueued
    assert ScheduledRun.objects.filter(job="console.reap_stalled_jobs").count() == 1


def test_the_job_list_shows_since_when_a_running_job_is_silent(client):
    user = StaffFactory()
    client.force_login(user)
    job(silent_for=45, by=user)
    job(silent_for=1, by=user)
    page = client.get(reverse("console:jobs")).content.decode()
    assert page.count("job-stalled") == 1 and "起无进展" in page and "最近进展" in page
