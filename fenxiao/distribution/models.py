"""The distributor network: the operator's settings, levels, distributors and their tree, the
binding of customers to distributors, and the audit trails of both."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_COMMISSION_LEVELS = 2  # direct + indirect, never more: the legal line against pyramid selling


class DistributionSettings(models.Model):
    """One row (pk=1): how distributors are admitted and how customers are bound."""

    class Admission(models.TextChoices):
        OPEN = "open", _("自由加入")
        REVIEW = "review", _("审核加入")
        THRESHOLD = "threshold", _("门槛加入（首单金额）")

    class BindingPolicy(models.TextChoices):
        PERMANENT = "permanent", _("永久绑定（首次绑定有效）")
        EXPIRING = "expiring", _("有效期绑定（到期后可被新链接绑定）")

    admission_mode = models.CharField(_("加入方式"), max_length=10, choices=Admission.choices, default=Admission.REVIEW)
    threshold_fen = models.BigIntegerField(_("首单门槛"), default=9900)
    binding_policy = models.CharField(
        _("绑定规则"), max_length=10, choices=BindingPolicy.choices, default=BindingPolicy.PERMANENT
    )
    binding_days = models.PositiveIntegerField(_("绑定有效天数"), default=30)
    commission_levels = models.PositiveSmallIntegerField(
        _("佣金层级数"), default=2, help_text=_("1 = 只有直推；2 = 直推 + 间推。最多两级。")
    )
    self_purchase_commission = models.BooleanField(_("自购返佣"), default=True)
    staff_may_distribute = models.BooleanField(
        _("允许员工成为分销商"),
        default=False,
        help_text=_("关闭时，员工账号不能申请或被审核为分销商（避免员工审批与自己有关的佣金和提现）。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("更新人")
    )

    class Meta:
        verbose_name = _("分销设置")
        verbose_name_plural = _("分销设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_levels__gte=1, commission_levels__lte=MAX_COMMISSION_LEVELS),
                name="commission_levels_one_or_two",
            ),
            models.CheckConstraint(condition=Q(threshold_fen__gte=0), name="threshold_not_negative"),
            models.CheckConstraint(condition=Q(binding_days__gte=1), name="binding_days_positive"),
        ]

    def __str__(self) -> str:
        return str(_("分销设置"))


class Level(models.Model):
    """A distributor level with its direct and indirect commission rates (basis points)."""

    name = models.CharField(_("名称"), max_length=20, unique=True)
    rank = models.PositiveSmallIntegerField(_("等级序号"), unique=True, help_text=_("数字越大等级越高；最低的是默认等级"))
    direct_rate_bp = models.PositiveIntegerField(_("直推佣金"))
    indirect_rate_bp = models.PositiveIntegerField(_("间推佣金"))
    team_bonus_bp = models.PositiveIntegerField(_("团队奖励"), default=0)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("分销等级")
        verbose_name_plural = _("分销等级")
        constraints = [
            models.CheckConstraint(
                condition=Q(direct_rate_bp__lte=10000, indirect_rate_bp__lte=10000, team_bonus_bp__lte=10000),
                name="level_rates_at_most_100pct",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Distributor(models.Model):
    """A user's distributor profile. The inviter is fixed when the application is made; `path` holds
    the ids from the root down to this distributor ("/1/5/23/") and never changes, so the upline
    chain is one indexed lookup and loops can be refused by reading it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        AWAITING_PURCHASE = "awaiting_purchase", _("待完成首单")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已拒绝")
        SUSPENDED = "suspended", _("已暂停")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="distributor", verbose_name=_("用户")
    )
    code = models.CharField(_("邀请码"), max_length=12, unique=True)
    inviter = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="invitees", verbose_name=_("上级")
    )
    path = models.CharField(_("关系路径"), max_length=1024, blank=True, default="")
    depth = models.PositiveIntegerField(_("层深"), default=0)
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="distributors", verbose_name=_("等级"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    real_name = models.CharField(_("姓名"), max_length=32, blank=True)
    apply_note = models.CharField(_("申请说明"), max_length=200, blank=True)
    reject_reason = models.CharField(_("拒绝原因"), max_length=200, blank=True)
    applied_at = models.DateTimeField(_("申请时间"))
    approved_at = models.DateTimeField(_("通过时间"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"))

    class Meta:
        verbose_name = _("分销商")
        verbose_name_plural = _("分销商")
        indexes = [
            # Serves the downline pages in their display order, so the first page of a large team
            # is read from the index instead of sorting the whole team.
            models.Index(fields=["inviter", "status", "-approved_at", "-id"], name="distributor_downline"),
            # The console home's new distributors per period.
            models.Index(fields=["approved_at"], name="distributor_approved_time", condition=Q(approved_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.user.display_name}"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    def ancestor_ids(self) -> list[int]:
        """Ids of the upline from the root down to the direct inviter (self excluded)."""
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return ids[:-1] if ids and ids[-1] == self.pk else ids


class DistributorEvent(models.Model):
    """One row per status change of a distributor: who did it, when, from what to what and why."""

    distributor = models.ForeignKey(Distributor, on_delete=models.CASCADE, related_name="events", verbose_name=_("分销商"))
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("分销商状态记录")
        verbose_name_plural = _("分销商状态记录")

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class Binding(models.Model):
    """Which distributor a customer belongs to (绑定关系). One row per customer."""

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="binding", verbose_name=_("客户")
    )
    distributor = models.ForeignKey(Distributor, on_delete=models.PROTECT, related_name="bindings", verbose_name=_("分销商"))
    bound_at = models.DateTimeField(_("绑定时间"))
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("客户绑定")
        verbose_name_plural = _("客户绑定")

    def __str__(self) -> str:
        return f"{self.customer} → {self.distributor.code}"


class BindingEvent(models.Model):
    """The audit trail of bindings: every change, and every refused attempt with its reason."""

    class Action(models.TextChoices):
        BOUND = "bound", _("首次绑定")
        REBOUND = "rebound", _("到期后改绑")
        RENEWED = "renewed", _("续期")
        REFUSED_SELF = "refused_self", _("拒绝：绑定自己")
        REFUSED_LOOP = "refused_loop", _("拒绝：形成循环")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="binding_events", verbose_name=_("客户")
    )
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)
    old_distributor = models.ForeignKey(
        Distributor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("原分销商")
    )
    new_distributor = models.ForeignKey(
        Distributor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("新分销商")
    )
    source = models.CharField(_("来源"), max_length=20, blank=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("绑定记录")
        verbose_name_plural = _("绑定记录")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.customer_id}"


class Visit(models.Model):
    """One opening of a share link: the shop or a product, by whom if known."""

    distributor = models.ForeignKey(Distributor, on_delete=models.CASCADE, related_name="visits", verbose_name=_("分销商"))
    product_id = models.BigIntegerField(_("商品"), null=True, blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("访客")
    )
    session_key = models.CharField(max_length=40, blank=True)
    channel = models.CharField(_("渠道"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("访问")
        verbose_name_plural = _("访问")
        indexes = [
            models.Index(fields=["distributor", "created_at"], name="visit_distributor_time"),
            # The console home's visitors per period, counted from the index alone.
            models.Index(fields=["created_at", "visitor", "session_key"], name="visit_time_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.distributor_id} @ {self.created_at:%Y-%m-%d %H:%M}"


SHOP_MAX_FEATURES = 12


class DistributorShop(models.Model):
    """A distributor's own shop front (一键开店): the name, avatar and welcome line its share page and
    poster show. The row exists once the distributor first saves something; until then the share
    page uses the default "<nickname>的小店"."""

    distributor = models.OneToOneField(Distributor, on_delete=models.CASCADE, related_name="shop", verbose_name=_("分销商"))
    name = models.CharField(_("店名"), max_length=20)
    avatar = models.ImageField(_("店铺头像"), upload_to="shops/avatars/%Y/%m/", blank=True)
    welcome = models.CharField(_("欢迎语"), max_length=60, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("分销商小店")
        verbose_name_plural = _("分销商小店")

    def __str__(self) -> str:
        return self.name


class ShopFeature(models.Model):
    """One featured product of a shop and its place in the shop's order (0 first). The product is
    kept by id, so a product taken off the shelf simply stops showing instead of blocking the catalog."""

    shop = models.ForeignKey(DistributorShop, on_delete=models.CASCADE, related_name="features", verbose_name=_("小店"))
    product_id = models.BigIntegerField(_("商品"))
    position = models.PositiveSmallIntegerField(_("顺序"))

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("小店推荐商品")
        verbose_name_plural = _("小店推荐商品")
        constraints = [
            models.UniqueConstraint(fields=["shop", "product_id"], name="shop_feature_unique_product"),
            models.UniqueConstraint(fields=["shop", "position"], name="shop_feature_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}#{self.position}: {self.product_id}"
