"""Reads of the jobs app."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django_tasks_db.models import DBTaskResult


def task_status(task_id: str) -> str | None:
    """The status of an enqueued task (READY, RUNNING, SUCCESSFUL, FAILED), None once it is pruned."""
    if not task_id:
        return None
    try:
        return DBTaskResult.objects.filter(pk=task_id).values_list("status", flat=True).first()
    except ValidationError:
        return None


def failed_task_count() -> int:
    """Background tasks whose last run failed and whose results are still kept."""
    return DBTaskResult.objects.failed().count()
