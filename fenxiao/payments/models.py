"""Payments, refunds and the notifications that report on them.

The app knows no domain: what was paid for is named by (purpose, reference), e.g. ("order", "123"),
and the app that owns the purpose hears about success and refunds through `registry`. Money is
integer fen. Status changes are written only by `services`, each with a PaymentEvent row.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.common.models import TransitionEvent


class Provider(models.TextChoices):
    DEV = "dev", _("开发环境模拟支付")
    WECHATPAY = "wechatpay", _("微信支付")


class TradeType(models.TextChoices):
    """How a WeChat Pay payer pays: inside WeChat (JSAPI), in a phone browser outside WeChat (H5, on
    WeChat Pay's own page), or by scanning a QR code shown on a computer (Native)."""

    JSAPI = "jsapi", _("微信内支付（JSAPI）")
    H5 = "h5", _("手机浏览器支付（H5）")
    NATIVE = "native", _("扫码支付（Native）")


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待支付")
        SUCCEEDED = "succeeded", _("支付成功")
        CLOSED = "closed", _("已关闭")
        FAILED = "failed", _("下单失败")

    purpose = models.CharField(_("用途"), max_length=32)
    reference = models.CharField(_("业务编号"), max_length=64)
    provider = models.CharField(_("支付渠道"), max_length=16, choices=Provider.choices)
    out_trade_no = models.CharField(_("商户订单号"), max_length=32, unique=True)
    amount_fen = models.BigIntegerField(_("金额"))
    refunded_fen = models.BigIntegerField(_("已退款"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    description = models.CharField(_("商品描述"), max_length=127, blank=True)
    provider_txn_id = models.CharField(_("渠道交易号"), max_length=64, blank=True)
    payer_openid = models.CharField(_("付款人 openid"), max_length=128, blank=True)
    prepay_id = models.CharField(_("预支付交易会话标识"), max_length=64, blank=True)
    trade_type = models.CharField(_("交易类型"), max_length=8, choices=TradeType.choices, blank=True)
    h5_url = models.CharField(_("H5 支付跳转链接"), max_length=512, blank=True)
    code_url = models.CharField(_("扫码支付二维码链接"), max_length=128, blank=True)
    prepared_at = models.DateTimeField(_("下单时间（渠道）"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    succeeded_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("支付单")
        verbose_name_plural = _("支付单")
        indexes = [models.Index(fields=["purpose", "reference"], name="payments_payment_purpose_ref")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payments_payment_amount_positive"),
            models.CheckConstraint(condition=Q(refunded_fen__gte=0), name="payments_payment_refunded_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_fen__lte=F("amount_fen")), name="payments_payment_refunded_at_most_amount"
            ),
            models.UniqueConstraint(
                fields=["purpose", "reference"],
                condition=Q(status__in=["pending", "succeeded"]),
                name="payments_payment_one_open_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.out_trade_no} {self.purpose}:{self.reference}"

    @property
    def refundable_fen(self) -> int:
        return self.amount_fen - self.refunded_fen

    @property
    def handed_out(self) -> bool:
        """Whether the payer was ever given the means to pay it at the provider (a prepay_id, an H5
        link or a QR code): only then can it be paid there, and only then must closing ask the provider."""
        return bool(self.prepay_id or self.h5_url or self.code_url)


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("退款中")
        SUCCEEDED = "succeeded", _("退款成功")
        FAILED = "failed", _("退款失败")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("支付单"))
    out_refund_no = models.CharField(_("商户退款单号"), max_length=64, unique=True)
    amount_fen = models.BigIntegerField(_("退款金额"))
    reason = models.CharField(_("退款原因"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    provider_refund_id = models.CharField(_("渠道退款单号"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=128, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("发起人")
    )
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("退款申请时间"), auto_now_add=True)
    succeeded_at = models.DateTimeField(_("退款成功时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("退款单")
        verbose_name_plural = _("退款单")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payments_refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.out_refund_no


class PaymentEvent(TransitionEvent):
    """One row per status change of a payment: from what to what, who did it, and why."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events", verbose_name=_("支付单"))

    class Meta(TransitionEvent.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("支付状态记录")
        verbose_name_plural = _("支付状态记录")


class Notification(models.Model):
    """Every verified notification a provider sent us, with what became of it. Refused ones (forged,
    stale, tampered, too large) are only counted, in PaymentRefusal.

    `notification_id` is the provider's event id, kept on the row that applied the event; later copies
    of the same event (retries, duplicates) are logged with outcome "duplicate" and the id only in
    their body, so the id stays unique per provider."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("已处理")
        DUPLICATE = "duplicate", _("重复通知")
        FORGED = "forged", _("签名无效")
        STALE = "stale", _("时间戳过期")
        TAMPERED = "tampered", _("内容被篡改或无法解密")
        UNKNOWN_PAYMENT = "unknown_payment", _("找不到对应支付/退款单")
        AMOUNT_MISMATCH = "amount_mismatch", _("金额不符")
        NOT_PENDING = "not_pending", _("单据已关闭或失败，需人工处理")
        IGNORED = "ignored", _("无需处理的通知类型")
        ERROR = "error", _("业务处理出错，等待重试")
        TOO_LARGE = "too_large", _("通知内容过大")
        DUPLICATE_PAYMENT = "duplicate_payment", _("重复付款，待财务处理")

    provider = models.CharField(_("支付渠道"), max_length=16, choices=Provider.choices)
    notification_id = models.CharField(_("通知 ID"), max_length=64, blank=True)
    event_type = models.CharField(_("通知类型"), max_length=32, blank=True)
    verified = models.BooleanField(_("验签通过"), default=False)
    outcome = models.CharField(_("处理结果"), max_length=20, choices=Outcome.choices, db_index=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications", verbose_name=_("支付单")
    )
    headers = models.JSONField(_("请求头"), default=dict, blank=True)
    body = models.TextField(_("请求体"), blank=True)
    created_at = models.DateTimeField(_("收到时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("支付通知")
        verbose_name_plural = _("支付通知")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "notification_id"],
                condition=~Q(notification_id=""),
                name="payments_notification_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type or '—'} {self.outcome}"


class PaymentRefusal(models.Model):
    """Notifications refused before anything was trusted (bad signature, stale, undecryptable, too
    large), counted per (provider, reason, source address, hour) instead of kept one by one: anyone
    can post to the callback URL, so what is stored about them has a fixed size. The first refused
    request of the hour is kept as a sample: its first bytes, its length and its SHA-256."""

    provider = models.CharField(_("支付渠道"), max_length=16, choices=Provider.choices)
    reason = models.CharField(_("拒绝原因"), max_length=20, choices=Notification.Outcome.choices)
    source_address = models.CharField(_("来源地址"), max_length=45, blank=True)
    hour = models.DateTimeField(_("所在小时"))
    count = models.PositiveIntegerField(_("次数"), default=0)
    total_bytes = models.BigIntegerField(_("请求体总字节数"), default=0)
    sample = models.TextField(_("样本（开头部分）"), blank=True)
    sample_length = models.PositiveIntegerField(_("样本请求体长度"), default=0)
    sample_sha256 = models.CharField(_("样本 SHA-256"), max_length=64, blank=True)
    sample_headers = models.JSONField(_("样本请求头"), default=dict, blank=True)
    first_seen_at = models.DateTimeField(_("首次"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("最近"), auto_now=True)

    class Meta:
        ordering = ["-hour", "-count", "-id"]
        verbose_name = _("被拒绝的支付通知")
        verbose_name_plural = _("被拒绝的支付通知")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reason", "source_address", "hour"], name="payments_refusal_one_row_per_hour"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.reason} {self.source_address or '—'} ×{self.count}"


class PaymentDuplicate(models.Model):
    """A provider reports money received for a payment that is already paid by another transaction (or
    is closed): real money that the books do not hold. Never applied automatically; it stays an open
    item for finance until someone refunds it in the provider's merchant platform or reconciles it,
    and records what was done."""

    class Kind(models.TextChoices):
        SECOND_TRANSACTION = "second_transaction", _("同一支付单的第二笔交易")
        PAID_AFTER_CLOSE = "paid_after_close", _("支付单关闭或失败后付款")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        RESOLVED = "resolved", _("已处理")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="duplicates", verbose_name=_("支付单"))
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    provider_txn_id = models.CharField(_("渠道交易号"), max_length=64)
    amount_fen = models.BigIntegerField(_("金额"))
    notification_id = models.CharField(_("通知 ID"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("处理人")
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution_note = models.CharField(_("处理说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("重复付款")
        verbose_name_plural = _("重复付款")
        constraints = [
            models.UniqueConstraint(fields=["payment", "provider_txn_id"], name="payments_duplicate_one_per_transaction"),
        ]

    def __str__(self) -> str:
        return f"{self.payment.out_trade_no} {self.provider_txn_id}"
