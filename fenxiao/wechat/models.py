"""A WeChat account (an openid of one of the shop's WeChat apps) tied to a user of the shop."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WeChatIdentity(models.Model):
    class Kind(models.TextChoices):
        OFFICIAL_ACCOUNT = "oa", _("公众号")
        MINI_PROGRAM = "mp", _("小程序")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wechat_identities", verbose_name=_("用户")
    )
    kind = models.CharField(_("来源"), max_length=2, choices=Kind.choices)
    appid = models.CharField("AppID", max_length=32)
    openid = models.CharField("OpenID", max_length=64)
    unionid = models.CharField("UnionID", max_length=64, blank=True, db_index=True)
    nickname = models.CharField(_("微信昵称"), max_length=64, blank=True)
    avatar_url = models.URLField(_("微信头像"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("绑定时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("微信身份")
        verbose_name_plural = _("微信身份")
        constraints = [models.UniqueConstraint(fields=["appid", "openid"], name="wechat_identity_openid_per_app")]
        indexes = [models.Index(fields=["user", "kind"], name="wechat_identity_user_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.openid[:6]}… → {self.user_id}"
