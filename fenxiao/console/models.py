"""Background jobs started from the console: who asked for what, when, how far it got, and its result.
This table is the record of who ran what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .jobs.storage import private_storage


class BackgroundJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("执行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=64, db_index=True)
    title = models.CharField(_("名称"), max_length=200)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    input_file = models.FileField(
        _("上传文件"), storage=private_storage, upload_to="jobs/input/%Y/%m/", max_length=255, blank=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), null=True, blank=True)
    result_file = models.FileField(
        _("结果文件"), storage=private_storage, upload_to="jobs/results/%Y/%m/", max_length=255, blank=True
    )
    summary = models.JSONField(_("结果摘要"), default=dict, blank=True)
    error = models.TextField(_("错误信息"), blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    task_id = models.CharField(_("任务结果编号"), max_length=64, blank=True, default="")
    # When the running job last reported progress: a job silent for too long has lost its worker.
    progressed_at = models.DateTimeField(_("最近进展时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台作业")
        verbose_name_plural = _("后台作业")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="console_job_by_user"),
            models.Index(fields=["status", "-created_at"], name="console_job_by_status"),
        ]
        permissions = [
            ("view_all_jobs", _("可以查看所有人的后台作业")),
            ("run_exports", _("可以导出列表")),
        ]

    def __str__(self) -> str:
        return f"{self.title} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def last_sign_of_life(self):
        """Since when a running job has been silent: its last progress, else its start."""
        return self.progressed_at or self.started_at

    @property
    def percent(self) -> int | None:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)
