"""In-app notices (站内消息) of the signed-in user: the list with the unread count, and marking read.
Thin: the services write, the selectors read."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema

from fenxiao.accounts.auth import current_user, member_auth
from fenxiao.common.validation import InputSchema

from .. import selectors, services
from ..selectors.notifications import PER_PAGE

router = Router(tags=["站内消息 notifications"], auth=member_auth)


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class NotificationPage(Schema):
    count: int
    unread_count: int
    items: list[NotificationOut]


class NotificationFilter(Schema):
    unread: bool = False
    limit: int = PER_PAGE
    offset: int = 0


class ReadIn(InputSchema):
    ids: list[int] = Field(..., description="要标记为已读的消息编号（只处理自己的消息）")


class ReadOut(Schema):
    marked: int
    unread_count: int


def _notice(row) -> dict:
    return {
        "id": row.pk,
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "url": row.url,
        "created_at": row.created_at,
        "read_at": row.read_at,
        "is_read": row.read_at is not None,
    }


@router.get("", response=NotificationPage, summary="我的消息（最新在前）与未读数")
def list_notifications(request, filters: Query[NotificationFilter]):
    page = selectors.notice_page(current_user(request), limit=filters.limit, offset=filters.offset, unread_only=filters.unread)
    return {"count": page.count, "unread_count": page.unread_count, "items": [_notice(row) for row in page.items]}


@router.post("/read", response=ReadOut, summary="标记消息已读（可重复调用）")
def read(request, payload: ReadIn):
    user = current_user(request)
    marked = services.mark_read(user, payload.ids)
    return {"marked": marked, "unread_count": selectors.unread_count(user)}


@router.post("/read-all", response=ReadOut, summary="全部标记为已读")
def read_all(request):
    user = current_user(request)
    marked = services.mark_all_read(user)
    return {"marked": marked, "unread_count": 0}
