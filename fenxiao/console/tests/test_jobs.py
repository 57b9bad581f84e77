"""Console background jobs: start checks the kind's permission and enqueues after commit; the task runs
the registered function once, records progress, summary, file or failure; the pages show only what the
viewer may see."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from fenxiao.console.jobs import registry, services, tasks
from fenxiao.console.jobs.errors import ConsoleJobError
from fenxiao.console.models import BackgroundJob
from fenxiao.jobs.tests.conftest import keep_the_test_connection  # noqa: F401 (a fixture)
from fenxiao.jobs.tests.conftest import run_worker as run_worker_fixture
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CALLS: list[int] = []


@registry.register("tests.count", title="计数作业", permission="console.view_backgroundjob")
def count_rows(job: BackgroundJob, progress: registry.Progress) -> dict:
    CALLS.append(job.pk)
    rows = int(job.params.get("rows", 10))
    progress.set_total(rows)
    for _row in range(rows):
        progress.advance()
    progress.save_file("count.csv", b"n\n%d\n" % rows)
    return {"行数": rows}


@registry.register("tests.boom", title="出错作业", permission="console.view_backgroundjob")
def boom(job: BackgroundJob, progress: registry.Progress) -> dict:
    progress.set_total(5)
    progress.advance(2)
    raise RuntimeError("disk full")


def staff(*perms: str, **fields):
    user = StaffFactory(is_superuser=False, **fields)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return type(user).objects.get(pk=user.pk)  # a fresh object: no cached permissions


@pytest.fixture(autouse=True)
def queue_mode(settings):
    settings.FENXIAO_CONSOLE_JOBS = "queue"
    CALLS.clear()


def test_start_refuses_without_the_kinds_permission():
    with pytest.raises(ConsoleJobError) as refused:
        services.start("tests.count", by=staff())
    assert refused.value.code == "job_forbidden"
    assert not BackgroundJob.objects.exists()


def test_start_refuses_an_unknown_kind():
    with pytest.raises(ConsoleJobError) as refused:
        services.start("tests.nothing", by=staff("console.view_backgroundjob"))
    assert refused.value.code == "unknown_job_kind"


def test_start_enqueues_after_commit_and_the_task_runs_the_job_once(django_capture_on_commit_callbacks):
    user = staff("console.view_backgroundjob")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.start("tests.count", by=user, params={"rows": 7})
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.QUEUED and job.task_id == ""  # nothing enqueued before the commit
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.task_id  # the task's result id, recorded
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path="fenxiao.console.jobs.tasks.run_background_job").count() == 1

    assert tasks.run_background_job.call(job.pk) == {"succeeded": job.pk}
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert (job.done, job.total) == (7, 7)
    assert job.summary == {"行数": 7}
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert job.requested_by == user
    with job.result_file.open("rb") as handle:
        assert handle.read() == b"n\n7\n"
    # Delivered a second time: not rerun.
    assert services.run(job.pk) == {"skipped": "succeeded"}
    assert CALLS == [job.pk]


def test_a_failure_keeps_the_message_and_progress_never_a_traceback(client):
    user = staff("console.view_backgroundjob")
    job = services.start("tests.boom", by=user)
    assert services.run(job.pk) == {"failed": job.pk}
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.FAILED
    assert (job.done, job.total) == (2, 5)
    assert "disk full" in job.error and "Traceback" not in job.error
    assert job.finished_at is not None
    client.force_login(user)
    page = client.get(reverse("console:job", args=[job.pk])).content.decode()
    assert "disk full" in page and "Traceback" not in page and 'id="job-error"' in page
    assert services.run(job.pk) == {"skipped": "failed"}


def test_progress_writes_in_steps_not_per_row(django_assert_max_num_queries):
    job = BackgroundJob.objects.create(kind="tests.count", title="t", requested_by=staff())
    progress = registry.Progress(job, every_seconds=3600, every_rows=100)
    progress.set_total(1000)
    with django_assert_max_num_queries(10):
        for _row in range(1000):
            progress.advance()
    job.refresh_from_db()
    assert job.done == 1000 and job.total == 1000


def test_progress_written_between_steps_is_visible_while_running():
    job = BackgroundJob.objects.create(kind="tests.count", title="t", requested_by=staff())
    progress = registry.Progress(job, every_seconds=3600, every_rows=100)
    progress.advance(99)
    job.refresh_from_db()
    assert job.done == 0
    progress.advance()
    job.refresh_from_db()
    assert job.done == 100


run_worker = run_worker_fixture


def test_the_worker_runs_a_started_job(django_capture_on_commit_callbacks, run_worker):
    user = staff("console.view_backgroundjob")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start("tests.count", by=user, params={"rows": 3})
    run_worker()
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED and job.summary == {"行数": 3}


def test_the_page_polls_while_running_and_offers_the_file_when_done(client):
    user = staff("console.view_backgroundjob")
    job = services.start("tests.count", by=user, params={"rows": 4})
    client.force_login(user)
    page = client.get(reverse("console:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "job-download" not in page
    services.run(job.pk)
    fragment = client.get(reverse("console:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in fragment
    assert reverse("console:job_download", args=[job.pk]) in fragment
    assert "行数" in fragment and 'value="100"' in fragment
    download = client.get(reverse("console:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"n\n4\n"
    assert "attachment" in download["Content-Disposition"]


def test_only_the_requester_or_a_permitted_staff_member_sees_or_downloads(client):
    owner = staff("console.view_backgroundjob")
    job = services.start("tests.count", by=owner, params={"rows": 1})
    services.run(job.pk)
    other = staff("console.view_backgroundjob")
    client.force_login(other)
    for name in ("console:job", "console:job_progress", "console:job_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    listing = client.get(reverse("console:jobs")).content.decode()
    assert f'data-job="{job.pk}"' not in listing

    supervisor = staff("console.view_all_jobs")
    client.force_login(supervisor)
    assert client.get(reverse("console:job_download", args=[job.pk])).status_code == 200
    assert f'data-job="{job.pk}"' in client.get(reverse("console:jobs")).content.decode()

    client.force_login(owner)
    assert f'data-job="{job.pk}"' in client.get(reverse("console:jobs")).content.decode()

    client.logout()
    assert client.get(reverse("console:job_download", args=[job.pk])).status_code == 302  # to the login


def test_result_files_are_not_under_media(settings):
    owner = staff("console.view_backgroundjob")
    job = services.start("tests.count", by=owner, params={"rows": 1})
    services.run(job.pk)
    job.refresh_from_db()
    path = job.result_file.path
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        job.result_file.url  # noqa: B018
