"""Inventory: stock of each SKU per location, the reservations orders hold on it, and the
append-only trail of every change. Quantities are whole units; rows change only through
inventory.services, whose conditional updates and the check constraints below keep
0 <= reserved <= on_hand under any concurrency."""

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from fenxiao.suppliers.models import supplier_location

MAIN_LOCATION = "main"  # the platform warehouse; "supplier:<id>" a supplier's own, "samples" the samples' stock
SAMPLES_LOCATION = "samples"


def fulfilment_location(supplier_id: int | None) -> str:
    """Where a SKU fulfilled by `supplier_id` (None: the platform) is stocked and shipped from: the
    supplier's own location, else the platform warehouse. With `Sku.fulfilment_supplier_id` (who
    ships) this is the route rule, in Python; `fulfilment_location_expression` is the same in SQL."""
    return supplier_location(supplier_id) if supplier_id else MAIN_LOCATION


def fulfilment_location_expression(sku_prefix: str = "") -> Case:
    """`fulfilment_location(sku.fulfilment_supplier_id)` as an ORM expression over the SKU at
    `sku_prefix` (e.g. "sku__" from a stock record, "" from a SKU)."""
    supplier = Coalesce(F(f"{sku_prefix}supplier_id"), F(f"{sku_prefix}product__supplier_id"))
    return Case(
        When(
            Q(**{f"{sku_prefix}supplier_id__isnull": False}) | Q(**{f"{sku_prefix}product__supplier_id__isnull": False}),
            then=Concat(Value("supplier:"), Cast(supplier, output_field=models.CharField())),
        ),
        default=Value(MAIN_LOCATION),
        output_field=models.CharField(),
    )


class StockRecord(models.Model):
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="stock_records", verbose_name="SKU")
    location = models.CharField(
        _("库位"), max_length=32, default=MAIN_LOCATION, help_text=_("main 为平台仓；supplier:<id> 供应商；agent:<id> 代理云仓")
    )
    on_hand = models.BigIntegerField(_("在库"), default=0)
    reserved = models.BigIntegerField(_("已占用"), default=0)
    safety_stock = models.BigIntegerField(_("安全库存"), default=0)

    class Meta:
        ordering = ["sku_id", "location"]
        verbose_name = _("库存")
        verbose_name_plural = _("库存")
        constraints = [
            models.UniqueConstraint(fields=["sku", "location"], name="stock_record_uniq_sku_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_le_on_hand"),
            models.CheckConstraint(condition=Q(safety_stock__gte=0), name="stock_safety_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} @ {self.location}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def below_safety(self) -> bool:
        return self.available < self.safety_stock


class StockBatch(models.Model):
    """Units of one stock record received together (批次): batch number, production and expiry dates.
    The batches of a record add up to it: sum(on_hand) = record.on_hand and sum(reserved) =
    record.reserved, kept by inventory.services, which reserves and ships the first-expiring batch
    first (FEFO; a batch without an expiry date goes last)."""

    stock_record = models.ForeignKey(StockRecord, on_delete=models.PROTECT, related_name="batches", verbose_name=_("库存"))
    batch_number = models.CharField(_("批次号"), max_length=40)
    production_date = models.DateField(_("生产日期"), null=True, blank=True)
    expiry_date = models.DateField(_("到期日"), null=True, blank=True)
    on_hand = models.BigIntegerField(_("在库"), default=0)
    reserved = models.BigIntegerField(_("已占用"), default=0)
    received_at = models.DateTimeField(_("入库时间"), auto_now_add=True)

    class Meta:
        ordering = ["stock_record_id", "expiry_date", "id"]
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        constraints = [
            models.UniqueConstraint(fields=["stock_record", "batch_number"], name="stock_batch_uniq_number"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_batch_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_batch_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_batch_reserved_le_on_hand"),
            models.CheckConstraint(
                condition=Q(expiry_date__isnull=True)
                | Q(production_date__isnull=True)
                | Q(expiry_date__gte=F("production_date")),
                name="stock_batch_expiry_after_production",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_number} ({self.stock_record})"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    """Units of one stock record held for one reference (e.g. "order:123"): active until paid
    (confirmed), then consumed on shipping, or released when cancelled or left unpaid."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("占用中")
        CONFIRMED = "confirmed", _("已确认")
        RELEASED = "released", _("已释放")
        CONSUMED = "consumed", _("已出库")

    reference = models.CharField(_("来源单据"), max_length=64)
    stock_record = models.ForeignKey(StockRecord, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("库存"))
    quantity = models.BigIntegerField(_("数量"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("库存占用")
        verbose_name_plural = _("库存占用")
        constraints = [
            models.UniqueConstraint(fields=["reference", "stock_record"], name="reservation_uniq_reference_record"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="reservation_status_expiry")]

    def __str__(self) -> str:
        return f"{self.reference} × {self.quantity}"


class BatchAllocation(models.Model):
    """The part of a reservation held in one batch (FEFO at reserve time); released with it, or
    consumed when it ships (`consumed` records what left, for traceability)."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("库存占用"))
    batch = models.ForeignKey(StockBatch, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("批次"))
    quantity = models.BigIntegerField(_("数量"))
    consumed = models.BooleanField(_("已出库"), default=False)

    class Meta:
        ordering = ["reservation_id", "id"]
        verbose_name = _("批次占用")
        verbose_name_plural = _("批次占用")
        constraints = [
            models.UniqueConstraint(fields=["reservation", "batch"], name="batch_allocation_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="batch_allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reservation_id}:{self.batch_id} × {self.quantity}"


class StockMovement(models.Model):
    """One change of a stock record, kept for audit: rows are only ever added."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", _("入库")
        ADJUST = "adjust", _("调整")
        RESERVE = "reserve", _("占用")
        RELEASE = "release", _("释放")
        CONFIRM = "confirm", _("确认")
        CONSUME = "consume", _("出库")
        TRANSFER = "transfer", _("调拨")

    stock_record = models.ForeignKey(StockRecord, on_delete=models.PROTECT, related_name="movements", verbose_name=_("库存"))
    batch = models.ForeignKey(
        StockBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="movements", verbose_name=_("批次")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    on_hand_delta = models.BigIntegerField(_("在库变化"), default=0)
    reserved_delta = models.BigIntegerField(_("占用变化"), default=0)
    reference = models.CharField(_("来源单据"), max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stock_movements",
        verbose_name=_("操作人"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")
        indexes = [models.Index(fields=["stock_record", "created_at"], name="movement_record_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on_hand_delta:+d}/{self.reserved_delta:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("stock movements are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("stock movements are append-only")


class BatchRecall(models.Model):
    """A recall (召回) started for a batch: who, when, why, and how far the batch had gone then."""

    batch = models.ForeignKey(StockBatch, on_delete=models.PROTECT, related_name="recalls", verbose_name=_("批次"))
    note = models.CharField(_("召回说明"), max_length=200)
    order_count = models.PositiveIntegerField(_("涉及订单"), default=0)
    buyer_count = models.PositiveIntegerField(_("涉及买家"), default=0)
    units = models.PositiveIntegerField(_("已发出件数"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("发起人")
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("批次召回")
        verbose_name_plural = _("批次召回")

    def __str__(self) -> str:
        return f"{self.batch} @ {self.created_at:%Y-%m-%d}"
