"""Promotions: coupons and the coupons people hold, spend-threshold offers (满减送), timed discounts and
quantity tier prices. Every amount is integer fen and every rate integer basis points; what an order
really paid for each line under each of these is recorded on the order's lines (see `pricing`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fenxiao.common.models import TransitionEvent


class Scope(models.TextChoices):
    ALL = "all", _("全部商品")
    CATEGORIES = "categories", _("指定类目")
    PRODUCTS = "products", _("指定商品")


class RunStatus(models.TextChoices):
    """The operator's switch of a promotion; whether it runs now also depends on its time window."""

    ACTIVE = "active", _("进行中")
    PAUSED = "paused", _("已暂停")
    ENDED = "ended", _("已结束")


class DiscountMode(models.TextChoices):
    AMOUNT = "amount", _("减金额")
    PERCENT = "percent", _("打折")


class PromotionSettings(models.Model):
    """One row (pk=1): the operator's choices for promotions as a whole."""

    return_coupon_on_refund = models.BooleanField(
        _("整单退款后退回优惠券"),
        default=True,
        help_text=_("订单全部退款后，所用的优惠券退回买家（在有效期内可再用）。取消订单和超时未付款总会退回。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("更新人")
    )

    class Meta:
        verbose_name = _("营销设置")
        verbose_name_plural = _("营销设置")

    def __str__(self) -> str:
        return str(_("营销设置"))


class ScopedPromotion(models.Model):
    """What coupons and 满减送 share: a name, a scope and a switch."""

    name = models.CharField(_("名称"), max_length=40)
    scope = models.CharField(_("适用范围"), max_length=12, choices=Scope.choices, default=Scope.ALL)
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="+", verbose_name=_("适用类目"))
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="+", verbose_name=_("适用商品"))
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.ACTIVE, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Coupon(ScopedPromotion):
    """A coupon as the operator defines it; the coupons people hold are `UserCoupon` rows."""

    class Validity(models.TextChoices):
        DATES = "dates", _("固定日期")
        DAYS = "days", _("领取后 N 天")

    kind = models.CharField(_("类型"), max_length=10, choices=DiscountMode.choices, default=DiscountMode.AMOUNT)
    amount_fen = models.BigIntegerField(_("面额"), default=0, help_text=_("减金额券：减多少"))
    percent_off_bp = models.PositiveIntegerField(_("折扣"), default=0, help_text=_("打折券：减去的比例，例如 10% 即九折"))
    cap_fen = models.BigIntegerField(_("最多减"), null=True, blank=True, help_text=_("打折券最多减多少；留空不封顶"))
    threshold_fen = models.BigIntegerField(_("使用门槛"), default=0, help_text=_("适用商品优惠后满多少可用；0 为无门槛"))
    validity = models.CharField(_("有效期方式"), max_length=6, choices=Validity.choices, default=Validity.DATES)
    valid_from = models.DateTimeField(_("有效期开始"), null=True, blank=True)
    valid_until = models.DateTimeField(_("有效期结束"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("领取后有效天数"), null=True, blank=True)
    claim_starts_at = models.DateTimeField(_("开始领取"), null=True, blank=True)
    claim_ends_at = models.DateTimeField(_("停止领取"), null=True, blank=True)
    total_quantity = models.PositiveIntegerField(_("发行总量"))
    issued_count = models.PositiveIntegerField(_("已发放"), default=0, editable=False)
    per_person_limit = models.PositiveIntegerField(_("每人限领"), default=1)
    claimable = models.BooleanField(_("领券中心可领"), default=True)
    for_newcomers = models.BooleanField(_("新人礼包"), default=False, help_text=_("新用户注册时自动发放一张"))
    description = models.CharField(_("使用说明"), max_length=200, blank=True)
    campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="coupons", verbose_name=_("所属活动")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("优惠券")
        verbose_name_plural = _("优惠券")
        permissions = [("issue_coupon", _("向用户发放优惠券"))]
        constraints = [
            models.CheckConstraint(condition=Q(issued_count__lte=F("total_quantity")), name="coupon_issued_within_total"),
            models.CheckConstraint(condition=Q(per_person_limit__gte=1), name="coupon_per_person_positive"),
            models.CheckConstraint(
                condition=Q(kind="amount", amount_fen__gt=0) | Q(kind="percent", percent_off_bp__gt=0, percent_off_bp__lt=10000),
                name="coupon_value_valid",
            ),
            models.CheckConstraint(condition=Q(threshold_fen__gte=0), name="coupon_threshold_not_negative"),
            models.CheckConstraint(
                condition=Q(validity="dates", valid_until__isnull=False) | Q(validity="days", valid_days__gte=1),
                name="coupon_validity_set",
            ),
        ]


class UserCoupon(models.Model):
    """A coupon a person holds. Reserved by an order when it is placed, used when that order is paid,
    given back (available again) when the order ends without being paid or is cancelled."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("未使用")
        RESERVED = "reserved", _("下单占用")
        USED = "used", _("已使用")
        REVOKED = "revoked", _("已收回")

    class Source(models.TextChoices):
        CLAIM = "claim", _("领券中心")
        ISSUE = "issue", _("运营发放")
        NEWCOMER = "newcomer", _("新人礼包")
        REFERRAL = "referral", _("邀请奖励")
        STARTER = "starter", _("分销商新人礼包")
        GIFT = "gift", _("满减送赠券")
        MALL = "mall", _("积分兑换")

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("优惠券"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupons", verbose_name=_("用户"))
    # The n-th coupon of this kind this person received: unique, so two parallel claims cannot both be
    # the first (the per-person limit holds without a lock).
    seq = models.PositiveIntegerField(_("第几张"), editable=False)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    source_reference = models.CharField(_("来源单据"), max_length=40, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.AVAILABLE, db_index=True)
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"), db_index=True)
    order_reference = models.CharField(_("使用订单"), max_length=40, blank=True, db_index=True)
    claimed_at = models.DateTimeField(_("领取时间"), default=timezone.now)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        ordering = ["valid_until", "id"]
        verbose_name = _("用户优惠券")
        verbose_name_plural = _("用户优惠券")
        indexes = [models.Index(fields=["user", "status", "valid_until"], name="user_coupon_wallet")]
        constraints = [
            models.UniqueConstraint(fields=["coupon", "user", "seq"], name="user_coupon_seq_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["reserved", "used"], order_reference__gt="") | ~Q(status__in=["reserved", "used"]),
                name="user_coupon_order_when_taken",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id}#{self.user_id}.{self.seq}"


class UserCouponEvent(TransitionEvent):
    user_coupon = models.ForeignKey(UserCoupon, on_delete=models.CASCADE, related_name="events", verbose_name=_("用户优惠券"))
    reference = models.CharField(_("单据"), max_length=40, blank=True)

    class Meta(TransitionEvent.Meta):
        verbose_name = _("优惠券记录")
        verbose_name_plural = _("优惠券记录")


class FullReduction(ScopedPromotion):
    """满减送: the highest tier the in-scope goods meet (after the earlier price stages) applies."""

    class Basis(models.TextChoices):
        AMOUNT = "amount", _("满金额")
        COUNT = "count", _("满件数")

    basis = models.CharField(_("门槛方式"), max_length=6, choices=Basis.choices, default=Basis.AMOUNT)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="full_reductions", verbose_name=_("所属活动")
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("满减送")
        verbose_name_plural = _("满减送")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="full_reduction_window")]


class FullReductionTier(models.Model):
    rule = models.ForeignKey(FullReduction, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("满减送"))
    threshold = models.BigIntegerField(_("门槛"), help_text=_("满金额：金额；满件数：件数"))
    amount_off_fen = models.BigIntegerField(_("减"), default=0)
    free_shipping = models.BooleanField(_("包邮"), default=False)
    gift_coupon = models.ForeignKey(
        Coupon,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("送优惠券"),
        help_text=_("付款后发给买家；订单全额退款时收回未用的"),
    )
    gift_sku = models.ForeignKey(
        "catalog.Sku",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("赠品"),
        help_text=_("买赠：随单发出的 0 元赠品，占用自己的库存；送完即止"),
    )
    gift_quantity = models.PositiveSmallIntegerField(_("赠品数量"), default=1)
    points = models.PositiveIntegerField(_("送积分"), default=0, help_text=_("订单完成后与购物积分一同到账"))

    class Meta:
        ordering = ["rule_id", "threshold"]
        verbose_name = _("满减送档位")
        verbose_name_plural = _("满减送档位")
        constraints = [
            models.UniqueConstraint(fields=["rule", "threshold"], name="full_reduction_tier_unique"),
            models.CheckConstraint(
                condition=Q(threshold__gt=0, amount_off_fen__gte=0, gift_quantity__gte=1), name="full_reduction_tier_values"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}≥{self.threshold}"


class TimedDiscount(models.Model):
    """限时折扣: per SKU an amount or a percentage off, within a time window."""

    name = models.CharField(_("名称"), max_length=40)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.ACTIVE, db_index=True)
    campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="timed_discounts", verbose_name=_("所属活动")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("限时折扣")
        verbose_name_plural = _("限时折扣")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="timed_discount_window")]

    def __str__(self) -> str:
        return self.name


class TimedDiscountItem(models.Model):
    discount = models.ForeignKey(TimedDiscount, on_delete=models.CASCADE, related_name="items", verbose_name=_("限时折扣"))
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+", verbose_name="SKU")
    mode = models.CharField(_("方式"), max_length=10, choices=DiscountMode.choices, default=DiscountMode.PERCENT)
    amount_off_fen = models.BigIntegerField(_("每件减"), default=0)
    percent_off_bp = models.PositiveIntegerField(_("折扣"), default=0, help_text=_("减去的比例，例如 20% 即八折"))

    class Meta:
        ordering = ["discount_id", "id"]
        verbose_name = _("限时折扣商品")
        verbose_name_plural = _("限时折扣商品")
        constraints = [
            models.UniqueConstraint(fields=["discount", "sku"], name="timed_discount_sku_unique"),
            models.CheckConstraint(
                condition=Q(mode="amount", amount_off_fen__gt=0)
                | Q(mode="percent", percent_off_bp__gt=0, percent_off_bp__lt=10000),
                name="timed_discount_value_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.discount_id}:{self.sku_id}"


class QuantityTier(models.Model):
    """阶梯价: buying at least `min_quantity` of one SKU in an order takes `percent_off_bp` off each unit's
    price as it stands after the member price or timed discount."""

    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+", verbose_name="SKU")
    min_quantity = models.PositiveIntegerField(_("起购件数"))
    percent_off_bp = models.PositiveIntegerField(_("折扣"), help_text=_("减去的比例，例如 5% 即九五折"))

    class Meta:
        ordering = ["sku_id", "min_quantity"]
        verbose_name = _("阶梯价")
        verbose_name_plural = _("阶梯价")
        constraints = [
            models.UniqueConstraint(fields=["sku", "min_quantity"], name="quantity_tier_unique"),
            models.CheckConstraint(
                condition=Q(min_quantity__gte=2, percent_off_bp__gt=0, percent_off_bp__lt=10000), name="quantity_tier_values"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}≥{self.min_quantity}"


class PromotionAudit(models.Model):
    """Who created, changed, paused, resumed or ended which promotion, and when; for a change, each
    field that changed with its old and new value."""

    class Kind(models.TextChoices):
        COUPON = "coupon", _("优惠券")
        FULL_REDUCTION = "full_reduction", _("满减送")
        TIMED_DISCOUNT = "timed_discount", _("限时折扣")
        QUANTITY_TIER = "quantity_tier", _("阶梯价")
        FLASH_SALE = "flash", _("秒杀")
        GROUP_BUY = "group", _("拼团")
        BARGAIN = "bargain", _("砍价")

    class Action(models.TextChoices):
        CREATED = "created", _("创建")
        UPDATED = "updated", _("修改")
        PAUSED = "paused", _("暂停")
        RESUMED = "resumed", _("恢复")
        ENDED = "ended", _("结束")

    kind = models.CharField(_("活动类型"), max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField(_("活动编号"))
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True, help_text=_("字段 → [原值, 新值]"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("营销操作记录")
        verbose_name_plural = _("营销操作记录")
        indexes = [models.Index(fields=["kind", "object_id", "created_at"], name="promotion_audit_object")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_id} {self.get_action_display()}"


# --- campaigns, consumer referral, distributor starter pack --------------------------------------------

MAX_EARLY_ACCESS_HOURS = 720


class Campaign(models.Model):
    """大促 or 主题日: a period that groups coupons, 满减送 and timed discounts (each may belong to one
    campaign, and its window lies within the campaign's). Distributors of the chosen levels see it, and
    its promotions apply to them, `early_access_hours` before it starts (活动优先权)."""

    class Kind(models.TextChoices):
        SALE = "sale", _("大促")
        THEME_DAY = "theme_day", _("主题日")

    name = models.CharField(_("名称"), max_length=40)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.SALE)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    description = models.CharField(_("活动说明"), max_length=500, blank=True)
    banner = models.ImageField(
        _("活动头图"), upload_to="campaigns/%Y/%m/", blank=True, help_text=_("建议 750×300，JPG/PNG/WebP，不超过 5 MB")
    )
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.ACTIVE, db_index=True)
    early_access_hours = models.PositiveSmallIntegerField(
        _("优先时长（小时）"), default=0, help_text=_("所选等级的分销商提前多少小时看到活动并享受优惠；0 为不提前")
    )
    early_access_levels = models.ManyToManyField("distribution.Level", blank=True, related_name="+", verbose_name=_("优先等级"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("营销活动")
        verbose_name_plural = _("营销活动")
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="campaign_window")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="campaign_window_valid"),
            models.CheckConstraint(
                condition=Q(early_access_hours__lte=MAX_EARLY_ACCESS_HOURS), name="campaign_early_access_bounded"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReferralCode(models.Model):
    """A customer's own code for inviting friends (老带新), made the first time it is needed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referral_code", verbose_name=_("用户")
    )
    code = models.CharField(_("邀请码"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("好友邀请码")
        verbose_name_plural = _("好友邀请码")

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """A new customer who signed up through somebody's invitation. Both are rewarded once, when the new
    customer's first order completes (pending → rewarded)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待首单完成")
        REWARDED = "rewarded", _("已奖励")

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals_made", verbose_name=_("邀请人")
    )
    referee = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referred_by", verbose_name=_("新用户")
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reference = models.CharField(_("首单"), max_length=40, blank=True, help_text=_("带来奖励的订单号"))
    note = models.CharField(_("奖励说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    rewarded_at = models.DateTimeField(_("奖励时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("好友邀请")
        verbose_name_plural = _("好友邀请")
        constraints = [models.CheckConstraint(condition=~Q(referrer=F("referee")), name="referral_not_self")]

    def __str__(self) -> str:
        return f"{self.referrer_id}→{self.referee_id}"


class ReferralSettings(models.Model):
    """One row (pk=1): what a referral gives the inviter and the new customer, as coupons and/or points."""

    enabled = models.BooleanField(_("开启老带新"), default=True)
    referrer_coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("邀请人奖励券")
    )
    referee_coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("新用户奖励券")
    )
    referrer_points = models.PositiveIntegerField(_("邀请人奖励积分"), default=0)
    referee_points = models.PositiveIntegerField(_("新用户奖励积分"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("老带新设置")
        verbose_name_plural = _("老带新设置")

    def __str__(self) -> str:
        return str(_("老带新设置"))


class StarterPack(models.Model):
    """One row (pk=1): what a distributor receives once, when first approved (分销商新人礼包)."""

    enabled = models.BooleanField(_("开启"), default=True)
    coupons = models.ManyToManyField(Coupon, blank=True, related_name="+", verbose_name=_("赠送优惠券"))
    points = models.PositiveIntegerField(_("赠送积分"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("分销商新人礼包")
        verbose_name_plural = _("分销商新人礼包")

    def __str__(self) -> str:
        return str(_("分销商新人礼包"))


class StarterPackGrant(models.Model):
    """The starter pack given to one distributor: at most one row each, so approving again gives nothing."""

    distributor = models.OneToOneField(
        "distribution.Distributor", on_delete=models.CASCADE, related_name="+", verbose_name=_("分销商")
    )
    created_at = models.DateTimeField(_("发放时间"), auto_now_add=True)
    issued_at = models.DateTimeField(_("到账时间"), null=True, blank=True)
    note = models.CharField(_("发放内容"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("新人礼包发放")
        verbose_name_plural = _("新人礼包发放")

    def __str__(self) -> str:
        return f"{self.distributor_id}"


class PointsMallItem(models.Model):
    """An item of the points mall (积分商城): a coupon, or a product (one SKU) for points, with some cash
    for a product (积分 + 现金). The total is guarded like a coupon's: one conditional UPDATE takes a
    unit (`exchanged_count < total_quantity`)."""

    class Kind(models.TextChoices):
        COUPON = "coupon", _("优惠券")
        PRODUCT = "product", _("商品")

    name = models.CharField(_("名称"), max_length=40)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("兑换的优惠券")
    )
    sku = models.ForeignKey(
        "catalog.Sku", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("兑换的商品规格")
    )
    points_price = models.PositiveIntegerField(_("所需积分"))
    cash_fen = models.BigIntegerField(_("另付现金"), default=0, help_text=_("仅商品：积分 + 现金；0 为纯积分兑换"))
    total_quantity = models.PositiveIntegerField(_("兑换总量"))
    exchanged_count = models.PositiveIntegerField(_("已兑换"), default=0, editable=False)
    per_person_limit = models.PositiveIntegerField(_("每人限兑"), default=1)
    starts_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.ACTIVE, db_index=True)
    sort = models.IntegerField(_("排序"), default=0, help_text=_("数字小的排在前面"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["sort", "-id"]
        verbose_name = _("积分商城商品")
        verbose_name_plural = _("积分商城商品")
        constraints = [
            models.CheckConstraint(condition=Q(exchanged_count__lte=F("total_quantity")), name="mall_item_within_total"),
            models.CheckConstraint(condition=Q(points_price__gt=0), name="mall_item_points_positive"),
            models.CheckConstraint(condition=Q(per_person_limit__gte=1), name="mall_item_per_person_positive"),
            models.CheckConstraint(
                condition=Q(kind="coupon", coupon__isnull=False, sku__isnull=True, cash_fen=0)
                | Q(kind="product", sku__isnull=False, coupon__isnull=True, cash_fen__gte=0),
                name="mall_item_kind_target",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="mall_item_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PointsExchange(models.Model):
    """One exchange of the points mall: the points it took (under `reference`, the spend's reference
    for a coupon; a product's points are spent by its order) and, for a product, the order."""

    class Status(models.TextChoices):
        DONE = "done", _("已兑换")
        RETURNED = "returned", _("已退回")

    item = models.ForeignKey(PointsMallItem, on_delete=models.PROTECT, related_name="exchanges", verbose_name=_("兑换商品"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_exchanges", verbose_name=_("用户")
    )
    # The n-th exchange of this item by this person: unique, so two parallel exchanges cannot both be
    # the last one the per-person limit allows.
    seq = models.PositiveIntegerField(_("第几次"), editable=False)
    points = models.PositiveIntegerField(_("积分"))
    cash_fen = models.BigIntegerField(_("现金"), default=0)
    reference = models.CharField(_("单据"), max_length=40, unique=True)
    order_reference = models.CharField(_("订单"), max_length=40, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DONE, db_index=True)
    created_at = models.DateTimeField(_("兑换时间"), auto_now_add=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("积分兑换记录")
        verbose_name_plural = _("积分兑换记录")
        constraints = [models.UniqueConstraint(fields=["item", "user", "seq"], name="points_exchange_seq_unique")]

    def __str__(self) -> str:
        return self.reference


# The activities (秒杀, 拼团, 砍价) and their orders: a module of their own, loaded with the others.
from .activities import (  # noqa: E402, F401
    Activity,
    ActivityKind,
    ActivityOrder,
    ActivityVisit,
    Bargain,
    BargainActivity,
    BargainEvent,
    BargainHelp,
    FlashItem,
    FlashReminder,
    FlashSale,
    Group,
    GroupBuy,
    GroupBuyItem,
    GroupEvent,
    GroupMember,
    flash_location,
)
