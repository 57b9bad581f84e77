"""The scheduler's one write: enqueue every job whose current period has not been enqueued yet.

The record of a (job, period) and the task it enqueues are written in one transaction, and the
record is unique per job and period. Several schedulers, on one machine or many, may therefore tick
at the same moment: on PostgreSQL the second insert of a key waits for the first transaction and
then fails, on SQLite writers take turns; either way each job and period is enqueued exactly once,
and a scheduler killed between the two writes leaves neither behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ScheduledRun
from .schedule import Job, scheduled


@dataclass(frozen=True)
class Enqueued:
    job: str
    period_key: str
    task_id: str


def enqueue_due(now: datetime | None = None, *, jobs: tuple[Job, ...] | None = None) -> list[Enqueued]:
    """Enqueue the jobs due at `now` (default: the whole schedule) that no scheduler has enqueued for
    their period; returns those this call enqueued (none when another scheduler got there first)."""
    now = now or timezone.now()
    jobs = scheduled() if jobs is None else jobs
    keys = {job.name: job.period_key(now) for job in jobs}
    done = set(ScheduledRun.objects.filter(job__in=keys, period_key__in=set(keys.values())).values_list("job", "period_key"))
    enqueued: list[Enqueued] = []
    for job in jobs:
        key = keys[job.name]
        if (job.name, key) in done:
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, period_key=key, enqueued_at=now)
                result = job.task.enqueue(**job.arguments(key))
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another scheduler enqueued this period first
        enqueued.append(Enqueued(job=job.name, period_key=key, task_id=run.task_id))
    return enqueued
