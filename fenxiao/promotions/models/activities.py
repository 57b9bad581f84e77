"""Marketing activities (营销活动) that spread through distributors' links: flash sales (秒杀), group buys
(拼团) and bargains (砍价). An order belongs to at most one activity; its activity price is the first
stage of the price pipeline and the order then takes no coupon, 满减 or member price (points only when
the activity allows them). `ActivityOrder` links an order to its activity: the orders app writes it.

Amounts are integer fen. A flash sale's units sit in a stock location of their own
(`flash:<item id>`) while it runs, moved out of the platform warehouse when it starts and back when
it ends, so a unit is never counted twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.common.models import TransitionEvent

from . import RunStatus


class ActivityKind(models.TextChoices):
    FLASH = "flash", _("秒杀")
    GROUP = "group", _("拼团")
    BARGAIN = "bargain", _("砍价")


class Activity(models.Model):
    """What every activity has: a window, the operator's switch, whether its orders pay commission
    and may use points, the share text (screened; no reward is ever tied to sharing), and who made it."""

    name = models.CharField(_("名称"), max_length=40)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.ACTIVE, db_index=True)
    pays_commission = models.BooleanField(_("计算佣金"), default=True, help_text=_("活动订单按实付金额给分销商计佣"))
    allow_points = models.BooleanField(_("可用积分"), default=False, help_text=_("活动订单能否使用积分抵扣"))
    share_text = models.CharField(
        _("分享文案"), max_length=120, blank=True, help_text=_("经敏感词检查；不得以分享为条件给予奖励")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.name


# --- flash sales (秒杀) ------------------------------------------------------------------------------


class FlashSale(Activity):
    """One slot (场次) of the day's flash sales: its items are on sale from starts_at to ends_at."""

    unpaid_timeout_minutes = models.PositiveSmallIntegerField(
        _("支付时限（分钟）"), default=5, help_text=_("超时未付款，名额回到秒杀库存")
    )
    stock_moved_at = models.DateTimeField(_("库存转入时间"), null=True, blank=True, editable=False)
    stock_returned_at = models.DateTimeField(_("库存退回时间"), null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(_("开抢提醒时间"), null=True, blank=True, editable=False)

    class Meta(Activity.Meta):
        verbose_name = _("秒杀场次")
        verbose_name_plural = _("秒杀场次")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="flash_sale_window"),
            models.CheckConstraint(
                condition=Q(unpaid_timeout_minutes__gte=1, unpaid_timeout_minutes__lte=60), name="flash_sale_timeout"
            ),
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="flash_sale_window_idx")]


class FlashItem(models.Model):
    """A SKU in a flash sale: its activity price, the units set aside for it, and the limits."""

    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="items", verbose_name=_("秒杀场次"))
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name="SKU")
    price_fen = models.BigIntegerField(_("秒杀价"))
    quantity = models.PositiveIntegerField(_("秒杀库存"), help_text=_("开始时从平台仓转入秒杀库存，结束时未售出的退回"))
    moved_quantity = models.PositiveIntegerField(_("已转入"), default=0, editable=False)
    per_person_limit = models.PositiveSmallIntegerField(_("每人限购"), default=1)
    per_order_limit = models.PositiveSmallIntegerField(_("每单限购"), default=1)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sale_id", "position", "id"]
        verbose_name = _("秒杀商品")
        verbose_name_plural = _("秒杀商品")
        constraints = [
            models.UniqueConstraint(fields=["sale", "sku"], name="flash_item_sku_unique"),
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="flash_item_price_positive"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="flash_item_quantity_positive"),
            models.CheckConstraint(
                condition=Q(per_person_limit__gte=1, per_order_limit__gte=1, per_order_limit__lte=F("per_person_limit")),
                name="flash_item_limits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}:{self.sku_id}"

    @property
    def location(self) -> str:
        return flash_location(self.pk)


def flash_location(item_id: int) -> str:
    """The stock location holding a flash item's units while its sale runs."""
    return f"flash:{item_id}"


class FlashReminder(models.Model):
    """ "Remind me" (开抢提醒): a notice when the sale starts."""

    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("秒杀场次"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户"))
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    notified_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)

    class Meta:
        ordering = ["sale_id", "id"]
        verbose_name = _("开抢提醒")
        verbose_name_plural = _("开抢提醒")
        constraints = [models.UniqueConstraint(fields=["sale", "user"], name="flash_reminder_unique")]

    def __str__(self) -> str:
        return f"{self.sale_id}:{self.user_id}"


# --- group buys (拼团) -------------------------------------------------------------------------------


class GroupBuy(Activity):
    """拼团: a leader opens a group by paying; others join by paying through its link. The group
    succeeds when full; at expiry it fails (every member refunded in full) unless virtual success is
    on and it reached the threshold."""

    class WhenFull(models.TextChoices):
        NEW_GROUP = "new_group", _("自动开新团")
        REFUSE = "refuse", _("拒绝并退款")

    group_size = models.PositiveSmallIntegerField(_("成团人数"), default=3)
    hours = models.PositiveSmallIntegerField(_("成团时限（小时）"), default=24)
    virtual_success = models.BooleanField(_("模拟成团"), default=False, help_text=_("到期时人数达到门槛即视为成团"))
    virtual_min_members = models.PositiveSmallIntegerField(_("模拟成团门槛"), default=2)
    when_full = models.CharField(
        _("满团后付款"),
        max_length=10,
        choices=WhenFull.choices,
        default=WhenFull.NEW_GROUP,
        help_text=_("付款时团已满：以此人为团长开新团，或全额退款"),
    )
    leader_reward_fen = models.BigIntegerField(_("团长奖励"), default=0, help_text=_("成团后由平台营销费用支付，不属于佣金"))
    per_order_limit = models.PositiveSmallIntegerField(_("每单限购"), default=1)

    class Meta(Activity.Meta):
        verbose_name = _("拼团活动")
        verbose_name_plural = _("拼团活动")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="group_buy_window"),
            models.CheckConstraint(condition=Q(group_size__gte=2, group_size__lte=50), name="group_buy_size"),
            models.CheckConstraint(condition=Q(hours__gte=1, hours__lte=168), name="group_buy_hours"),
            models.CheckConstraint(
                condition=Q(virtual_min_members__gte=1, virtual_min_members__lte=F("group_size")), name="group_buy_virtual_min"
            ),
            models.CheckConstraint(condition=Q(leader_reward_fen__gte=0), name="group_buy_reward_not_negative"),
            models.CheckConstraint(condition=Q(per_order_limit__gte=1), name="group_buy_order_limit"),
        ]


class GroupBuyItem(models.Model):
    activity = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="items", verbose_name=_("拼团活动"))
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name="SKU")
    price_fen = models.BigIntegerField(_("拼团价"))

    class Meta:
        ordering = ["activity_id", "id"]
        verbose_name = _("拼团商品")
        verbose_name_plural = _("拼团商品")
        constraints = [
            models.UniqueConstraint(fields=["activity", "sku"], name="group_buy_item_unique"),
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="group_buy_item_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.sku_id}"


class Group(models.Model):
    """One group (团) of a group buy. `members_count` counts the paid members who joined; a refund
    after success never lowers it (the group stays succeeded)."""

    class Status(models.TextChoices):
        FORMING = "forming", _("拼团中")
        SUCCEEDED = "succeeded", _("已成团")
        FAILED = "failed", _("未成团")

    activity = models.ForeignKey(GroupBuy, on_delete=models.PROTECT, related_name="groups", verbose_name=_("拼团活动"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("团长"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.FORMING, db_index=True)
    size = models.PositiveSmallIntegerField(_("成团人数"))
    members_count = models.PositiveSmallIntegerField(_("已参团"), default=0)
    is_virtual = models.BooleanField(_("模拟成团"), default=False)
    expires_at = models.DateTimeField(_("截止时间"), db_index=True)
    created_at = models.DateTimeField(_("开团时间"), auto_now_add=True)
    succeeded_at = models.DateTimeField(_("成团时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    leader_rewarded_at = models.DateTimeField(_("团长奖励发放时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("团")
        verbose_name_plural = _("团")
        constraints = [
            models.CheckConstraint(condition=Q(members_count__lte=F("size")), name="group_not_overfilled"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.members_count}/{self.size}"


class GroupEvent(TransitionEvent):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="events", verbose_name=_("团"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("团记录")
        verbose_name_plural = _("团记录")


class GroupMember(models.Model):
    class Status(models.TextChoices):
        JOINED = "joined", _("已参团")
        REFUNDED = "refunded", _("已退款")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members", verbose_name=_("团"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("团员"))
    order_id = models.BigIntegerField(_("订单"), unique=True)
    is_leader = models.BooleanField(_("团长"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.JOINED)
    joined_at = models.DateTimeField(_("参团时间"), auto_now_add=True)
    refunded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)

    class Meta:
        ordering = ["group_id", "joined_at", "id"]
        verbose_name = _("团员")
        verbose_name_plural = _("团员")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="group_member_once")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.user_id}"


# --- bargains (砍价) ---------------------------------------------------------------------------------


class BargainActivity(Activity):
    """砍价: a user starts a bargain on the SKU; helpers cut its price to the floor in exactly
    `helps_needed` helps."""

    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name="SKU")
    start_price_fen = models.BigIntegerField(_("起砍价"))
    floor_price_fen = models.BigIntegerField(_("底价"))
    helps_needed = models.PositiveSmallIntegerField(_("需要助力人数"), default=5)
    hours = models.PositiveSmallIntegerField(_("砍价时限（小时）"), default=24)
    daily_help_limit = models.PositiveSmallIntegerField(_("每人每日助力次数"), default=3)
    help_requires_account = models.BooleanField(_("助力须登录"), default=True)
    buy_above_floor = models.BooleanField(_("未砍到底可购买"), default=False, help_text=_("砍价结束时按已砍到的价格购买"))

    class Meta(Activity.Meta):
        verbose_name = _("砍价活动")
        verbose_name_plural = _("砍价活动")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="bargain_activity_window"),
            models.CheckConstraint(condition=Q(floor_price_fen__gt=0), name="bargain_floor_positive"),
            models.CheckConstraint(
                condition=Q(start_price_fen__gte=F("floor_price_fen") + F("helps_needed")), name="bargain_room_for_helps"
            ),
            models.CheckConstraint(condition=Q(helps_needed__gte=1, helps_needed__lte=100), name="bargain_helps_range"),
            models.CheckConstraint(condition=Q(hours__gte=1, hours__lte=168), name="bargain_hours"),
            models.CheckConstraint(condition=Q(daily_help_limit__gte=1), name="bargain_daily_limit"),
        ]


class Bargain(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("砍价中")
        FLOOR = "floor", _("已砍到底价")
        EXPIRED = "expired", _("已结束")
        BOUGHT = "bought", _("已下单")

    activity = models.ForeignKey(BargainActivity, on_delete=models.PROTECT, related_name="bargains", verbose_name=_("砍价活动"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    start_price_fen = models.BigIntegerField(_("起砍价"))
    floor_price_fen = models.BigIntegerField(_("底价"))
    current_price_fen = models.BigIntegerField(_("当前价"))
    helps_needed = models.PositiveSmallIntegerField(_("需要助力人数"))
    helps_done = models.PositiveSmallIntegerField(_("已助力"), default=0)
    expires_at = models.DateTimeField(_("截止时间"), db_index=True)
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    floor_reached_at = models.DateTimeField(_("砍到底价时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    order_id = models.BigIntegerField(_("订单"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("砍价")
        verbose_name_plural = _("砍价")
        constraints = [
            models.CheckConstraint(
                condition=Q(current_price_fen__gte=F("floor_price_fen"), current_price_fen__lte=F("start_price_fen")),
                name="bargain_price_in_range",
            ),
            models.CheckConstraint(condition=Q(helps_done__lte=F("helps_needed")), name="bargain_helps_not_over"),
            models.UniqueConstraint(
                fields=["activity", "user"], condition=Q(status__in=["active", "floor"]), name="bargain_one_open_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.current_price_fen}"


class BargainEvent(TransitionEvent):
    bargain = models.ForeignKey(Bargain, on_delete=models.CASCADE, related_name="events", verbose_name=_("砍价"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("砍价记录")
        verbose_name_plural = _("砍价记录")


class BargainHelp(models.Model):
    """One helper's cut. `helper_key` names the helper: "u:<user id>" for a signed-in user, or
    "v:<visitor id>" where the activity lets visitors help without an account."""

    bargain = models.ForeignKey(Bargain, on_delete=models.CASCADE, related_name="helps", verbose_name=_("砍价"))
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("助力人")
    )
    helper_key = models.CharField(_("助力人标识"), max_length=64)
    cut_fen = models.BigIntegerField(_("砍掉"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["bargain_id", "created_at", "id"]
        verbose_name = _("助力")
        verbose_name_plural = _("助力")
        constraints = [
            models.UniqueConstraint(fields=["bargain", "helper_key"], name="bargain_help_once"),
            models.CheckConstraint(condition=Q(cut_fen__gt=0), name="bargain_cut_positive"),
        ]
        indexes = [models.Index(fields=["helper_key", "created_at"], name="bargain_help_daily")]

    def __str__(self) -> str:
        return f"{self.bargain_id}:{self.helper_key} −{self.cut_fen}"


# --- the link from an order to its activity ------------------------------------------------------------


class ActivityOrder(models.Model):
    """The activity an order was placed in, written with the order. `state` follows the order (placed →
    paid, or cancelled) so that per-person limits and the activity's figures read one table."""

    class State(models.TextChoices):
        PLACED = "placed", _("待付款")
        PAID = "paid", _("已付款")
        CANCELLED = "cancelled", _("已取消")
        REFUNDED = "refunded", _("已退款")

    order_id = models.BigIntegerField(_("订单"), unique=True)
    kind = models.CharField(_("活动类型"), max_length=10, choices=ActivityKind.choices)
    activity_id = models.BigIntegerField(_("活动"))
    item_id = models.BigIntegerField(_("活动商品"), null=True, blank=True, help_text=_("秒杀商品或拼团商品的编号"))
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("团"))
    join_group_id = models.BigIntegerField(_("要参加的团"), null=True, blank=True, help_text=_("空表示开新团"))
    bargain = models.ForeignKey(
        Bargain, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("砍价")
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("买家"))
    quantity = models.PositiveIntegerField(_("数量"))
    paid_fen = models.BigIntegerField(_("实付"), default=0)
    refunded_fen = models.BigIntegerField(_("已退款"), default=0)
    cost_fen = models.BigIntegerField(_("活动成本"), default=0, help_text=_("原价与活动价之差，加上团长奖励"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PLACED)
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("活动订单")
        verbose_name_plural = _("活动订单")
        indexes = [
            models.Index(fields=["kind", "activity_id", "state"], name="activity_order_figures"),
            models.Index(fields=["kind", "item_id", "user", "state"], name="activity_order_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.activity_id} order {self.order_id}"


class ActivityVisit(models.Model):
    """Visitors of an activity's pages, one row per visitor and day (the activity's figures)."""

    kind = models.CharField(_("活动类型"), max_length=10, choices=ActivityKind.choices)
    activity_id = models.BigIntegerField(_("活动"))
    visitor_key = models.CharField(_("访客"), max_length=64)
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("活动访客")
        verbose_name_plural = _("活动访客")
        constraints = [
            models.UniqueConstraint(fields=["kind", "activity_id", "visitor_key", "day"], name="activity_visit_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.activity_id} {self.day}"
