"""Distributor growth: the operator's upgrade conditions per level, the record of every level change
with the figures behind it, and the in-app notices that tell a distributor about it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fenxiao.common.money import yuan


class LevelRule(models.Model):
    """How a distributor reaches one level (and, optionally, loses it at the monthly evaluation)."""

    class Combine(models.TextChoices):
        ALL = "all", _("全部满足")
        ANY = "any", _("满足任一")

    level = models.OneToOneField(
        "distribution.Level", on_delete=models.CASCADE, related_name="growth_rule", verbose_name=_("等级")
    )
    combine = models.CharField(_("条件组合"), max_length=3, choices=Combine.choices, default=Combine.ALL)
    is_enabled = models.BooleanField(_("启用"), default=True)
    downgrade_enabled = models.BooleanField(
        _("允许降级"), default=False, help_text=_("月度评估时不再满足本等级条件的分销商降一级（保护期内除外）")
    )
    protection_days = models.PositiveIntegerField(_("升级保护期（天）"), default=30)
    downgrade_after_months = models.PositiveSmallIntegerField(
        _("连续未达标月数"), default=1, help_text=_("连续这么多个评估月不满足本等级条件才降级（1 = 一个月不达标即降级）")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("更新人")
    )

    class Meta:
        ordering = ["level__rank"]
        verbose_name = _("升级规则")
        verbose_name_plural = _("升级规则")
        constraints = [
            models.CheckConstraint(condition=Q(protection_days__lte=3650), name="growth_protection_days_range"),
            models.CheckConstraint(
                condition=Q(downgrade_after_months__gte=1, downgrade_after_months__lte=12), name="growth_downgrade_months_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self.level)


class LevelCondition(models.Model):
    """One condition of a rule: a figure of the distributor must reach `threshold` (a count, or fen)."""

    class Kind(models.TextChoices):
        DIRECT_INVITES = "direct_invites", _("直推（已审核）")
        PERSONAL_SALES_MONTH = "personal_sales_month", _("本月个人销售")
        PERSONAL_SALES_30D = "personal_sales_30d", _("近30天个人销售")
        TEAM_SIZE = "team_size", _("团队人数")
        TEAM_SALES_MONTH = "team_sales_month", _("本月团队销售")
        FIRST_PURCHASE_FEN = "first_purchase_fen", _("首单金额")

    rule = models.ForeignKey(LevelRule, on_delete=models.CASCADE, related_name="conditions", verbose_name=_("规则"))
    kind = models.CharField(_("条件"), max_length=24, choices=Kind.choices)
    threshold = models.BigIntegerField(_("门槛"), help_text=_("人数，或金额"))

    class Meta:
        ordering = ["rule_id", "id"]
        verbose_name = _("升级条件")
        verbose_name_plural = _("升级条件")
        constraints = [
            models.UniqueConstraint(fields=["rule", "kind"], name="growth_condition_kind_once"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="growth_condition_threshold_not_negative"),
        ]

    def __str__(self) -> str:
        threshold = f"¥{yuan(self.threshold)}" if self.kind in MONEY_KINDS else self.threshold
        return f"{self.get_kind_display()} ≥ {threshold}"


MONEY_KINDS = frozenset(
    {
        LevelCondition.Kind.PERSONAL_SALES_MONTH,
        LevelCondition.Kind.PERSONAL_SALES_30D,
        LevelCondition.Kind.TEAM_SALES_MONTH,
        LevelCondition.Kind.FIRST_PURCHASE_FEN,
    }
)


class LevelChange(models.Model):
    """One change of a distributor's level: why, by whom, and the figures that caused it. A monthly
    change carries its period ("YYYY-MM"); one per distributor and period makes a rerun harmless."""

    class Reason(models.TextChoices):
        INSTANT = "instant", _("即时升级")
        MONTHLY = "monthly", _("月度评估")
        MANUAL = "manual", _("手动调整")

    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.CASCADE, related_name="level_changes", verbose_name=_("分销商")
    )
    from_level = models.ForeignKey(
        "distribution.Level", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("原等级")
    )
    to_level = models.ForeignKey("distribution.Level", on_delete=models.PROTECT, related_name="+", verbose_name=_("新等级"))
    is_upgrade = models.BooleanField(_("升级"))
    reason = models.CharField(_("原因"), max_length=10, choices=Reason.choices)
    figures = models.JSONField(_("当时数据"), default=dict)
    period = models.CharField(_("评估月份"), max_length=7, blank=True, default="")
    note = models.CharField(_("备注"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("等级变动")
        verbose_name_plural = _("等级变动")
        indexes = [models.Index(fields=["distributor", "-created_at"], name="growth_change_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["distributor", "period"], condition=~Q(period=""), name="growth_change_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.distributor_id}: {self.from_level_id} → {self.to_level_id}"


class LevelStrike(models.Model):
    """Consecutive evaluated months in which a distributor missed its level's rule, for a rule that
    downgrades only after several. Kept by the monthly evaluation; a month that is met ends the streak."""

    distributor = models.OneToOneField(
        "distribution.Distributor", primary_key=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("分销商")
    )
    level = models.ForeignKey("distribution.Level", on_delete=models.CASCADE, related_name="+", verbose_name=_("等级"))
    misses = models.PositiveSmallIntegerField(_("连续未达标月数"))
    last_period = models.CharField(_("最近未达标月份"), max_length=7)

    class Meta:
        verbose_name = _("未达标记录")
        verbose_name_plural = _("未达标记录")

    def __str__(self) -> str:
        return f"{self.distributor_id}: {self.misses}"


class Notification(models.Model):
    """An in-app notice for a user (站内消息)."""

    class Kind(models.TextChoices):
        LEVEL_CHANGE = "level_change", _("等级变动")
        LEADERBOARD_PRIZE = "leaderboard_prize", _("排行榜奖励")
        APPLY_INVITATION = "apply_invitation", _("邀请申请分销商")
        INVITATION_REWARD = "invitation_reward", _("邀请奖励")
        SHOP_MODERATED = "shop_moderated", _("店铺审核")
        FLASH_REMINDER = "flash_reminder", _("秒杀开抢提醒")
        STOCK_ALERT = "stock_alert", _("安全库存预警")
        BATCH_RECALL = "batch_recall", _("批次召回")
        SHIPMENT_EXCEPTION = "shipment_exception", _("发货异常")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("用户")
    )
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=80)
    body = models.CharField(_("内容"), max_length=500, blank=True)
    url = models.CharField(_("链接"), max_length=200, blank=True, help_text=_("站内页面路径，例如 /dc/level/"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        indexes = [models.Index(fields=["user", "-created_at"], name="growth_notice_recent")]

    def __str__(self) -> str:
        return self.title


class SafetyStockAlert(models.Model):
    """A stock record whose free units fell below its safety stock and whose staff were told: no
    second notice until the record went back up to its safety stock (the row is then removed)."""

    stock_record = models.OneToOneField(
        "inventory.StockRecord", on_delete=models.CASCADE, related_name="+", verbose_name=_("库存")
    )
    available = models.BigIntegerField(_("预警时可用"))
    safety_stock = models.BigIntegerField(_("安全库存"))
    alerted_at = models.DateTimeField(_("预警时间"), default=timezone.now)

    class Meta:
        ordering = ["-alerted_at", "-id"]
        verbose_name = _("安全库存预警")
        verbose_name_plural = _("安全库存预警")

    def __str__(self) -> str:
        return f"{self.stock_record_id} < {self.safety_stock}"


class InvitationRung(models.Model):
    """One rung of the invitation ladder (裂变奖励): reach `invites` invitations, claim the reward once.

    `basis` says which invitees count. A valid invitation (the default) is an invitee who completed a
    first real order, or was approved after a first purchase: the reward follows sales. Counting every
    approved invitee pays for heads alone; the operator console warns about such a rung.
    """

    class Basis(models.TextChoices):
        VALID = "valid", _("有效邀请（受邀人已完成首单）")
        HEADS = "heads", _("所有已审核的受邀人（只看人头）")

    class Reward(models.TextChoices):
        GIFT = "gift", _("礼品")
        CASH = "cash", _("现金")
        POINTS = "points", _("积分")

    invites = models.PositiveIntegerField(_("邀请人数"), unique=True)
    basis = models.CharField(_("计数口径"), max_length=8, choices=Basis.choices, default=Basis.VALID)
    reward = models.CharField(_("奖励"), max_length=8, choices=Reward.choices)
    cash_fen = models.BigIntegerField(_("现金"), default=0)
    cash_approved_fen = models.BigIntegerField(
        _("财务批准的现金"),
        default=0,
        editable=False,
        help_text=_("现金奖励经财务批准后才能领取；金额改动后须重新批准"),
    )
    gift_name = models.CharField(_("礼品"), max_length=60, blank=True)
    points = models.PositiveIntegerField(_("积分"), default=0)
    is_enabled = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["invites"]
        verbose_name = _("邀请阶梯奖励")
        verbose_name_plural = _("邀请阶梯奖励")
        constraints = [
            models.CheckConstraint(condition=models.Q(invites__gte=1), name="growth_rung_invites_positive"),
            models.CheckConstraint(condition=models.Q(cash_fen__gte=0), name="growth_rung_cash_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.invites} → {self.get_reward_display()}"

    @property
    def heads_only(self) -> bool:
        return self.basis == self.Basis.HEADS

    @property
    def cash_awaiting_approval(self) -> bool:
        return self.reward == self.Reward.CASH and self.cash_approved_fen != self.cash_fen


class InvitationReward(models.Model):
    """A rung claimed by a distributor: once per distributor and rung (the unique constraint and the
    ledger key both say so). Cash is credited to the available balance through the ledger; points are
    credited to the distributor's member points (fenxiao.members); gifts are recorded here for the
    operator to hand out."""

    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="invitation_rewards", verbose_name=_("分销商")
    )
    rung = models.ForeignKey(InvitationRung, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("阶梯"))
    invites_counted = models.PositiveIntegerField(_("领取时邀请人数"))
    reward = models.CharField(_("奖励"), max_length=8, choices=InvitationRung.Reward.choices)
    cash_fen = models.BigIntegerField(_("现金"), default=0)
    gift_name = models.CharField(_("礼品"), max_length=60, blank=True)
    points = models.PositiveIntegerField(_("积分"), default=0)
    ledger_transaction_id = models.BigIntegerField(_("记账交易"), null=True, blank=True)
    created_at = models.DateTimeField(_("领取时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("邀请奖励发放")
        verbose_name_plural = _("邀请奖励发放")
        constraints = [models.UniqueConstraint(fields=["distributor", "rung"], name="growth_reward_once_per_rung")]

    def __str__(self) -> str:
        return f"{self.distributor_id}/{self.rung_id}"


class LeaderboardPrize(models.Model):
    """An operator-defined prize for a rank range of one board (sales or valid invites) and period kind
    (month or quarter). When a period closes, every distributor whose competition rank falls in the
    range wins it: two tied at rank 3 both win the rank-3 prize."""

    class Board(models.TextChoices):
        SALES = "sales", _("销售额")
        INVITES = "invites", _("有效邀请")

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("月度")
        QUARTER = "quarter", _("季度")

    board = models.CharField(_("榜单"), max_length=8, choices=Board.choices)
    period_kind = models.CharField(_("周期"), max_length=8, choices=PeriodKind.choices)
    rank_from = models.PositiveIntegerField(_("起始名次"))
    rank_to = models.PositiveIntegerField(_("结束名次"))
    reward = models.CharField(_("奖励"), max_length=8, choices=InvitationRung.Reward.choices)
    cash_fen = models.BigIntegerField(_("现金"), default=0)
    gift_name = models.CharField(_("礼品"), max_length=60, blank=True)
    points = models.PositiveIntegerField(_("积分"), default=0)
    is_enabled = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("更新人")
    )

    class Meta:
        ordering = ["board", "period_kind", "rank_from"]
        verbose_name = _("排行榜奖品")
        verbose_name_plural = _("排行榜奖品")
        constraints = [
            models.CheckConstraint(condition=Q(rank_from__gte=1), name="growth_prize_rank_from_positive"),
            models.CheckConstraint(condition=Q(rank_to__gte=models.F("rank_from")), name="growth_prize_rank_range"),
            models.CheckConstraint(condition=Q(rank_to__lte=50), name="growth_prize_rank_on_board"),
            models.CheckConstraint(condition=Q(cash_fen__gte=0), name="growth_prize_cash_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_board_display()} {self.get_period_kind_display()} #{self.rank_from}-{self.rank_to}"


class LeaderboardClose(models.Model):
    """A board's period closed and its prizes awarded: one row per (board, period kind, period), so
    closing the same period again awards nothing."""

    board = models.CharField(_("榜单"), max_length=8, choices=LeaderboardPrize.Board.choices)
    period_kind = models.CharField(_("周期"), max_length=8, choices=LeaderboardPrize.PeriodKind.choices)
    period = models.CharField(_("期间"), max_length=8, help_text=_("2026-10 或 2026-Q3"))
    winners = models.PositiveIntegerField(_("获奖人数"), default=0)
    cash_fen = models.BigIntegerField(_("现金合计"), default=0)
    ledger_transaction_id = models.BigIntegerField(_("记账交易"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    closed_at = models.DateTimeField(_("结榜时间"), default=timezone.now)

    class Meta:
        ordering = ["-closed_at", "-id"]
        verbose_name = _("排行榜结榜")
        verbose_name_plural = _("排行榜结榜")
        constraints = [
            models.UniqueConstraint(fields=["board", "period_kind", "period"], name="growth_board_closed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_board_display()} {self.period}"


class LeaderboardAward(models.Model):
    """A prize won at a period close: the rank and figure it was won with, and what was given. Cash is
    credited to the winner's available balance through the ledger once approved; points are credited to
    the winner's member points (fenxiao.members) at the close; gifts are records for the operator to
    hand out."""

    close = models.ForeignKey(LeaderboardClose, on_delete=models.PROTECT, related_name="awards", verbose_name=_("结榜"))
    prize = models.ForeignKey(LeaderboardPrize, on_delete=models.PROTECT, related_name="awards", verbose_name=_("奖品"))
    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="leaderboard_awards", verbose_name=_("分销商")
    )
    rank = models.PositiveIntegerField(_("名次"))
    value = models.BigIntegerField(_("成绩"), help_text=_("销售额或有效邀请人数"))
    reward = models.CharField(_("奖励"), max_length=8, choices=InvitationRung.Reward.choices)
    cash_fen = models.BigIntegerField(_("现金"), default=0)
    gift_name = models.CharField(_("礼品"), max_length=60, blank=True)
    points = models.PositiveIntegerField(_("积分"), default=0)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["close_id", "rank", "id"]
        verbose_name = _("排行榜获奖")
        verbose_name_plural = _("排行榜获奖")
        constraints = [models.UniqueConstraint(fields=["close", "distributor"], name="growth_award_once_per_close")]

    def __str__(self) -> str:
        return f"{self.close_id}#{self.rank} {self.distributor_id}"


class ApplyInvitation(models.Model):
    """A consumer asked to become a distributor after its first completed order (one per user). It
    records when the user applied and when it was approved, so the operator sees the conversion of
    consumers into distributors."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="apply_invitation", verbose_name=_("用户")
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("触发订单")
    )
    invited_by = models.ForeignKey(
        "distribution.Distributor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("推荐分销商"),
        help_text=_("下单时绑定的分销商，成为分销商后即为其上级"),
    )
    created_at = models.DateTimeField(_("邀请时间"), default=timezone.now, db_index=True)
    applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("成为分销商时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消费者转化邀请")
        verbose_name_plural = _("消费者转化邀请")

    def __str__(self) -> str:
        return str(self.user_id)
