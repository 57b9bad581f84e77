"""The console's job pages: the list, one job with its progress (refreshed by htmx while it runs),
and the download of its result file, for the requester or staff who may see every job."""

from __future__ import annotations

import mimetypes
from datetime import timedelta
from pathlib import PurePosixPath

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fenxiao.console.access import console_view, context
from fenxiao.console.models import BackgroundJob

from . import exports, selectors, services
from .errors import ConsoleJobError

PAGE_SIZE = 50


def _job_or_404(request: HttpRequest, job_id: int) -> BackgroundJob:
    job = selectors.job_for(request.user, job_id)
    if job is None:
        raise Http404(_("作业不存在"))
    return job


@console_view()
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = selectors.visible_jobs(request.user)
    status = request.GET.get("status", "")
    if status in BackgroundJob.Status.values:
        jobs = jobs.filter(status=status)
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("p"))
    return render(
        request,
        "console/jobs/list.html",
        context(
            request,
            title=_("后台作业"),
            page=page,
            status=status,
            statuses=BackgroundJob.Status.choices,
            sees_all=selectors.sees_all(request.user),
            stall_cutoff=timezone.now() - timedelta(minutes=services.stall_minutes()),
        ),
    )


@console_view()
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    return render(request, "console/jobs/detail.html", context(request, title=job.title, job=job))


@console_view()
@require_GET
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    response = render(request, "console/jobs/_progress.html", {"job": job})
    response["Cache-Control"] = "no-store"
    return response


@console_view()
@require_GET
def job_download(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job_or_404(request, job_id)
    if not job.result_file:
        raise Http404(_("该作业没有结果文件"))
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404(_("结果文件已不存在")) from None
    filename = PurePosixPath(job.result_file.name).name
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


#: Kinds a console button may start by posting here, with the form fields each one takes (None: the
#: whole form, kept as `params["form"]` for the job to validate again).
STARTABLE: dict[str, tuple[str, ...] | None] = {
    "commissions.settlement": (),
    "growth.level_evaluation": ("month",),
    "growth.leaderboard_close": ("board", "period_kind", "period"),
    "commissions.simulation": None,
    "commissions.team_bonus": ("month",),
}
FORM_FIELDS_MAX = 200
NOT_FORM_FIELDS = ("csrfmiddlewaretoken", "_preview", "_save", "_background", "preview_hash")


@console_view()
@require_POST
def start_job(request: HttpRequest, kind: str) -> HttpResponse:
    """Start one of the operator's long jobs and go to its page."""
    if kind not in STARTABLE:
        raise Http404(_("未知的后台作业类型"))
    fields = STARTABLE[kind]
    params: dict[str, object]
    if fields is None:
        form = {k: v[:64] for k, v in request.POST.items() if k not in NOT_FORM_FIELDS}
        if len(form) > FORM_FIELDS_MAX:
            return HttpResponseBadRequest()
        params = {"form": form}
    else:
        params = {name: request.POST.get(name, "").strip()[:64] for name in fields}
    try:
        job = services.start(kind, by=request.user, params=params)
    except ConsoleJobError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        raise Http404(exc.message) from exc
    return redirect("console:job", job.pk)


@console_view()
@require_POST
def start_export(request: HttpRequest, key: str) -> HttpResponse:
    """Export the list the operator is looking at: its query string comes with the button."""
    try:
        spec = exports.get(key)
    except ConsoleJobError as exc:
        raise Http404(exc.message) from exc
    if not exports.may_export(spec, request.user):
        raise PermissionDenied
    params = {"query": exports.list_query(request.POST.get("query", ""))}
    job = services.start(spec.kind, by=request.user, params=params)
    return redirect("console:job", job.pk)
