"""Supplier accounts: a company that provides goods (and, in dropshipping, ships them), admitted after
review by supply-chain staff, evaluated periodically and suspended when it falls short; with the user
who acts for it, the address its returns go to and the bank account it is paid to."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fenxiao.common.models import TransitionEvent


class Supplier(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("待审核")
        APPROVED = "approved", _("合作中")
        REJECTED = "rejected", _("已拒绝")
        SUSPENDED = "suspended", _("已暂停")

    class Cycle(models.TextChoices):
        WEEKLY = "weekly", _("按周结算")
        MONTHLY = "monthly", _("按月结算")

    name = models.CharField(_("名称"), max_length=80, unique=True)
    contact_name = models.CharField(_("联系人"), max_length=32, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=11, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supplier_account", verbose_name=_("登录账号")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.APPROVED, db_index=True)
    status_reason = models.CharField(_("状态说明"), max_length=200, blank=True, help_text=_("拒绝或暂停的原因"))
    # Admission: company details and qualifications
    company_name = models.CharField(_("公司全称"), max_length=120, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    licence_number = models.CharField(_("生产/经营许可证号"), max_length=40, blank=True)
    category = models.CharField(_("主营类目"), max_length=60, blank=True)
    production_scale = models.CharField(_("生产规模"), max_length=200, blank=True)
    quality_system = models.CharField(_("质量管理体系"), max_length=200, blank=True, help_text=_("如 ISO 9001、HACCP"))
    # Where returns of its lines go
    return_receiver = models.CharField(_("退货收件人"), max_length=32, blank=True)
    return_phone = models.CharField(_("退货电话"), max_length=11, blank=True)
    return_province = models.CharField(_("退货省"), max_length=20, blank=True)
    return_city = models.CharField(_("退货市"), max_length=20, blank=True)
    return_district = models.CharField(_("退货区/县"), max_length=20, blank=True)
    return_detail = models.CharField(_("退货详细地址"), max_length=120, blank=True)
    # Where it is paid (a B2B bank transfer)
    bank_account_name = models.CharField(_("收款户名"), max_length=120, blank=True)
    bank_account_number = models.CharField(_("收款账号"), max_length=34, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=80, blank=True)
    settlement_cycle = models.CharField(_("结算周期"), max_length=10, choices=Cycle.choices, default=Cycle.MONTHLY)
    applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("供应商")
        verbose_name_plural = _("供应商")
        permissions = [
            ("review_supplier", _("审核供应商入驻、评估与暂停")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], condition=~Q(credit_code=""), name="supplier_unique_credit_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def location(self) -> str:
        """The stock location of the goods this supplier keeps and ships (see inventory)."""
        return supplier_location(self.pk)

    @property
    def return_address(self) -> str:
        parts = [self.return_province, self.return_city, self.return_district, self.return_detail]
        return "".join(p for p in parts if p)


def supplier_location(supplier_id: int) -> str:
    """The stock location (and fulfilment route) of one supplier: "supplier:<id>"."""
    return f"supplier:{supplier_id}"


class SupplierEvent(TransitionEvent):
    """One row per status change (and per evaluation) of a supplier."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="events", verbose_name=_("供应商"))

    class Meta(TransitionEvent.Meta):
        verbose_name = _("供应商记录")
        verbose_name_plural = _("供应商记录")
