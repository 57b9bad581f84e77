"""Orders: carts, addresses, orders whose lines snapshot price, cost and the attributed distributor at
purchase time, an event row for every status change, after-sales per line, and the idempotency
records that make order creation safe to retry."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.common.models import TransitionEvent
from fenxiao.common.phone import mask_phone
from fenxiao.payments.models import Provider
from fenxiao.promotions.models.activities import ActivityKind
from fenxiao.promotions.stages import PriceStage

from .photos import photo_path

if TYPE_CHECKING:
    from fenxiao.logistics.models import TrackingEvent


class CartLine(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_lines", verbose_name=_("用户")
    )
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+", verbose_name="SKU")
    quantity = models.PositiveIntegerField(_("数量"))
    added_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("购物车")
        verbose_name_plural = _("购物车")
        constraints = [
            models.UniqueConstraint(fields=["user", "sku"], name="cart_one_line_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.quantity}"


class Order(models.Model):
    class Hold(models.TextChoices):
        GROUP = "group", _("等待成团")

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("待付款")
        PAID = "paid", _("待发货")
        SHIPPED = "shipped", _("已发货")
        RECEIVED = "received", _("已收货")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    number = models.CharField(_("订单号"), max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("买家"))
    distributor = models.ForeignKey(
        "distribution.Distributor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("归属分销商"),
        help_text=_("下单时绑定的分销商（快照）"),
    )
    is_self_purchase = models.BooleanField(_("自购"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True)
    receiver = models.CharField(_("收货人"), max_length=32)
    receiver_phone = models.CharField(_("收货手机号"), max_length=11)
    province = models.CharField(_("省"), max_length=20)
    city = models.CharField(_("市"), max_length=20)
    district = models.CharField(_("区/县"), max_length=20)
    address_detail = models.CharField(_("详细地址"), max_length=120)
    note = models.CharField(_("买家留言"), max_length=200, blank=True)
    goods_fen = models.BigIntegerField(_("商品金额"))
    discount_fen = models.BigIntegerField(_("优惠"), default=0)
    shipping_fen = models.BigIntegerField(_("运费"), default=0)
    total_fen = models.BigIntegerField(_("应付"))
    paid_fen = models.BigIntegerField(_("实付"), default=0)
    refunded_fen = models.BigIntegerField(_("已退款"), default=0)
    price_breakdown = models.JSONField(_("价格明细"), default=dict)
    points_used = models.PositiveIntegerField(_("使用积分"), default=0)
    user_coupon = models.ForeignKey(
        "promotions.UserCoupon", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("优惠券")
    )
    payment_provider = models.CharField(_("支付方式"), max_length=16, blank=True, choices=Provider.choices)
    payment_id = models.BigIntegerField(_("支付单"), null=True, blank=True)
    tracking_company = models.CharField(_("快递公司"), max_length=32, blank=True)
    tracking_number = models.CharField(_("快递单号"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("支付截止"), null=True, blank=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("收货时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    # Set when the commissions of this paid order were recorded (by the accrual job, or first thing
    # when the order is refunded, cancelled or completed before the job reached it); a paid order
    # without it still has its commissions to accrue.
    commissions_accrued_at = models.DateTimeField(_("佣金入账时间"), null=True, blank=True, editable=False)
    # The marketing activity (秒杀 / 拼团 / 砍价) the order was placed in, if any: one per order.
    activity_kind = models.CharField(
        _("营销活动"), max_length=10, blank=True, choices=ActivityKind.choices, help_text=_("活动订单不叠加优惠券、满减和会员价")
    )
    activity_id = models.BigIntegerField(_("活动编号"), null=True, blank=True)
    pays_commission = models.BooleanField(_("计算佣金"), default=True, help_text=_("活动可设置其订单不计佣金"))
    hold = models.CharField(_("暂缓"), max_length=10, blank=True, choices=Hold.choices, help_text=_("拼团成功前不发货、不能售后"))
    # A product sample (样品) a distributor asked for: zero price, from the samples' own stock, no commission.
    is_sample = models.BooleanField(_("样品单"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        # Duties instead of the broad change_order (see docs/permissions.md).
        permissions = [
            ("ship_order", _("发货")),
            ("cancel_order", _("取消未发货的订单（已付款的全额退回）")),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_recent"),
            models.Index(fields=["distributor", "-created_at"], name="order_distributor_recent"),
            models.Index(fields=["status", "expires_at"], name="order_status_expiry"),
            # The accrual job's queue: paid orders whose commissions are not recorded yet.
            models.Index(
                fields=["id"], name="order_accrual_due", condition=Q(paid_at__isnull=False, commissions_accrued_at__isnull=True)
            ),
            # The console home's sales figures and trend: paid orders by payment time, with the amount
            # in the index so that the sums read only the index.
            # Samples are zero-price orders that are not sales: they are left out of the figures.
            models.Index(
                fields=["paid_at", "paid_fen"],
                name="order_paid_time_amount",
                condition=Q(paid_at__isnull=False, is_sample=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(goods_fen__gte=0, discount_fen__gte=0, shipping_fen__gte=0, total_fen__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_fen=F("goods_fen") - F("discount_fen") + F("shipping_fen")), name="order_total_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0, refunded_fen__lte=F("paid_fen")), name="order_refund_within_paid"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_receiver_phone(self) -> str:
        return mask_phone(self.receiver_phone)


class Shipment(models.Model):
    """The part of an order one fulfilment route ships: the platform warehouse ("main") or one
    supplier ("supplier:<id>"). Each has its own carrier and tracking number, status, automatic receipt
    and after-sales window; the order is shipped, received and complete when all its shipments are."""

    class Status(models.TextChoices):
        TO_SHIP = "to_ship", _("待发货")
        SHIPPED = "shipped", _("已发货")
        RECEIVED = "received", _("已收货")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments", verbose_name=_("订单"))
    route = models.CharField(_("发货方"), max_length=32, help_text=_("main 为平台仓；supplier:<id> 为供应商代发"))
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
        verbose_name=_("供应商"),
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.TO_SHIP, db_index=True)
    carrier = models.ForeignKey(
        "logistics.Carrier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("快递公司")
    )
    tracking_company = models.CharField(_("快递公司名称"), max_length=32, blank=True)
    tracking_number = models.CharField(_("快递单号"), max_length=40, blank=True)
    ship_by = models.DateTimeField(_("最晚发货时间"), null=True, blank=True, help_text=_("付款后 48 小时（可配置）"))
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True, help_text=_("物流轨迹显示签收的时间"))
    received_at = models.DateTimeField(_("收货时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    # Set by orders.selectors.order_shipments, not stored.
    line_ids: list[int]
    overdue: bool
    tracking_events: "list[TrackingEvent]"

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("发货单")
        verbose_name_plural = _("发货单")
        constraints = [models.UniqueConstraint(fields=["order", "route"], name="shipment_one_per_route")]
        indexes = [
            models.Index(fields=["supplier", "status"], name="shipment_supplier_status"),
            models.Index(fields=["status", "ship_by"], name="shipment_status_ship_by"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.route}"

    @property
    def is_platform(self) -> bool:
        return self.supplier_id is None


class ShipmentEvent(TransitionEvent):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events", verbose_name=_("发货单"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("发货单记录")
        verbose_name_plural = _("发货单记录")


class OrderLine(models.Model):
    """One SKU of an order, priced at purchase time. `paid_fen` is this line's share of what the buyer
    paid for goods (after discounts, before shipping): the base for commission and the refund ceiling."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("订单"))
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name="SKU")
    product_id = models.BigIntegerField(_("商品"))
    category_id = models.BigIntegerField(_("类目"))
    product_name = models.CharField(_("商品名称"), max_length=80)
    sku_spec = models.CharField(_("规格"), max_length=60, blank=True)
    unit_price_fen = models.BigIntegerField(_("单价"))
    unit_cost_fen = models.BigIntegerField(_("单位成本"))
    quantity = models.PositiveIntegerField(_("数量"))
    line_total_fen = models.BigIntegerField(_("小计"))
    discount_fen = models.BigIntegerField(_("优惠分摊"), default=0)
    paid_fen = models.BigIntegerField(_("实付"))
    refunded_fen = models.BigIntegerField(_("已退款"), default=0)
    is_gift = models.BooleanField(_("赠品"), default=False, help_text=_("满减送的 0 元赠品"))
    # A component of a bundle (场景套装) bought as `bundle_quantity` × the bundle SKU: the bundle's price
    # and discounts are shared among its component lines in proportion to their list value.
    bundle_sku = models.ForeignKey(
        "catalog.Sku", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属套装")
    )
    bundle_name = models.CharField(_("套装名称"), max_length=120, blank=True)
    bundle_quantity = models.PositiveIntegerField(_("套装数量"), null=True, blank=True)
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="lines", verbose_name=_("发货单")
    )

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("订单行")
        verbose_name_plural = _("订单行")
        # Units sold per product (the shop's sold counts) read the lines of the products shown.
        indexes = [models.Index(fields=["product_id"], name="order_line_product_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(paid_fen=F("line_total_fen") - F("discount_fen")), name="order_line_paid_adds_up"),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0, refunded_fen__lte=F("paid_fen")), name="order_line_refund_within_paid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} {self.sku_spec} × {self.quantity}"

    @property
    def refundable_fen(self) -> int:
        return self.paid_fen - self.refunded_fen


class ShippedBatch(models.Model):
    """Which stock batch the units of a shipped line came from (产品溯源): "where did batch X go" is
    one query over these rows."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="batches", verbose_name=_("订单行"))
    batch = models.ForeignKey("inventory.StockBatch", on_delete=models.PROTECT, related_name="shipped", verbose_name=_("批次"))
    quantity = models.PositiveIntegerField(_("数量"))
    returned = models.PositiveIntegerField(_("已退回"), default=0, help_text=_("买家退货后放回该批次的件数"))

    class Meta:
        ordering = ["line_id", "id"]
        verbose_name = _("出库批次")
        verbose_name_plural = _("出库批次")
        constraints = [
            models.UniqueConstraint(fields=["line", "batch"], name="shipped_batch_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipped_batch_quantity_positive"),
            models.CheckConstraint(condition=Q(returned__lte=F("quantity")), name="shipped_batch_returned_le_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}:{self.batch_id} × {self.quantity}"


class OrderLineAdjustment(models.Model):
    """What one stage of the price pipeline took off one line (see `fenxiao.promotions.stages`). A
    line's `discount_fen` is the sum of its rows, so a partial refund, the commission base and the
    order's price breakdown all read what was really paid."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("订单行"))
    stage = models.CharField(_("优惠类型"), max_length=16, choices=PriceStage.choices)
    source_id = models.BigIntegerField(_("优惠来源"), null=True, blank=True, help_text=_("优惠券、满减或限时折扣的编号"))
    label = models.CharField(_("说明"), max_length=80, blank=True)
    amount_fen = models.BigIntegerField(_("金额"))

    class Meta:
        ordering = ["line_id", "id"]
        verbose_name = _("订单行优惠")
        verbose_name_plural = _("订单行优惠")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="order_line_adjustment_positive")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.amount_fen}"


class OrderEvent(TransitionEvent):
    """One row per status change (and per notable action) of an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("订单"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("订单记录")
        verbose_name_plural = _("订单记录")


class AfterSale(models.Model):
    """A buyer's request about one line after payment: refund only, or return and refund."""

    class Kind(models.TextChoices):
        REFUND_ONLY = "refund_only", _("仅退款")
        RETURN_REFUND = "return_refund", _("退货退款")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审核")
        AWAITING_RETURN = "awaiting_return", _("待买家退货")
        RETURNED = "returned", _("买家已退货")
        AWAITING_APPROVAL = "awaiting_approval", _("退款待财务审批")
        REFUNDING = "refunding", _("退款中")
        REFUNDED = "refunded", _("已退款")
        REJECTED = "rejected", _("已拒绝")
        WITHDRAWN = "withdrawn", _("已撤销")

    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="aftersales", verbose_name=_("订单行"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="aftersales", verbose_name=_("订单"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("退款金额"))
    quantity = models.PositiveIntegerField(_("退货数量"), default=0)
    reason = models.CharField(_("原因"), max_length=200)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    reject_reason = models.CharField(_("拒绝原因"), max_length=200, blank=True)
    return_tracking_number = models.CharField(_("退货单号"), max_length=40, blank=True)
    refund_id = models.BigIntegerField(_("退款单"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("售后")
        verbose_name_plural = _("售后")
        permissions = [
            ("review_aftersale", _("审核售后（同意或拒绝）")),
            ("receive_return", _("确认收到退货")),
            ("refund_money", _("发起退款（客服退款）")),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="aftersale_amount_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"


class AfterSalePhoto(models.Model):
    """A photo the buyer attached to an after-sale: re-encoded without metadata (see `orders.photos`),
    stored under a random name and shown only to the buyer and to staff."""

    aftersale = models.ForeignKey(AfterSale, on_delete=models.CASCADE, related_name="photos", verbose_name=_("售后"))
    image = models.ImageField(_("照片"), upload_to=photo_path, max_length=200)
    width = models.PositiveIntegerField(_("宽"))
    height = models.PositiveIntegerField(_("高"))
    size_bytes = models.PositiveIntegerField(_("大小（字节）"))
    position = models.PositiveSmallIntegerField(_("序号"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("售后照片")
        verbose_name_plural = _("售后照片")
        constraints = [models.UniqueConstraint(fields=["aftersale", "position"], name="aftersale_photo_position_unique")]

    def __str__(self) -> str:
        return f"#{self.aftersale_id}-{self.position}"


class AfterSaleEvent(TransitionEvent):
    aftersale = models.ForeignKey(AfterSale, on_delete=models.CASCADE, related_name="events", verbose_name=_("售后"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("售后记录")
        verbose_name_plural = _("售后记录")


class IdempotencyRecord(models.Model):
    """The first response to a request carrying an Idempotency-Key, replayed for its retries."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("处理中")
        DONE = "done", _("已完成")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=80)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
