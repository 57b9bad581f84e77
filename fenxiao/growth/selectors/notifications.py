"""Reads of the in-app notices: a user's own notices, newest first, a page at a time, and how many are
unread (the badge). Each is one or two queries whatever the number of notices."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from ..errors import GrowthCode, GrowthError
from ..models import Notification

PER_PAGE = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class NoticePage:
    count: int
    unread_count: int
    items: list[Notification]


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notices(user, *, unread_only: bool = False):
    """The user's notices, newest first (the index on user and time serves it)."""
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notice_page(user, *, limit: int = PER_PAGE, offset: int = 0, unread_only: bool = False) -> NoticePage:
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise GrowthError(GrowthCode.INVALID_FILTER, gettext("分页参数不正确"), {"limit": limit, "offset": offset})
    qs = notices(user, unread_only=unread_only)
    return NoticePage(count=qs.count(), unread_count=unread_count(user), items=list(qs[offset : offset + limit]))


def own_notice(user, notice_id: int) -> Notification | None:
    """One notice of the user; another user's notice reads as missing."""
    return Notification.objects.filter(user=user, pk=notice_id).first()
