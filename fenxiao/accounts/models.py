"""One user model for everyone: operators, distributors, consumers and supplier staff.

A consumer's member profile (phone, nickname) lives on the user itself; the distributor profile and
the supplier account hang off it in their own apps.
"""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from fenxiao.common.phone import mask_phone


class FenxiaoUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Lets phone numbers log in wherever Django looks users up by username.
        return self.get(models.Q(username=username) | models.Q(phone=username))


class User(AbstractUser):
    phone = models.CharField(_("手机号"), max_length=11, unique=True, null=True, blank=True)
    nickname = models.CharField(_("昵称"), max_length=32, blank=True)

    objects = FenxiaoUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        # The console home's new customers per period.
        indexes = [models.Index(fields=["date_joined", "is_staff"], name="user_joined_time")]

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def display_name(self) -> str:
        return self.nickname or self.masked_phone or self.username

    def __str__(self) -> str:
        return self.display_name


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the raw token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    # The WeChat mini-program whose login issued the token (its AppID); empty for every other login.
    app_id = models.CharField(_("签发的小程序"), max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def expires_at(self, *, idle, absolute):
        """When the token lapses: `idle` after its last use, and never later than `absolute` after issue."""
        last = self.last_used_at or self.created_at
        return min(last + idle, self.created_at + absolute)

    @staticmethod
    def new_raw_key() -> str:
        return secrets.token_urlsafe(32)


class Consent(models.Model):
    """A user's acceptance of one version of a document (user agreement, privacy policy, distributor
    agreement): when, and from which client address. Kept as evidence of consent; never edited."""

    class Document(models.TextChoices):
        USER = "user", _("用户协议")
        PRIVACY = "privacy", _("隐私政策")
        DISTRIBUTOR = "distributor", _("分销商协议")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents", verbose_name=_("用户"))
    document = models.CharField(_("文件"), max_length=16, choices=Document.choices)
    version = models.CharField(_("版本"), max_length=32)
    accepted_at = models.DateTimeField(_("同意时间"), auto_now_add=True)
    client_address = models.CharField(_("客户端地址"), max_length=45, blank=True)

    class Meta:
        verbose_name = _("协议同意记录")
        verbose_name_plural = _("协议同意记录")
        indexes = [models.Index(fields=["user", "document", "-accepted_at"], name="accounts_consent_user_doc")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_document_display()} {self.version}"
