"""Inventory: stock of each SKU per location, the reservations orders hold on it, and the
append-only trail of every change. Quantities are whole units; rows change only through
inventory.services, whose conditional updates and the check constraints below keep
0 <= reserved <= on_hand under any concurrency."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MAIN_LOCATION = "main"  # the platform warehouse; later "supplier:<id>" and "agent:<id>"


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
