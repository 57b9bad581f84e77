"""One-time verification codes sent by SMS. Only an HMAC of each code is stored, never the code."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fenxiao.common.phone import mask_phone


class Purpose(models.TextChoices):
    LOGIN = "login", pgettext_lazy("sms purpose", "登录")
    REGISTER = "register", pgettext_lazy("sms purpose", "注册")
    RESET_PASSWORD = "reset_password", pgettext_lazy("sms purpose", "找回密码")
    VERIFY_PHONE = "verify_phone", pgettext_lazy("sms purpose", "验证手机号")
    KYC = "kyc", pgettext_lazy("sms purpose", "实名认证")


class VerificationCode(models.Model):
    """A code sent to a phone for one purpose. It is good once, until `expires_at`, and only while it
    is the newest of its phone and purpose (a newer one voids it) and fewer than the allowed wrong
    tries were made against it."""

    phone = models.CharField(_("手机号"), max_length=11)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    provider = models.CharField(_("短信通道"), max_length=16, blank=True)
    provider_ref = models.CharField(_("通道流水号"), max_length=64, blank=True)
    client_address = models.CharField(_("请求地址"), max_length=45, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"], name="sms_code_phone_purpose")]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} {self.get_purpose_display()}"
