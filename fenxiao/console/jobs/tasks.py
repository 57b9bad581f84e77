"""The one task behind every console job: it runs the job's registered function on a task worker; and
the periodic one that marks failed the jobs whose worker went away."""

from __future__ import annotations

from typing import Any

try:  # Django 6 ships the task API; before it, the backport provides the same one.
    from django.tasks import task
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import task


@task()
def run_background_job(job_id: int) -> dict[str, Any]:
    from . import services

    return services.run(job_id)


@task()
def reap_stalled_jobs() -> dict[str, int]:
    from . import services

    return {"console_jobs_stalled": services.reap_stalled()}
