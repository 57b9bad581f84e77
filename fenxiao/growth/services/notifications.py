"""Writes of the in-app notices (站内消息): a user marks its own notices read. Only the user's rows are
touched, and a notice already read keeps its first read time, so repeating a call changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from ..errors import GrowthCode, GrowthError
from ..models import Notification

MAX_IDS = 200


def _clean_ids(ids: Iterable) -> list[int]:
    ids = list(ids or [])
    if len(ids) > MAX_IDS:
        raise GrowthError(
            GrowthCode.INVALID_NOTIFICATIONS, gettext("一次最多标记 %(n)s 条消息") % {"n": MAX_IDS}, {"max": MAX_IDS}
        )
    if any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in ids):
        raise GrowthError(GrowthCode.INVALID_NOTIFICATIONS, gettext("消息编号必须是正整数"), {"ids": ids[:20]})
    return sorted(set(ids))


def mark_read(user, ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Mark the user's notices among `ids` read; ids of other users' notices are ignored. Returns
    how many were unread before."""
    ids = _clean_ids(ids)
    if not ids:
        return 0
    return Notification.objects.filter(user=user, pk__in=ids, read_at__isnull=True).update(read_at=now or timezone.now())


def mark_all_read(user, *, now: datetime | None = None) -> int:
    """Mark every unread notice of the user read; returns how many there were."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())


SHOP_FIELD_LABELS = {"name": _lazy("店名"), "welcome": _lazy("欢迎语"), "avatar": _lazy("店铺头像")}


def notify_shop_moderated(user_id: int, *, fields: Iterable[str], reason: str) -> Notification:
    """Tell a distributor which parts of its shop the operator reset, and why, with a link back to
    its shop editor."""
    labels = "、".join(str(SHOP_FIELD_LABELS[f]) for f in fields if f in SHOP_FIELD_LABELS)
    return Notification.objects.create(
        user_id=user_id,
        kind="shop_moderated",
        title=gettext("店铺信息已被重置"),
        body=(gettext("平台重置了你店铺的%(fields)s。原因：%(reason)s") % {"fields": labels, "reason": reason})[:500],
        url="/dc/shop/",
    )
