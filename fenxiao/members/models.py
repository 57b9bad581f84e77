"""Consumer membership and points.

Membership: tiers by what a buyer spent on completed orders (net of later refunds) over a rolling
window; each tier brings member prices per SKU, a member-day discount and a points multiplier. The
spending is kept as append-only `MemberSpend` rows; `Membership` caches the window's sum and the tier.

Points are not money and never touch the ledger. Every change is an append-only `PointsMovement`
row; points sit in lots (`PointsLot`: what one order, grant or return put in, and what is left of it),
and `PointsAccount` keeps each user's available and frozen totals in step with the movements, so a
spend is one guarded UPDATE (`available >= n`). `manage.py points_check` proves the three agree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Points multipliers above ×100 are refused (the earning rule divides by 100 × 10000 in one step).
MAX_MULTIPLIER_BP = 1_000_000


class MemberSettings(models.Model):
    """One row (pk=1): the operator's choices for membership and points."""

    member_day = models.PositiveSmallIntegerField(
        _("会员日"),
        null=True,
        blank=True,
        help_text=_("每月几号是会员日（1–31，当月没有这一天则当月没有会员日）；留空不设会员日"),
    )
    earn_points_per_yuan = models.PositiveIntegerField(
        _("每消费 1 元得积分"), default=1, help_text=_("按实付商品金额计，再乘会员等级的积分倍数，向下取整")
    )
    points_per_yuan_off = models.PositiveIntegerField(_("多少积分抵 1 元"), default=100)
    max_points_share_bp = models.PositiveIntegerField(_("积分最多抵扣商品金额"), default=5000)
    points_expiry_months = models.PositiveSmallIntegerField(
        _("积分有效期（月）"), null=True, blank=True, default=12, help_text=_("积分到账（解冻）后多少个月过期；留空永不过期")
    )
    spend_window_days = models.PositiveIntegerField(
        _("等级统计周期（天）"), default=365, help_text=_("按最近多少天已完成订单的消费额评定会员等级")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("会员设置")
        verbose_name_plural = _("会员设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(member_day__isnull=True) | Q(member_day__gte=1, member_day__lte=31), name="member_day_in_month"
            ),
            models.CheckConstraint(condition=Q(points_per_yuan_off__gte=1), name="member_points_ratio_positive"),
            models.CheckConstraint(condition=Q(max_points_share_bp__lte=10000), name="member_points_share_at_most_all"),
            models.CheckConstraint(condition=Q(spend_window_days__gte=1), name="member_spend_window_positive"),
            models.CheckConstraint(
                condition=Q(points_expiry_months__isnull=True) | Q(points_expiry_months__gte=1),
                name="member_points_expiry_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(_("会员设置"))


class MemberTier(models.Model):
    """A consumer tier, reached by spending `min_spend_fen` within the window (separate from distributor levels)."""

    name = models.CharField(_("名称"), max_length=20, unique=True)
    min_spend_fen = models.BigIntegerField(_("消费门槛"), help_text=_("统计周期内已完成订单的实付商品金额（扣除退款）达到多少"))
    points_multiplier_bp = models.PositiveIntegerField(_("积分倍数"), default=10000, help_text=_("100% 即 1 倍，150% 即 1.5 倍"))
    member_day_discount_bp = models.PositiveIntegerField(
        _("会员日折扣"), default=0, help_text=_("会员日按零售价减去的比例，例如 5% 即九五折")
    )
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["min_spend_fen", "sort", "id"]
        verbose_name = _("会员等级")
        verbose_name_plural = _("会员等级")
        constraints = [
            models.CheckConstraint(condition=Q(min_spend_fen__gte=0), name="member_tier_threshold_not_negative"),
            models.CheckConstraint(
                condition=Q(points_multiplier_bp__gte=1, points_multiplier_bp__lte=MAX_MULTIPLIER_BP),
                name="member_tier_multiplier_range",
            ),
            models.CheckConstraint(condition=Q(member_day_discount_bp__lt=10000), name="member_tier_day_discount_below_all"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberPrice(models.Model):
    """The price of one SKU for buyers of one tier."""

    tier = models.ForeignKey(MemberTier, on_delete=models.CASCADE, related_name="prices", verbose_name=_("会员等级"))
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+", verbose_name=_("SKU"))
    price_fen = models.BigIntegerField(_("会员价"))

    class Meta:
        ordering = ["tier", "sku"]
        verbose_name = _("会员价")
        verbose_name_plural = _("会员价")
        constraints = [
            models.UniqueConstraint(fields=["tier", "sku"], name="member_price_unique"),
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="member_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.tier_id}/{self.sku_id}"


class Membership(models.Model):
    """A buyer's tier and the spending within the window it was last worked out from."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("用户")
    )
    tier = models.ForeignKey(
        MemberTier, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("会员等级")
    )
    spend_fen = models.BigIntegerField(_("周期内消费"), default=0)
    tier_changed_at = models.DateTimeField(_("等级变动时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("会员")
        verbose_name_plural = _("会员")

    def __str__(self) -> str:
        return f"{self.user_id}"


class MemberSpend(models.Model):
    """Append-only: +amount when an order completes, −amount when a completed order is refunded later.
    `at` is when the spending counts (the order's completion, also for its later refunds, so a refund
    leaves the window together with the spending it takes back)."""

    class Kind(models.TextChoices):
        COMPLETED = "completed", _("订单完成")
        REFUNDED = "refunded", _("完成后退款")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    reference = models.CharField(_("订单"), max_length=40, db_index=True)
    refund_reference = models.CharField(_("退款单据"), max_length=60, blank=True)
    amount_fen = models.BigIntegerField(_("金额"))
    at = models.DateTimeField(_("计入时间"), db_index=True)
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("会员消费记录")
        verbose_name_plural = _("会员消费记录")
        indexes = [models.Index(fields=["user", "at"], name="member_spend_window")]
        constraints = [
            models.UniqueConstraint(fields=["reference"], condition=Q(kind="completed"), name="member_spend_completed_once"),
            models.UniqueConstraint(fields=["refund_reference"], condition=Q(kind="refunded"), name="member_spend_refund_once"),
            models.CheckConstraint(
                condition=Q(kind="completed", amount_fen__gte=0) | Q(kind="refunded", amount_fen__lt=0), name="member_spend_sign"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount_fen}"


class PointsAccount(models.Model):
    """A user's points, kept in step with the movements: `available` can be spent, `frozen` waits for
    its order to complete."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="points_account", verbose_name=_("用户")
    )
    available = models.BigIntegerField(_("可用积分"), default=0)
    frozen = models.BigIntegerField(_("冻结积分"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        constraints = [
            models.CheckConstraint(condition=Q(available__gte=0), name="points_available_not_negative"),
            models.CheckConstraint(condition=Q(frozen__gte=0), name="points_frozen_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.available}+{self.frozen}"


class PointsSource(models.TextChoices):
    ORDER = "order", _("购物奖励")
    GRANT = "grant", _("运营发放")
    INVITATION = "invitation", _("邀请奖励")
    LEADERBOARD = "leaderboard", _("排行榜奖励")
    RETURN = "return", _("积分退回")


class PointsLot(models.Model):
    """Points put in at once (an order's earnings, a grant, a return) and what is left of them. Frozen
    until its order completes; the expiry clock starts when it becomes available."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户"))
    source = models.CharField(_("来源"), max_length=12, choices=PointsSource.choices)
    reference = models.CharField(_("单据"), max_length=60)
    amount = models.BigIntegerField(_("积分"))
    remaining = models.BigIntegerField(_("剩余"))
    frozen = models.BooleanField(_("冻结中"), default=False)
    created_at = models.DateTimeField(_("入账时间"), default=timezone.now)
    unfrozen_at = models.DateTimeField(_("解冻时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True, help_text=_("冻结中或永不过期时为空"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("积分批次")
        verbose_name_plural = _("积分批次")
        indexes = [
            models.Index(fields=["user", "frozen", "expires_at"], name="points_lot_fifo"),
            models.Index(fields=["reference"], name="points_lot_reference"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="points_lot_amount_positive"),
            models.CheckConstraint(condition=Q(remaining__gte=0, remaining__lte=F("amount")), name="points_lot_remaining_range"),
            # An order earns once and a grant is made once per reference; returns may make several lots.
            models.UniqueConstraint(fields=["source", "reference"], condition=~Q(source="return"), name="points_lot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.reference}: {self.remaining}/{self.amount}"


class PointsMovement(models.Model):
    """Append-only: one change of one lot. `available_delta` and `frozen_delta` are what it did to the
    user's two totals (an unfreeze moves points from one to the other)."""

    class Kind(models.TextChoices):
        EARN_FROZEN = "earn_frozen", _("购物奖励（冻结）")
        UNFREEZE = "unfreeze", _("解冻到账")
        SPEND = "spend", _("下单抵扣")
        SPEND_RETURN = "spend_return", _("抵扣退回")
        REFUND_REVERSE = "refund_reverse", _("退款扣回")
        EXPIRE = "expire", _("过期")
        GRANT = "grant", _("发放")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    available_delta = models.BigIntegerField(_("可用变动"), default=0)
    frozen_delta = models.BigIntegerField(_("冻结变动"), default=0)
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="movements", verbose_name=_("积分批次"))
    # The lot an order's spend first took from: the same as `lot` for a spend, the spent lot for a return
    # (which may go to a new lot when that one expired meanwhile).
    origin_lot = models.ForeignKey(
        PointsLot, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("原批次")
    )
    reference = models.CharField(_("单据"), max_length=60, db_index=True)
    shortfall = models.BigIntegerField(_("未能扣回"), default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("积分明细")
        verbose_name_plural = _("积分明细")
        permissions = [("grant_points", _("向用户发放积分"))]
        indexes = [models.Index(fields=["user", "at"], name="points_movement_user")]
        constraints = [models.CheckConstraint(condition=Q(shortfall__gte=0), name="points_movement_shortfall_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delta:+d}"

    @property
    def delta(self) -> int:
        """What the movement did to the user's points in all (available and frozen together)."""
        return self.available_delta + self.frozen_delta
