"""开抢提醒: the in-app notice to everyone who asked to be reminded of a flash sale (提醒我), sent once
when the sale is about to start.

The job runs every minute and sends for every active sale that starts within the next few minutes (or
has started and still runs: a reminder set late, or a job that was down, is still worth a notice).
Each reminder is claimed by a conditional update of its `notified_at`, in the same transaction as its
notice, so a rerun, or two runs side by side, never send a notice twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.promotions.models import FlashReminder, FlashSale, RunStatus

from ..models import Notification

#: A sale starting within this much time gets its reminders now.
LEAD = timedelta(minutes=5)
#: Reminders claimed per transaction (a sale with many followers is sent in several batches).
BATCH = 1000


@dataclass
class ReminderRun:
    sales: int = 0
    notices: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"flash_reminder_sales": self.sales, "flash_reminders_sent": self.notices}


def flash_url(sale_id: int) -> str:
    """The phone page of the sale's slot (站内页面路径)."""
    return f"/flash/?sale={sale_id}"


def due_sales(now: datetime):
    """Active sales starting within LEAD (or running) that still have reminders to send."""
    return (
        FlashSale.objects.filter(
            status=RunStatus.ACTIVE,
            starts_at__lte=now + LEAD,
            ends_at__gt=now,
            reminders__notified_at__isnull=True,
        )
        .distinct()
        .order_by("starts_at", "pk")
    )


def _notice(sale: FlashSale, user_id: int, now: datetime) -> Notification:
    local = timezone.localtime(sale.starts_at)
    if sale.starts_at <= now:
        body = gettext("「%(name)s」已经开抢，数量有限，先到先得。") % {"name": sale.name}
    else:
        body = gettext("「%(name)s」将于 %(time)s 开抢，数量有限，先到先得。") % {
            "name": sale.name,
            "time": local.strftime("%H:%M"),
        }
    return Notification(
        user_id=user_id,
        kind=Notification.Kind.FLASH_REMINDER,
        title=gettext("秒杀开抢提醒")[:80],
        body=body[:500],
        url=flash_url(sale.pk),
        created_at=now,
    )


def _send_batch(sale: FlashSale, now: datetime) -> int:
    """Claim up to BATCH unsent reminders of the sale and write their notices; 0 when none are left."""
    with transaction.atomic():
        rows = list(
            FlashReminder.objects.select_for_update(skip_locked=True)
            .filter(sale_id=sale.pk, notified_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "user_id")[:BATCH]
        )
        if not rows:
            return 0
        claimed = FlashReminder.objects.filter(pk__in=[pk for pk, _user in rows], notified_at__isnull=True)
        claimed_ids = set(claimed.values_list("pk", flat=True))
        FlashReminder.objects.filter(pk__in=claimed_ids, notified_at__isnull=True).update(notified_at=now)
        notices = [_notice(sale, user_id, now) for pk, user_id in rows if pk in claimed_ids]
        Notification.objects.bulk_create(notices)
        return len(notices)


def send_flash_reminders(now: datetime | None = None) -> dict[str, int]:
    """Send the due 开抢提醒 notices; idempotent (each reminder is sent once)."""
    now = now or timezone.now()
    run = ReminderRun()
    for sale in list(due_sales(now)):
        sent = 0
        while True:
            batch = _send_batch(sale, now)
            if not batch:
                break
            sent += batch
        if sent:
            run.sales += 1
            run.notices += sent
        FlashSale.objects.filter(pk=sale.pk, reminded_at__isnull=True).update(reminded_at=now)
    return run.as_dict()
