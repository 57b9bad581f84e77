from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fenxiao.common.phone import mask_phone

from .regions import Division, Region

MAX_ADDRESSES = 20


class Address(models.Model):
    """One entry of a buyer's address book. An order copies the address when it is placed, so editing
    or deleting an entry never changes an order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="address_book", verbose_name=_("用户")
    )
    receiver = models.CharField(_("收货人"), max_length=32)
    phone = models.CharField(_("手机号"), max_length=11)
    province = models.CharField(_("省"), max_length=20)
    province_code = models.CharField(_("省代码"), max_length=12)
    city = models.CharField(_("市"), max_length=20)
    city_code = models.CharField(_("市代码"), max_length=12)
    district = models.CharField(_("区/县"), max_length=20)
    district_code = models.CharField(_("区/县代码"), max_length=12)
    detail = models.CharField(_("详细地址"), max_length=120)
    is_default = models.BooleanField(_("默认地址"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-is_default", "-created_at", "-id"]
        verbose_name = _("收货地址")
        verbose_name_plural = _("收货地址")
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_default=True), name="addresses_one_default_per_user"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="addresses_user_created")]

    def __str__(self) -> str:
        return f"{self.receiver} {mask_phone(self.phone)} {self.region.label()}"

    @property
    def region(self) -> Region:
        return Region(
            Division(self.province_code, self.province),
            Division(self.city_code, self.city),
            Division(self.district_code, self.district),
        )

    @property
    def region_label(self) -> str:
        return self.region.label()

    def for_order(self) -> dict:
        """The address as an order takes it (orders keep their own copy)."""
        province, city, district = self.region.postal_names()
        return {
            "receiver": self.receiver,
            "phone": self.phone,
            "province": province,
            "city": city,
            "district": district,
            "detail": self.detail,
        }
