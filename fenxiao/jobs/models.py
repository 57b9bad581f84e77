"""What the scheduler has enqueued: one row per job and period, so a period is enqueued once."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    job = models.CharField(_("任务"), max_length=64)
    period_key = models.CharField(_("周期"), max_length=32)
    enqueued_at = models.DateTimeField(_("入队时间"))
    task_id = models.CharField(_("任务结果编号"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("定时任务入队记录")
        verbose_name_plural = _("定时任务入队记录")
        ordering = ["-enqueued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "period_key"], name="jobs_scheduledrun_once_per_period")]
        indexes = [models.Index(fields=["enqueued_at"], name="jobs_scheduledrun_enqueued")]

    def __str__(self) -> str:
        return f"{self.job} {self.period_key}"
