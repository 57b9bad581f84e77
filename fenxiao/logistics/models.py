"""Carriers (快递公司) an order's shipment can go with, and the tracking events a logistics-query
provider reports for a tracking number. The app knows no order: a shipment names its carrier and
number, and asks here for the events."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Carrier(models.Model):
    code = models.SlugField(
        _("编码"), max_length=32, unique=True, help_text=_("快递查询接口使用的公司编码，如 shunfeng、zhongtong")
    )
    name = models.CharField(_("名称"), max_length=40, unique=True)
    tracking_url_template = models.CharField(
        _("查询链接模板"),
        max_length=200,
        blank=True,
        help_text=_("{number} 处替换为快递单号，如 https://www.sf-express.com/...?no={number}"),
    )
    number_pattern = models.CharField(
        _("单号格式"), max_length=120, blank=True, help_text=_("正则表达式，整串匹配；留空则只检查长度 6–40 位字母数字")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("快递公司")
        verbose_name_plural = _("快递公司")

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, number: str) -> str:
        return self.tracking_url_template.replace("{number}", number) if self.tracking_url_template else ""


class TrackingEvent(models.Model):
    """One step of a parcel's journey as the provider reported it; the same step reported again is
    kept once (unique on carrier, number, time and text)."""

    class State(models.TextChoices):
        IN_TRANSIT = "in_transit", _("运输中")
        PICKED_UP = "picked_up", _("已揽收")
        DELIVERING = "delivering", _("派送中")
        DELIVERED = "delivered", _("已签收")
        EXCEPTION = "exception", _("异常")
        RETURNED = "returned", _("退回")

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="events", verbose_name=_("快递公司"))
    tracking_number = models.CharField(_("快递单号"), max_length=40)
    occurred_at = models.DateTimeField(_("时间"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.IN_TRANSIT)
    description = models.CharField(_("描述"), max_length=300)
    location = models.CharField(_("地点"), max_length=80, blank=True)
    fetched_at = models.DateTimeField(_("获取时间"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("物流轨迹")
        verbose_name_plural = _("物流轨迹")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number", "occurred_at", "description"], name="tracking_event_once"
            ),
        ]
        indexes = [models.Index(fields=["carrier", "tracking_number", "-occurred_at"], name="tracking_event_parcel")]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.occurred_at:%Y-%m-%d %H:%M} {self.description}"


DELIVERED_Q = Q(state=TrackingEvent.State.DELIVERED)


class Parcel(models.Model):
    """A tracking number of a carrier as the polling knows it: when it was last asked about (so the
    provider is not asked again within the poll interval) and when it was signed for."""

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="parcels", verbose_name=_("快递公司"))
    number = models.CharField(_("快递单号"), max_length=40)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("上次查询"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    last_error = models.CharField(_("上次查询失败原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("包裹")
        verbose_name_plural = _("包裹")
        constraints = [models.UniqueConstraint(fields=["carrier", "number"], name="parcel_once")]
        indexes = [models.Index(fields=["last_polled_at"], name="parcel_last_polled")]

    def __str__(self) -> str:
        return f"{self.carrier_id}:{self.number}"
