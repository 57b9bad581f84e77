"""One earner's commission on one order line, and its life: pending → settled, or pending → cancelled.

The row records what was computed at payment (base, rate or fixed amount, the amount after the
ceiling and why it was reduced) and what happened since: `cancelled_fen` is the part cancelled by
refunds before settlement, `clawed_back_fen` the part taken back by refunds after it. The money
itself lives in the ledger; these rows say why it moved. Rows change only through
`commissions.services`.
"""

from __future__ import annotations

from django.conf import settings
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

    class Source(models.TextChoices):
        """Where the line's rule came from (the values of calculator.SOURCE_*)."""

        PRODUCT = "product_override", _("商品佣金设置")
        CATEGORY = "category_override", _("类目佣金设置")
        LEVEL = "level", _("等级佣金比例")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="commissions", verbose_name=_("订单"))
    # The unique (order_line, depth) index serves look-ups by line; no second index.
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="commissions", verbose_name=_("订单行"), db_index=False
    )
    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="commissions", verbose_name=_("收益人")
    )
    depth = models.PositiveSmallIntegerField(_("佣金层级"))
    base_fen = models.BigIntegerField(_("计佣基数"))
    source = models.CharField(_("比例来源"), max_length=32, choices=Source.choices)
    mode = models.CharField(_("计佣方式"), max_length=8, choices=Mode.choices)
    rate_bp = models.PositiveIntegerField(_("比例"), null=True, blank=True)
    fixed_fen = models.BigIntegerField(_("固定金额"), null=True, blank=True)
    uncapped_fen = models.BigIntegerField(_("封顶前佣金"))
    amount_fen = models.BigIntegerField(_("佣金"))
    cancelled_fen = models.BigIntegerField(_("已取消"), default=0)
    clawed_back_fen = models.BigIntegerField(_("已追回"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    capped = models.BooleanField(_("受上限削减"), default=False)
    capped_note = models.CharField(_("削减说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Set when the order completes (its after-sales window has closed): from then on the settlement
    # job may settle it, on the schedule in CommissionSettings.
    eligible_at = models.DateTimeField(_("可结算时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("结算时间"), null=True, blank=True)
    settlement_batch = models.ForeignKey(
        "SettlementBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commissions",
        verbose_name=_("结算批次"),
        db_index=False,
    )

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("佣金")
        verbose_name_plural = _("佣金")
        # Few indexes on purpose: settling a batch rewrites every row it settles, and each index is
        # one more insertion per row. The distributor's own index serves its pages; the partial
        # index holds only the pending rows the settlement job looks for.
        indexes = [
            models.Index(fields=["eligible_at"], condition=Q(status="pending"), name="commission_pending_due"),
            # The console home's commission accrued per period; neither column changes after insert.
            models.Index(fields=["created_at", "amount_fen"], name="commission_accrued_time_amount"),
        ]
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


class CommissionSettings(models.Model):
    """The operator's commission settings (one row, pk=1): the margin ceiling and the settlement
    schedule.

    T+N: a commission whose order completed on local day T is settled by the batch of day T+N or the
    first batch after it. Daily batches run every day; weekly ones on `weekday` (0 = Monday); monthly
    ones on `month_day` (1–28). A batch that was missed runs at the next opportunity in its period.
    """

    class Schedule(models.TextChoices):
        DAILY = "daily", _("每日（T+N）")
        WEEKLY = "weekly", _("每周")
        MONTHLY = "monthly", _("每月")

    schedule = models.CharField(_("结算周期"), max_length=8, choices=Schedule.choices, default=Schedule.DAILY)
    t_plus_days = models.PositiveSmallIntegerField(_("T+N 天数"), default=3)
    weekday = models.PositiveSmallIntegerField(_("每周结算日"), default=0, help_text=_("0 为周一，6 为周日"))
    month_day = models.PositiveSmallIntegerField(_("每月结算日"), default=1, help_text=_("1–28"))
    ceiling_bp = models.PositiveIntegerField(
        _("佣金上限（占毛利）"),
        default=5000,
        help_text=_("每行佣金合计不超过毛利（实付 − 成本）的这一比例；100% = 不超过毛利即可"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )

    class Meta:
        verbose_name = _("结算设置")
        verbose_name_plural = _("结算设置")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="commission_settings_singleton"),
            models.CheckConstraint(condition=Q(schedule__in=["daily", "weekly", "monthly"]), name="commission_schedule_valid"),
            models.CheckConstraint(condition=Q(t_plus_days__lte=90), name="commission_t_plus_days_range"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="commission_weekday_range"),
            models.CheckConstraint(condition=Q(month_day__gte=1, month_day__lte=28), name="commission_month_day_range"),
            models.CheckConstraint(condition=Q(ceiling_bp__lte=10000), name="commission_ceiling_range"),
        ]

    def __str__(self) -> str:
        return str(_("结算设置"))


class SettlementBatch(models.Model):
    """One run of the settlement job for one period ("2026-11-23", "2026-W48", "2026-11").

    The batch row, the commission updates and the ledger posting commit together, so a batch is either
    wholly there or not at all; `period` is unique, so rerunning a period settles nothing twice.
    """

    period = models.CharField(_("结算期"), max_length=16, unique=True)
    schedule = models.CharField(_("结算周期"), max_length=8, choices=CommissionSettings.Schedule.choices)
    cutoff = models.DateTimeField(_("截止时间"), help_text=_("订单完成早于此时的佣金进入本批"))
    commission_count = models.PositiveIntegerField(_("佣金笔数"), default=0)
    distributor_count = models.PositiveIntegerField(_("收益人数"), default=0)
    amount_fen = models.BigIntegerField(_("结算金额"), default=0)
    ledger_transaction_id = models.BigIntegerField(_("记账交易"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("结算批次")
        verbose_name_plural = _("结算批次")

    def __str__(self) -> str:
        return self.period


class TeamBonus(models.Model):
    """A partner's monthly team bonus: `rate_bp` of its team's completed sales (net of refunds) in
    `month`, the team being its downline within the two commission levels. One row per distributor and
    month; the ledger posting carries the same key, so a rerun pays nothing twice."""

    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="team_bonuses", verbose_name=_("分销商")
    )
    month = models.CharField(_("月份"), max_length=7, help_text=_("YYYY-MM"))
    level_name = models.CharField(_("等级"), max_length=20)
    rate_bp = models.PositiveIntegerField(_("奖励比例"))
    team_sales_fen = models.BigIntegerField(_("团队销售额"))
    order_count = models.PositiveIntegerField(_("订单数"), default=0)
    amount_fen = models.BigIntegerField(_("奖励金额"))
    ledger_transaction_id = models.BigIntegerField(_("记账交易"), null=True, blank=True)
    created_at = models.DateTimeField(_("发放时间"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "-amount_fen", "id"]
        verbose_name = _("团队奖励")
        verbose_name_plural = _("团队奖励")
        constraints = [
            models.UniqueConstraint(fields=["distributor", "month"], name="team_bonus_once_per_month"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0, team_sales_fen__gte=0), name="team_bonus_amounts_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.distributor_id}/{self.month}"
