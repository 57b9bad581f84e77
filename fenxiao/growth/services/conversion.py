"""Writes of the consumer-to-distributor conversion: after a completed order a consumer (a buyer with no
distributor profile at all) is invited once to apply; its application and its approval are stamped on
that invitation, so the operator can read how many invited consumers became distributors.

Called from the order and distribution signal receivers, inside the sender's transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.distribution.models import Distributor

from ..models import ApplyInvitation, Notification

NOTICE_KIND = "apply_invitation"
APPLY_URL = "/apply/"


def invite_after_order(order, *, now: datetime | None = None) -> ApplyInvitation | None:
    """Invite the buyer of a completed order to apply, once per user. Returns the invitation made now,
    or None when the buyer already has a distributor profile or was invited before (a concurrent
    completion of another order of the same buyer loses the unique user and makes nothing)."""
    if Distributor.objects.filter(user_id=order.user_id).exists():
        return None
    now = now or timezone.now()
    invitation, created = ApplyInvitation.objects.get_or_create(
        user_id=order.user_id, defaults={"order_id": order.pk, "invited_by_id": order.distributor_id, "created_at": now}
    )
    if not created:
        return None
    Notification.objects.create(
        user_id=order.user_id,
        kind=NOTICE_KIND,
        title=gettext("成为分销商，分享赚佣金"),
        body=gettext("你的订单已完成。申请成为分销商，把喜欢的商品分享给好友，好友下单你就能获得佣金。"),
        url=APPLY_URL,
        created_at=now,
    )
    return invitation


def mark_applied(user_id: int, *, at: datetime | None = None) -> int:
    """The invited user applied; the first application counts. Returns the rows changed (0 or 1)."""
    return ApplyInvitation.objects.filter(user_id=user_id, applied_at__isnull=True).update(applied_at=at or timezone.now())


def mark_approved(user_id: int, *, at: datetime | None = None) -> int:
    """The invited user became a distributor; the first approval counts. An approval without an
    application of its own (say, an operator admitting the user directly) stamps both."""
    at = at or timezone.now()
    return ApplyInvitation.objects.filter(user_id=user_id, approved_at__isnull=True).update(
        applied_at=Coalesce("applied_at", at), approved_at=at
    )
