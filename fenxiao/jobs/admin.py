"""The console's view of the schedule: what the scheduler enqueued, per job and period, read-only,
each with the status of its task. The task results themselves (return value, traceback of a failure)
are django_tasks_db's own read-only admin, registered by that app; each row here links to its result."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ReadOnlyAdmin, labelled_filter

from . import selectors
from .models import ScheduledRun
from .schedule import scheduled


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ReadOnlyAdmin):
    list_display = ("job_label", "period_key", "enqueued_at", "task_result")
    list_filter = (labelled_filter("job", _("任务"), lambda: [(job.name, job.label) for job in scheduled()]),)
    search_fields = ("job", "period_key", "task_id")
    date_hierarchy = "enqueued_at"

    @admin.display(description=_("任务"), ordering="job")
    def job_label(self, obj: ScheduledRun):
        return next((job.label for job in scheduled() if job.name == obj.job), obj.job)

    @admin.display(description=_("任务状态"))
    def task_result(self, obj: ScheduledRun):
        status = selectors.task_status(obj.task_id)
        if status is None:
            return self.get_empty_value_display()
        try:
            url = reverse("admin:django_tasks_database_dbtaskresult_change", args=[obj.task_id])
        except NoReverseMatch:
            return status
        return format_html('<a href="{}">{}</a>', url, status)
