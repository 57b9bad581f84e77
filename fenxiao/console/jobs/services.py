"""Starting and running console jobs. `start` records the request and enqueues the task once the row
has committed; `run` (on the worker) claims the job with one conditional UPDATE, so a job is run at
most once however many times its task is delivered, and records success or failure."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fenxiao.common.errors import DomainError
from fenxiao.console.models import BackgroundJob

from . import registry
from .errors import ConsoleJobCode, ConsoleJobError
from .machine import JOB_MACHINE
from .registry import Progress

logger = logging.getLogger(__name__)

S = BackgroundJob.Status
ERROR_MAX = 1000


def may_start(user: Any, kind: str) -> bool:
    spec = registry.get(kind)
    return bool(user and user.is_active and user.is_staff and user.has_perm(spec.permission))


def start(
    kind: str, *, by: Any, params: dict[str, Any] | None = None, input_file: File | None = None, title: str = ""
) -> BackgroundJob:
    spec = registry.get(kind)
    if not may_start(by, kind):
        raise ConsoleJobError(ConsoleJobCode.FORBIDDEN, _("没有发起该作业的权限"), {"kind": kind}, status=403)
    with transaction.atomic():
        # The job writes labels and messages in the language of the person who asked for it.
        params = {"language": translation.get_language() or settings.LANGUAGE_CODE, **(params or {})}
        job = BackgroundJob(kind=kind, title=(title or str(spec.title))[:200], params=params, requested_by=by)
        if input_file is not None:
            job.input_file.save(getattr(input_file, "name", None) or "upload", input_file, save=False)
        job.save()
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def run_mode() -> str:
    """How a started job runs: `queue`, on a task worker (production); `thread`, in a thread of the web
    process (the demo, which runs no worker). FENXIAO_CONSOLE_JOBS chooses; by default DEBUG does."""
    configured = getattr(settings, "FENXIAO_CONSOLE_JOBS", "")
    return configured or ("thread" if settings.DEBUG else "queue")


def enqueue(job_id: int) -> None:
    if run_mode() == "thread":
        threading.Thread(target=_run_in_thread, args=(job_id,), daemon=True, name=f"console-job-{job_id}").start()
        return
    from .tasks import run_background_job

    result = run_background_job.enqueue(job_id)
    BackgroundJob.objects.filter(pk=job_id).update(task_id=str(result.id))


def _run_in_thread(job_id: int) -> None:
    try:
        run(job_id)
    finally:
        close_old_connections()


def run(job_id: int) -> dict[str, Any]:
    """Run a queued job once; a job already running or finished is left alone."""
    job = JOB_MACHINE.move_if(BackgroundJob, job_id, S.QUEUED, S.RUNNING, progressed_at=timezone.now())
    if job is None:
        current = BackgroundJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return {"skipped": current or "missing"}
    progress = Progress(job)
    try:
        spec = registry.get(job.kind)
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            summary = spec.run(job, progress) or {}
    except Exception as exc:  # the job's failure is its record; the worker carries on
        logger.exception("background job %s (%s) failed", job.pk, job.kind)
        progress.flush()
        JOB_MACHINE.move_if(BackgroundJob, job.pk, S.RUNNING, S.FAILED, error=failure_message(exc))
        return {"failed": job.pk}
    progress.flush()
    if JOB_MACHINE.move_if(BackgroundJob, job.pk, S.RUNNING, S.SUCCEEDED, summary=summary) is None:
        # Marked failed as stalled while it worked: the record keeps that, the log says it finished.
        logger.warning("background job %s (%s) finished after it was marked stalled: %s", job.pk, job.kind, summary)
    return {"succeeded": job.pk}


def stall_minutes() -> int:
    """Minutes a running job may go without reporting progress before it counts as abandoned
    (FENXIAO_CONSOLE_JOB_STALL_MINUTES, default 30)."""
    return max(1, int(getattr(settings, "FENXIAO_CONSOLE_JOB_STALL_MINUTES", 30)))


def stalled_jobs(now: datetime | None = None):
    """Running jobs silent for longer than `stall_minutes`: last progress (or start) before the cutoff."""
    cutoff = (now or timezone.now()) - timedelta(minutes=stall_minutes())
    return BackgroundJob.objects.filter(status=S.RUNNING).filter(
        Q(progressed_at__lt=cutoff) | Q(progressed_at__isnull=True, started_at__lt=cutoff)
    )


def reap_stalled(now: datetime | None = None) -> int:
    """Mark failed every running job whose worker went away (no progress for `stall_minutes`), so its
    page stops waiting and the operator can start it again. Each move is one conditional UPDATE: run
    twice, or beside a job that just finished, nothing is marked twice."""
    reaped = 0
    for job in stalled_jobs(now).only("pk", "params", "progressed_at", "started_at"):
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            since = timezone.localtime(job.last_sign_of_life)
            message = _(
                "作业自 %(since)s 起超过 %(minutes)d 分钟没有进展，执行它的进程可能已经退出；已标记为失败，请重新发起。"
            ) % {"since": f"{since:%Y-%m-%d %H:%M}", "minutes": stall_minutes()}
        if JOB_MACHINE.move_if(BackgroundJob, job.pk, S.RUNNING, S.FAILED, error=message[:ERROR_MAX]) is not None:
            logger.warning("background job %s marked failed: no progress since %s", job.pk, since.isoformat())
            reaped += 1
    return reaped


def failure_message(exc: BaseException) -> str:
    """What the page shows: a domain error's own message; for anything else its type and text, never
    a traceback (that goes to the log)."""
    if isinstance(exc, DomainError):
        return exc.message[:ERROR_MAX]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (_("作业执行出错：%(error)s") % {"error": f"{type(exc).__name__} {text}".strip()})[:ERROR_MAX]
