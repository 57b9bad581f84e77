"""Reads of group buys (拼团) for buyers and visitors: an activity with its products and the groups a
visitor may join, and one group's page. Members are shown masked (first character of the nickname),
as other people see them. A fixed number of queries each."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from fenxiao.common.phone import mask_name

from .models import Group, GroupBuy, GroupBuyItem, GroupMember, RunStatus

OPEN_GROUPS_LIMIT = 20

# The phases of an activity.
UPCOMING, RUNNING, PAUSED, ENDED = "upcoming", "running", "paused", "ended"


def phase(activity: GroupBuy, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if activity.status == RunStatus.ENDED or now >= activity.ends_at:
        return ENDED
    if activity.status == RunStatus.PAUSED:
        return PAUSED
    if now < activity.starts_at:
        return UPCOMING
    return RUNNING


@dataclass(frozen=True)
class ItemView:
    id: int
    sku_id: int
    product_id: int
    product_name: str
    sku_spec: str
    price_fen: int  # the group price
    retail_fen: int  # the price alone


@dataclass(frozen=True)
class MemberView:
    nickname: str  # masked
    avatar_text: str  # the first visible character, for the avatar placeholder
    is_leader: bool
    status: str  # joined / refunded
    joined_at: datetime


@dataclass(frozen=True)
class GroupView:
    id: int
    activity_id: int
    status: str
    status_label: str
    size: int
    members_count: int
    remaining: int  # seats left (0 once it is no longer forming)
    expires_at: datetime
    is_virtual: bool
    leader_nickname: str
    succeeded_at: datetime | None
    failed_at: datetime | None
    members: list[MemberView] = field(default_factory=list)
    activity_name: str = ""
    activity_phase: str = ""
    items: list[ItemView] = field(default_factory=list)  # the activity's products at the group price


@dataclass(frozen=True)
class ActivityView:
    id: int
    name: str
    phase: str
    starts_at: datetime
    ends_at: datetime
    group_size: int
    hours: int
    when_full: str
    per_order_limit: int
    allow_points: bool
    share_text: str
    items: list[ItemView]
    open_groups: list[GroupView]


def _masked(user) -> str:
    return mask_name(user.nickname or user.masked_phone or user.username)


def _member(member: GroupMember) -> MemberView:
    name = _masked(member.user)
    return MemberView(
        nickname=name, avatar_text=name[:1], is_leader=member.is_leader, status=member.status, joined_at=member.joined_at
    )


def _group(group: Group, *, members: list[GroupMember] | None = None) -> GroupView:
    forming = group.status == Group.Status.FORMING
    return GroupView(
        id=group.pk,
        activity_id=group.activity_id,
        status=group.status,
        status_label=str(group.get_status_display()),
        size=group.size,
        members_count=group.members_count,
        remaining=max(0, group.size - group.members_count) if forming else 0,
        expires_at=group.expires_at,
        is_virtual=group.is_virtual,
        leader_nickname=_masked(group.leader),
        succeeded_at=group.succeeded_at,
        failed_at=group.failed_at,
        members=[_member(m) for m in members or []],
    )


def items(activity_id: int) -> list[ItemView]:
    rows = GroupBuyItem.objects.filter(activity_id=activity_id).select_related("sku__product").order_by("id")
    return [
        ItemView(
            id=row.pk,
            sku_id=row.sku_id,
            product_id=row.sku.product_id,
            product_name=row.sku.product.name,
            sku_spec=row.sku.spec,
            price_fen=row.price_fen,
            retail_fen=row.sku.retail_fen,
        )
        for row in rows
    ]


def open_groups(activity_id: int, limit: int = OPEN_GROUPS_LIMIT, *, now: datetime | None = None, user=None) -> list[GroupView]:
    """Groups still forming, not past their deadline and with a seat left, soonest expiring first;
    for a signed-in `user`, not those it is in already."""
    now = now or timezone.now()
    rows = Group.objects.filter(activity_id=activity_id, status=Group.Status.FORMING, expires_at__gt=now).filter(
        members_count__lt=F("size")
    )
    if getattr(user, "is_authenticated", False):
        rows = rows.exclude(members__user=user)
    rows = rows.select_related("leader").order_by("expires_at", "pk")[: max(0, int(limit))]
    return [_group(g) for g in rows]


def group_page(group_id: int) -> GroupView | None:
    """One group with its members (masked), or None."""
    group = Group.objects.select_related("leader", "activity").filter(pk=group_id).first()
    if group is None:
        return None
    members = list(GroupMember.objects.filter(group=group).select_related("user").order_by("-is_leader", "joined_at", "pk"))
    view = _group(group, members=members)
    return replace(view, activity_name=group.activity.name, activity_phase=phase(group.activity), items=items(group.activity_id))


def activity_detail(activity_id: int, *, open_limit: int = OPEN_GROUPS_LIMIT, user=None) -> ActivityView | None:
    activity = GroupBuy.objects.filter(pk=activity_id).first()
    if activity is None:
        return None
    now = timezone.now()
    return ActivityView(
        id=activity.pk,
        name=activity.name,
        phase=phase(activity, now),
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        group_size=activity.group_size,
        hours=activity.hours,
        when_full=activity.when_full,
        per_order_limit=activity.per_order_limit,
        allow_points=activity.allow_points,
        share_text=activity.share_text,
        items=items(activity.pk),
        open_groups=open_groups(activity.pk, open_limit, now=now, user=user),
    )
