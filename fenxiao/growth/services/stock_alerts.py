"""Staff notices about stock: the 供应链 staff hear once when a stock record's free units fall below
its safety stock (again only after it went back up), and a staff group hears of a batch recall."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.inventory.models import StockRecord

from ..models import Notification, SafetyStockAlert

SUPPLY_GROUP = "供应链"
OPERATIONS_GROUP = "运营"


def staff_of(*groups: str) -> list[int]:
    """Active staff users of the staff groups, each once (superusers are not told unless in one)."""
    User = get_user_model()
    return list(
        User.objects.filter(groups__name__in=groups, is_active=True, is_staff=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def notify_group(*groups: str, kind: str, title: str, body: str, url: str = "") -> int:
    """One notice per active staff user of the groups (once for a member of several); returns how
    many were sent."""
    users = staff_of(*groups)
    Notification.objects.bulk_create(
        [Notification(user_id=user_id, kind=kind, title=title[:80], body=body[:500], url=url[:200]) for user_id in users]
    )
    return len(users)


def safety_stock_alerts(now: datetime | None = None) -> dict[str, int]:
    """Every few minutes: tell the 供应链 staff about each stock record that fell below its safety
    stock since the last run (one notice per crossing, listing them), and forget the records that
    went back up, so their next fall is told again. Idempotent: a second run finds nothing new."""
    now = now or timezone.now()
    with transaction.atomic():
        below = list(
            StockRecord.objects.filter(safety_stock__gt=0)
            .annotate(free=F("on_hand") - F("reserved"))
            .filter(free__lt=F("safety_stock"))
            .select_related("sku__product")
            .order_by("pk")
        )
        below_ids = {r.pk for r in below}
        recovered, _ = SafetyStockAlert.objects.exclude(stock_record_id__in=below_ids).delete()
        known = set(SafetyStockAlert.objects.filter(stock_record_id__in=below_ids).values_list("stock_record_id", flat=True))
        fresh = [r for r in below if r.pk not in known]
        if not fresh:
            return {"stock_alerts_sent": 0, "stock_alerts_records": 0, "stock_alerts_recovered": recovered}
        SafetyStockAlert.objects.bulk_create(
            [SafetyStockAlert(stock_record=r, available=r.free, safety_stock=r.safety_stock, alerted_at=now) for r in fresh],
            ignore_conflicts=True,
        )
        names = [
            gettext("%(sku)s（%(location)s）可用 %(free)s，安全库存 %(safety)s")
            % {"sku": r.sku, "location": r.location, "free": max(r.free, 0), "safety": r.safety_stock}
            for r in fresh
        ]
        title = gettext("%(n)s 个库存低于安全库存") % {"n": len(fresh)}
        sent = notify_group(
            SUPPLY_GROUP,
            kind=Notification.Kind.STOCK_ALERT,
            title=title,
            body="；".join(names),
            url="/console/inventory/stockrecord/",
        )
        return {"stock_alerts_sent": sent, "stock_alerts_records": len(fresh), "stock_alerts_recovered": recovered}


def notify_recall(*, batch_number: str, sku: str, orders: int, buyers: int, note: str, url: str = "") -> int:
    """Tell the 运营 staff a batch is being recalled and how many orders and buyers it reached."""
    return notify_group(
        OPERATIONS_GROUP,
        kind=Notification.Kind.BATCH_RECALL,
        title=gettext("批次召回：%(batch)s") % {"batch": batch_number},
        body=gettext("%(sku)s 批次 %(batch)s 发起召回，涉及 %(orders)s 个订单、%(buyers)s 位买家。%(note)s")
        % {"sku": sku, "batch": batch_number, "orders": orders, "buyers": buyers, "note": note},
        url=url,
    )
