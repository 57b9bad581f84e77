"""The operator hears about what suppliers report: supply sits beside growth (where the in-app notices
live), so the console, above both, connects them."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext

from fenxiao.growth.models import Notification
from fenxiao.growth.services.stock_alerts import notify_group

GROUPS = ("供应链", "客服")


def exception_reported(exception) -> None:
    """A supplier reported a shipment it cannot ship as it is: one notice to each 供应链 and 客服 staff
    member, after the report commits."""
    exception_id = exception.pk
    title = gettext("发货异常：%(kind)s") % {"kind": exception.get_kind_display()}
    body = gettext("%(supplier)s 报告订单 %(number)s 的发货异常：%(note)s") % {
        "supplier": exception.supplier.name if exception.supplier_id else gettext("平台仓"),
        "number": exception.shipment.order.number,
        "note": exception.note,
    }
    url = reverse("admin:supply_shipmentexception_change", args=[exception_id])

    def send() -> None:
        notify_group(*GROUPS, kind=Notification.Kind.SHIPMENT_EXCEPTION, title=title, body=body, url=url)

    transaction.on_commit(send)


def register() -> None:
    from fenxiao.supply.portal.services import exception_events

    exception_events.register("console", on_reported=exception_reported)
