"""The supply side of the business: what suppliers are owed and paid (statements and their payout
batches), the problems they report on shipments, and the product samples distributors ask for."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.common.models import TransitionEvent


class SupplierStatement(models.Model):
    """What one supplier is owed for one settlement cycle (对账单): its completed shipped lines at cost
    price, net of refunds; a refund after an earlier statement is a deduction here. Confirmed by the
    supplier, then paid by finance through a payout batch."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("待供应商确认")
        CONFIRMED = "confirmed", _("已确认，待打款")
        IN_BATCH = "in_batch", _("打款中")
        PAID = "paid", _("已付款")
        FAILED = "failed", _("打款失败")

    number = models.CharField(_("对账单号"), max_length=24, unique=True)
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="statements", verbose_name=_("供应商")
    )
    period_start = models.DateTimeField(_("周期开始"))
    period_end = models.DateTimeField(_("周期结束"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ISSUED, db_index=True)
    line_count = models.PositiveIntegerField(_("明细数"), default=0)
    goods_fen = models.BigIntegerField(_("货款"), default=0, help_text=_("本期完成的发货明细按成本价合计"))
    deduction_fen = models.BigIntegerField(_("扣款"), default=0, help_text=_("退款冲减（含已结算明细的事后退款）"))
    amount_fen = models.BigIntegerField(_("本期金额"), default=0, help_text=_("货款减扣款，可能为零或负数"))
    carried_fen = models.BigIntegerField(
        _("上期结转"), default=0, help_text=_("上一张对账单应付为负（扣款多于货款）时结转到本期的金额，不大于 0")
    )
    payable_fen = models.BigIntegerField(_("应付金额"), default=0, help_text=_("本期金额加上期结转；大于 0 时才可打款"))
    payout_batch = models.ForeignKey(
        "supply.SupplierPayoutBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("打款批次"),
    )
    issued_at = models.DateTimeField(_("出账时间"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("确认人")
    )
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("供应商对账单")
        verbose_name_plural = _("供应商对账单")
        constraints = [
            models.UniqueConstraint(fields=["supplier", "period_start", "period_end"], name="statement_one_per_period"),
            models.CheckConstraint(condition=Q(amount_fen=F("goods_fen") - F("deduction_fen")), name="statement_amount_adds_up"),
            models.CheckConstraint(condition=Q(goods_fen__gte=0, deduction_fen__gte=0), name="statement_parts_not_negative"),
            models.CheckConstraint(
                condition=Q(carried_fen__lte=0, payable_fen=F("amount_fen") + F("carried_fen")), name="statement_payable_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class StatementLine(models.Model):
    """One order line's part of a statement: what the supplier is owed for it now (cost × quantity ×
    the share not refunded) minus what earlier statements already counted. A later refund of a
    settled line gives a negative row (a deduction) on the next statement."""

    # Written in bulk, one row per order line and period (millions a month on a big platform), so the
    # database checks no foreign key row by row: both ids come from the same INSERT … SELECT that
    # joins the rows they name, order lines are never deleted, and `selectors.line_mismatches` finds
    # a line whose statement or order line is missing (docs/decisions/0014). The unique pair is the
    # index from a statement to its lines.
    statement = models.ForeignKey(
        SupplierStatement,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("对账单"),
        db_index=False,
        db_constraint=False,
    )
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="+", verbose_name=_("订单行"), db_constraint=False
    )
    order_number = models.CharField(_("订单号"), max_length=32)
    sku_code = models.CharField(_("SKU 编码"), max_length=40)
    product_name = models.CharField(_("商品"), max_length=120)
    quantity = models.PositiveIntegerField(_("数量"))
    unit_cost_fen = models.BigIntegerField(_("成本单价"))
    owed_fen = models.BigIntegerField(_("应结金额"), help_text=_("扣除退款后此明细累计应结"))
    amount_fen = models.BigIntegerField(_("本期金额"), help_text=_("本期应结减去以前各期已结；负数为扣款"))

    class Meta:
        ordering = ["statement_id", "id"]
        verbose_name = _("对账明细")
        verbose_name_plural = _("对账明细")
        constraints = [models.UniqueConstraint(fields=["statement", "order_line"], name="statement_line_once")]

    def __str__(self) -> str:
        return f"{self.order_number} {self.amount_fen}"


class StatementEvent(TransitionEvent):
    statement = models.ForeignKey(SupplierStatement, on_delete=models.CASCADE, related_name="events", verbose_name=_("对账单"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("对账单记录")
        verbose_name_plural = _("对账单记录")


class SupplierPayoutBatch(models.Model):
    """Confirmed statements gathered into one bank transfer file (对公打款批次)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待导出")
        EXPORTED = "exported", _("已导出，待回传结果")
        CLOSED = "closed", _("已完成")

    number = models.CharField(_("批次号"), max_length=24, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    statement_count = models.PositiveIntegerField(_("笔数"))
    amount_fen = models.BigIntegerField(_("金额"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    exported_at = models.DateTimeField(_("首次导出时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("供应商打款批次")
        verbose_name_plural = _("供应商打款批次")
        permissions = [("export_supplierpayoutbatch", _("导出供应商打款文件（含完整账号）"))]
        constraints = [models.CheckConstraint(condition=Q(statement_count__gte=1), name="supplier_batch_not_empty")]

    def __str__(self) -> str:
        return self.number


class SupplierPayoutBatchEvent(TransitionEvent):
    batch = models.ForeignKey(SupplierPayoutBatch, on_delete=models.CASCADE, related_name="events", verbose_name=_("打款批次"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("批次记录")
        verbose_name_plural = _("批次记录")


class ShipmentException(models.Model):
    """A problem a supplier (or the warehouse) reports on a shipment it cannot ship as it is: out of
    stock, a wrong or incomplete address. It goes to the operator, who resolves it."""

    class Kind(models.TextChoices):
        OUT_OF_STOCK = "out_of_stock", _("缺货")
        ADDRESS = "address", _("地址问题")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        RESOLVED = "resolved", _("已处理")

    shipment = models.ForeignKey("orders.Shipment", on_delete=models.PROTECT, related_name="exceptions", verbose_name=_("发货单"))
    supplier = models.ForeignKey(
        "suppliers.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("供应商")
    )
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolution = models.CharField(_("处理结果"), max_length=200, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("报告人")
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("处理人")
    )
    created_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("发货异常")
        verbose_name_plural = _("发货异常")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.shipment_id}"


class SampleQuota(models.Model):
    """How many sample units a distributor of a level may ask for in a calendar month."""

    level = models.OneToOneField(
        "distribution.Level", on_delete=models.CASCADE, related_name="sample_quota", verbose_name=_("分销等级")
    )
    units_per_month = models.PositiveIntegerField(_("每月样品件数"), default=0)

    class Meta:
        verbose_name = _("样品额度")
        verbose_name_plural = _("样品额度")

    def __str__(self) -> str:
        return f"{self.level} {self.units_per_month}"


class SampleRequest(models.Model):
    """A distributor's request for product samples (样品申请): approved by supply chain into a zero-price
    order from the samples' own stock, shipped like any other order."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已拒绝")
        CANCELLED = "cancelled", _("已撤销")

    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="sample_requests", verbose_name=_("分销商")
    )
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name="SKU")
    quantity = models.PositiveIntegerField(_("数量"))
    reason = models.CharField(_("用途"), max_length=200, blank=True)
    month = models.DateField(_("额度月份"), help_text=_("申请所在月份的第一天"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    reject_reason = models.CharField(_("拒绝原因"), max_length=200, blank=True)
    receiver = models.CharField(_("收货人"), max_length=32)
    receiver_phone = models.CharField(_("收货手机号"), max_length=11)
    province = models.CharField(_("省"), max_length=20)
    city = models.CharField(_("市"), max_length=20)
    district = models.CharField(_("区/县"), max_length=20)
    address_detail = models.CharField(_("详细地址"), max_length=120)
    order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="sample_request", verbose_name=_("样品单")
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("样品申请")
        verbose_name_plural = _("样品申请")
        permissions = [("review_samplerequest", _("审核样品申请"))]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="sample_quantity_positive")]
        indexes = [models.Index(fields=["distributor", "month"], name="sample_distributor_month")]

    def __str__(self) -> str:
        return f"{self.distributor_id} {self.sku_id} × {self.quantity}"


class SampleRequestEvent(TransitionEvent):
    request = models.ForeignKey(SampleRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("样品申请"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("样品申请记录")
        verbose_name_plural = _("样品申请记录")
