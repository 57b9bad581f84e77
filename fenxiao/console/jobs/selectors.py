"""Which jobs a staff member may see: their own; everyone's with the view-all permission."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fenxiao.console.models import BackgroundJob

VIEW_ALL = "console.view_all_jobs"


def sees_all(user: Any) -> bool:
    return bool(user.is_superuser or user.has_perm(VIEW_ALL))


def visible_jobs(user: Any) -> QuerySet[BackgroundJob]:
    jobs = BackgroundJob.objects.select_related("requested_by")
    if not (user and user.is_active and user.is_staff):
        return jobs.none()
    if sees_all(user):
        return jobs
    return jobs.filter(requested_by=user)


def job_for(user: Any, job_id: int) -> BackgroundJob | None:
    return visible_jobs(user).filter(pk=job_id).first()
