"""Withdrawals (提现): the operator's settings, each distributor's real-name record, withdrawal requests
with their timeline, payout batches and the payment results that come back from the bank.

Money is integer fen. Numbers that identify a person or an account (resident ID, bank card, Alipay
account, openid) are stored encrypted (`crypto`) and shown only masked; the ID number also has a keyed
digest so that the database itself refuses one ID number for two distributors.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.common.models import TransitionEvent
from fenxiao.common.phone import mask_phone


class Channel(models.TextChoices):
    WECHAT = "wechat", _("微信零钱")
    BANK = "bank", _("银行卡")
    ALIPAY = "alipay", _("支付宝")


class WithdrawalSettings(models.Model):
    """One row (pk=1): the limits and the fee of every withdrawal, and which channels are open."""

    min_amount_fen = models.BigIntegerField(_("最低提现金额"), default=1000)
    daily_cap_fen = models.BigIntegerField(
        _("每日提现上限"), default=500000, help_text=_("每个分销商每个自然日（北京时间）申请中、已审核和已到账的合计")
    )
    fee_bp = models.PositiveIntegerField(_("手续费"), default=0, help_text=_("手续费向下取整到分"))
    wechat_enabled = models.BooleanField(_("开放微信零钱"), default=True)
    bank_enabled = models.BooleanField(_("开放银行卡"), default=True)
    alipay_enabled = models.BooleanField(_("开放支付宝"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("更新人")
    )

    class Meta:
        verbose_name = _("提现设置")
        verbose_name_plural = _("提现设置")
        constraints = [
            models.CheckConstraint(condition=Q(min_amount_fen__gte=1), name="withdrawal_min_positive"),
            models.CheckConstraint(condition=Q(daily_cap_fen__gte=F("min_amount_fen")), name="withdrawal_cap_at_least_min"),
            models.CheckConstraint(condition=Q(fee_bp__lt=10000), name="withdrawal_fee_below_100pct"),
        ]

    def __str__(self) -> str:
        return str(_("提现设置"))

    @property
    def enabled_channels(self) -> list[str]:
        flags = {Channel.WECHAT: self.wechat_enabled, Channel.BANK: self.bank_enabled, Channel.ALIPAY: self.alipay_enabled}
        return [str(code) for code, on in flags.items() if on]


class KycRecord(models.Model):
    """A distributor's real-name verification. The ID number itself is only in `id_number_encrypted`;
    `id_number_digest` (keyed HMAC) is unique, so one ID number backs one distributor."""

    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    distributor = models.OneToOneField(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="kyc", verbose_name=_("分销商")
    )
    real_name = models.CharField(_("真实姓名"), max_length=30)
    id_number_encrypted = models.TextField(_("身份证号（密文）"), editable=False)
    id_number_digest = models.CharField(_("身份证号摘要"), max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("身份证号"), max_length=18)
    id_last4 = models.CharField(_("身份证后四位"), max_length=4)
    birth_date = models.DateField(_("出生日期"))
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    mobile = models.CharField(_("手机号"), max_length=11)
    # When `mobile` was proven by an SMS code sent to it; empty for a record written without one
    # (entered before the check existed, or by the demo data).
    mobile_verified_at = models.DateTimeField(_("手机号验证时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("认证时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("提交人")
    )
    revision = models.PositiveIntegerField(_("提交次数"), default=1)

    class Meta:
        verbose_name = _("实名认证")
        verbose_name_plural = _("实名认证")

    def __str__(self) -> str:
        return f"{self.real_name} {self.id_number_masked}"

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)


class IdentityConflict(models.Model):
    """A real-name submission with an ID number that already backs another distributor. The
    submitter only hears that the identity could not be verified; finance sees the two sides here."""

    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="+", verbose_name=_("提交的分销商")
    )
    holder = models.ForeignKey(
        "distribution.Distributor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("已认证的分销商"),
    )
    real_name = models.CharField(_("提交的姓名"), max_length=30)
    id_number_masked = models.CharField(_("身份证号"), max_length=18)
    mobile = models.CharField(_("提交的手机号"), max_length=11)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    resolved = models.BooleanField(_("已处理"), default=False)

    class Meta:
        verbose_name = _("实名冲突")
        verbose_name_plural = _("实名冲突")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.real_name} {self.id_number_masked}"


class PayoutBatch(models.Model):
    """Approved withdrawals gathered for one payout file (打款批次)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待导出")
        EXPORTED = "exported", _("已导出，待回传结果")
        CLOSED = "closed", _("已完成")

    number = models.CharField(_("批次号"), max_length=24, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices, blank=True, help_text=_("空 = 全部渠道"))
    line_count = models.PositiveIntegerField(_("笔数"))
    amount_fen = models.BigIntegerField(_("提现金额"))
    fee_fen = models.BigIntegerField(_("手续费"))
    net_fen = models.BigIntegerField(_("实付金额"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    exported_at = models.DateTimeField(_("首次导出时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("打款批次")
        verbose_name_plural = _("打款批次")
        permissions = [("export_payoutbatch", _("导出打款文件（含完整收款账号）"))]
        constraints = [
            models.CheckConstraint(condition=Q(line_count__gte=1), name="payout_batch_not_empty"),
            models.CheckConstraint(condition=Q(net_fen=F("amount_fen") - F("fee_fen")), name="payout_batch_net_adds_up"),
        ]

    def __str__(self) -> str:
        return self.number


class PayoutBatchEvent(TransitionEvent):
    """Status changes of a batch, and every export (a file with full account numbers left the system)."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.CASCADE, related_name="events", verbose_name=_("打款批次"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("批次记录")
        verbose_name_plural = _("批次记录")


class Withdrawal(models.Model):
    """One request to withdraw from the available balance. While it is open its amount sits in the
    distributor's withdrawing account; it leaves as cash (net) and fee income when paid, or returns
    to the available account when rejected, cancelled or failed."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审核")
        APPROVED = "approved", _("待打款")
        PAID = "paid", _("已到账")
        REJECTED = "rejected", _("已驳回")
        FAILED = "failed", _("打款失败")
        CANCELLED = "cancelled", _("已取消")

    class AccountKind(models.TextChoices):
        CARD = "card", _("银行卡号")
        PHONE = "phone", _("手机号")
        EMAIL = "email", _("邮箱")
        OPENID = "openid", _("微信 openid")

    class App(models.TextChoices):
        """Where the distributor asked: a merchant transfer is made for that app's identity."""

        OFFICIAL_ACCOUNT = "oa", _("公众号")
        MINI_PROGRAM = "mp", _("小程序")

    number = models.CharField(_("提现单号"), max_length=24, unique=True)
    distributor = models.ForeignKey(
        "distribution.Distributor", on_delete=models.PROTECT, related_name="withdrawals", verbose_name=_("分销商")
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    channel = models.CharField(_("提现方式"), max_length=8, choices=Channel.choices)
    amount_fen = models.BigIntegerField(_("提现金额"))
    fee_bp = models.PositiveIntegerField(_("手续费率"))
    fee_fen = models.BigIntegerField(_("手续费"))
    net_fen = models.BigIntegerField(_("实际到账"))
    payee_name = models.CharField(_("收款人"), max_length=30)
    bank_name = models.CharField(_("开户银行"), max_length=40, blank=True)
    account_kind = models.CharField(_("账号类型"), max_length=8, choices=AccountKind.choices)
    account_masked = models.CharField(_("收款账号"), max_length=120)
    account_encrypted = models.TextField(_("收款账号（密文）"), editable=False)
    idempotency_key = models.CharField(_("幂等键"), max_length=80, blank=True, default="")
    requested_in = models.CharField(
        _("申请来源"),
        max_length=2,
        choices=App.choices,
        blank=True,
        default="",
        help_text=_("在公众号页面还是小程序里申请的；微信转账收款到该应用下的微信身份"),
    )
    request_digest = models.CharField(_("请求摘要"), max_length=64, blank=True, editable=False)
    requested_at = models.DateTimeField(_("申请时间"), db_index=True)
    requested_on = models.DateField(_("申请日（北京时间）"))
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("到账时间"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("驳回时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    external_reference = models.CharField(_("打款流水号"), max_length=64, blank=True)
    batch = models.ForeignKey(
        PayoutBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="lines", verbose_name=_("打款批次")
    )
    batch_line = models.PositiveIntegerField(_("批次行号"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("提现")
        verbose_name_plural = _("提现")
        indexes = [
            models.Index(fields=["distributor", "-requested_at"], name="withdrawal_distributor_recent"),
            models.Index(fields=["distributor", "requested_on", "status"], name="withdrawal_distributor_day"),
            models.Index(fields=["status", "batch"], name="withdrawal_status_batch"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0, fee_fen__gte=0), name="withdrawal_amounts_valid"),
            models.CheckConstraint(condition=Q(net_fen=F("amount_fen") - F("fee_fen")), name="withdrawal_net_adds_up"),
            models.CheckConstraint(condition=Q(net_fen__gt=0), name="withdrawal_net_positive"),
            models.CheckConstraint(
                condition=Q(batch__isnull=True, batch_line__isnull=True) | Q(batch__isnull=False, batch_line__isnull=False),
                name="withdrawal_batch_line_with_batch",
            ),
            models.UniqueConstraint(
                fields=["distributor", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="withdrawal_idempotency_key_unique",
            ),
            models.UniqueConstraint(fields=["batch", "batch_line"], name="withdrawal_batch_line_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class WithdrawalEvent(TransitionEvent):
    """One row per status change of a withdrawal, with who made it."""

    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.CASCADE, related_name="events", verbose_name=_("提现"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("提现记录")
        verbose_name_plural = _("提现记录")


class PayoutResult(models.Model):
    """The bank's answer for one withdrawal, recorded once: an import that repeats it is told
    "already applied", one that contradicts it is a conflict, and neither changes anything."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILED = "failed", _("失败")

    withdrawal = models.OneToOneField(Withdrawal, on_delete=models.PROTECT, related_name="payout_result", verbose_name=_("提现"))
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="results", verbose_name=_("打款批次"))
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    external_reference = models.CharField(_("打款流水号"), max_length=64, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    source_name = models.CharField(_("来源文件"), max_length=120, blank=True)
    source_row = models.PositiveIntegerField(_("文件行号"), null=True, blank=True)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("导入人")
    )

    class Meta:
        ordering = ["batch_id", "withdrawal_id"]
        verbose_name = _("打款结果")
        verbose_name_plural = _("打款结果")

    def __str__(self) -> str:
        return f"{self.withdrawal_id} {self.outcome}"


class TransferBill(models.Model):
    """A WeChat Pay merchant transfer (商家转账) paying one approved WeChat-channel withdrawal. Its
    merchant bill number is the withdrawal's number, so sending it again never pays twice. The
    distributor accepts it in WeChat; the final state (from the signed notification or a query)
    settles the withdrawal once: `settled_at` is set in the same transaction as the posting."""

    class State(models.TextChoices):
        NEW = "NEW", _("待提交微信")
        ACCEPTED = "ACCEPTED", _("已受理")
        PROCESSING = "PROCESSING", _("锁定资金中")
        WAIT_USER_CONFIRM = "WAIT_USER_CONFIRM", _("待用户确认收款")
        TRANSFERING = "TRANSFERING", _("转账中")
        SUCCESS = "SUCCESS", _("转账成功")
        FAIL = "FAIL", _("转账失败")
        CANCELING = "CANCELING", _("撤销中")
        CANCELLED = "CANCELLED", _("已撤销")

    withdrawal = models.OneToOneField(Withdrawal, on_delete=models.PROTECT, related_name="transfer_bill", verbose_name=_("提现"))
    out_bill_no = models.CharField(_("商户转账单号"), max_length=32, unique=True)
    # The app the payee's openid belongs to, where it confirms: "" the merchant's own (the Official
    # Account, on the withdrawal page), else the mini-program's appid.
    app_id = models.CharField("AppID", max_length=32, blank=True, default="")
    transfer_bill_no = models.CharField(_("微信转账单号"), max_length=64, blank=True)
    amount_fen = models.BigIntegerField(_("转账金额"))
    openid_encrypted = models.TextField(_("收款 openid（密文）"), editable=False)
    real_name_sent = models.BooleanField(_("已传收款人姓名"), default=False)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.NEW, db_index=True)
    package_info = models.TextField(_("确认收款参数"), blank=True, editable=False)
    fail_reason = models.CharField(_("失败原因"), max_length=64, blank=True)
    last_error = models.CharField(_("最近一次错误"), max_length=200, blank=True)
    attempts = models.PositiveIntegerField(_("提交次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    last_checked_at = models.DateTimeField(_("最近查询时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("结果入账时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("微信转账单")
        verbose_name_plural = _("微信转账单")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="transfer_bill_amount_positive")]

    def __str__(self) -> str:
        return self.out_bill_no

    @property
    def final(self) -> bool:
        return self.state in (self.State.SUCCESS, self.State.FAIL, self.State.CANCELLED)

    @property
    def awaiting_user(self) -> bool:
        return self.state == self.State.WAIT_USER_CONFIRM and bool(self.package_info)
