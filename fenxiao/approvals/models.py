"""Maker–checker (双人复核) for money that leaves the platform's hands.

One person (or a scheduled job) proposes a payout — a cash reward, a leaderboard cash prize, a team-bonus
run, a large refund, a payout batch — as an `ApprovalRequest`; someone else with the decide permission
(finance) approves or rejects it. Both are recorded with who and when, and the timeline keeps every
step. The domain app that proposed the request does the work when it is approved, through the handler
it registered (see `registry`); this app never imports a domain app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fenxiao.common.models import TransitionEvent


class ApprovalRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        WITHDRAWN = "withdrawn", _("已撤回")

    kind = models.CharField(_("类型"), max_length=32)
    reference = models.CharField(_("对象"), max_length=80, help_text=_("被审批的对象，例如 team_bonus:2026-10"))
    amount_fen = models.BigIntegerField(_("金额"), default=0)
    summary = models.CharField(_("摘要"), max_length=200)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    beneficiaries = models.JSONField(_("受益用户"), default=list, blank=True, help_text=_("收款人的用户 ID；他们不能审批这笔钱"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    proposed_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("审批人")
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    result = models.JSONField(_("执行结果"), default=dict, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("资金审批")
        verbose_name_plural = _("资金审批")
        permissions = [("decide_approvalrequest", _("批准或驳回资金审批"))]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "reference"], condition=Q(status="pending"), name="one_pending_approval_per_object"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="approval_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "-proposed_at"], name="approval_status_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class ApprovalEvent(TransitionEvent):
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("审批"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
