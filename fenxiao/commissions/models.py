"""One earner's commission on one order line, and its life: pending → settled, or pending → cancelled.

The row records what was computed at payment (base, rate or fixed amount, the amount after the
ceiling and why it was reduced) and what happened since: `cancelled_fen` is the part cancelled by
refunds before settlement, `clawed_back_fen` the part taken back by refunds after it. The money
itself lives in the ledger; these rows say why it moved. Rows change only through
`commissions.services`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Commission(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待结算")
        SETTLED = "settled", _("已结算")
        CANCELLED = "cancelled", _("已取消")

    class Mode(models.TextChoices):
        RATE = "rate", _("按比例")
        FIXED = "fixed", _("固定金额")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="commissions", verbose_name=_("订单"))
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="commissions", verbose_name=_("订单行")
    )
    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="commissions", verbose_name=_("收益人")
    )
    depth = models.PositiveSmallIntegerField(_("佣金层级"))
    base_fen = models.BigIntegerField(_("计佣基数（分）"))
    source = models.CharField(_("比例来源"), max_length=32)
    mode = models.CharField(_("计佣方式"), max_length=8, choices=Mode.choices)
    rate_bp = models.PositiveIntegerField(_("比例（基点）"), null=True, blank=True)
    fixed_fen = models.BigIntegerField(_("固定金额（分）"), null=True, blank=True)
    uncapped_fen = models.BigIntegerField(_("封顶前佣金（分）"))
    amount_fen = models.BigIntegerField(_("佣金（分）"))
    cancelled_fen = models.BigIntegerField(_("已取消（分）"), default=0)
    clawed_back_fen = models.BigIntegerField(_("已追回（分）"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    capped = models.BooleanField(_("受上限削减"), default=False)
    capped_note = models.CharField(_("削减说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    settled_at = models.DateTimeField(_("结算时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("佣金")
        verbose_name_plural = _("佣金")
        indexes = [models.Index(fields=["distributor", "status"], name="commission_earner_status")]
        constraints = [
            models.UniqueConstraint(fields=["order_line", "depth"], name="commission_one_per_line_depth"),
            models.CheckConstraint(condition=Q(depth__in=[1, 2]), name="commission_depth_valid"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="commission_amount_positive"),
            models.CheckConstraint(
                condition=Q(cancelled_fen__gte=0, clawed_back_fen__gte=0)
                & Q(cancelled_fen__lte=F("amount_fen") - F("clawed_back_fen")),
                name="commission_reductions_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.order_line_id}/{self.depth}"

    @property
    def net_fen(self) -> int:
        """What the earner keeps: the amount less what refunds cancelled or clawed back."""
        return self.amount_fen - self.cancelled_fen - self.clawed_back_fen
