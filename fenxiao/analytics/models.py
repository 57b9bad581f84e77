"""Team figures and leaderboards are read from orders and the distributor network as they are (see
selectors). The tables here keep the figures of the console's home per closed local day, so that a
month or a 30-day trend adds up stored days instead of counting a month of rows again, and the
visitors of each month with the first day they came, since distinct visitors do not add up over days."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyFigures(models.Model):
    """One closed local calendar day (Asia/Shanghai) of the home's figures, as the live selectors count
    them (see `selectors.daily.FIELDS`); written only by `services.roll_up_days`."""

    day = models.DateField(_("日期"), unique=True)
    gmv_fen = models.BigIntegerField(_("成交额（分）"), default=0)
    paid_orders = models.PositiveIntegerField(_("付款订单"), default=0)
    visits = models.PositiveIntegerField(_("访问次数"), default=0)
    visitors = models.PositiveIntegerField(_("访客"), default=0)
    new_customers = models.PositiveIntegerField(_("新客户"), default=0)
    new_distributors = models.PositiveIntegerField(_("新分销商"), default=0)
    commission_fen = models.BigIntegerField(_("新增佣金（分）"), default=0)
    commissions = models.PositiveIntegerField(_("新增佣金笔数"), default=0)
    # Visitors whose first visit of the month fell on this day (see `MonthVisitor`): the month's
    # distinct visitors up to a day add these up.
    month_new_visitors = models.PositiveIntegerField(_("本月新访客"), default=0)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("每日经营数据")
        verbose_name_plural = _("每日经营数据")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class MonthVisitor(models.Model):
    """A visitor (the distribution selectors' visitor key) of a local calendar month and the first
    closed local day of that month it came, over the days that have their `DailyFigures` row; written
    only by `services.roll_up_days`."""

    month = models.DateField(_("月份"))  # its first day
    key = models.CharField(_("访客"), max_length=64)
    first_day = models.DateField(_("首次访问日"))

    class Meta:
        verbose_name = _("月访客")
        verbose_name_plural = _("月访客")
        constraints = [models.UniqueConstraint(fields=["month", "key"], name="month_visitor_unique")]
        indexes = [models.Index(fields=["month", "first_day"], name="month_visitor_first_day")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.key}"
