"""The groups (团) of a group buy (拼团): their states and the writes on one locked group.

A group is FORMING from the moment its leader's payment opens it; it SUCCEEDS when its last seat is
paid (or, at expiry, when virtual success is on and it reached the threshold) and FAILS at expiry
otherwise. Both are final: a refund after success never reopens a group. Every move leaves a
`GroupEvent`. The orders app drives these (it knows the payments); the functions here work on a
group the caller has locked with `locked_group`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fenxiao.common.transitions import StateMachine

from ..errors import PromotionCode, PromotionError
from ..models import Group, GroupBuy, GroupEvent, GroupMember

G = Group.Status

GROUP_TRANSITIONS: dict[str, set[str]] = {
    G.FORMING: {G.SUCCEEDED, G.FAILED},
    G.SUCCEEDED: set(),
    G.FAILED: set(),
}

GROUP_MACHINE = StateMachine(
    table=GROUP_TRANSITIONS,
    labels=Group.Status,
    error=PromotionError,
    code=PromotionCode.INVALID_TRANSITION,
    event_model=GroupEvent,
    event_fk="group",
    stamps={G.SUCCEEDED: "succeeded_at", G.FAILED: "failed_at"},
    what=gettext_lazy("团"),
)


def locked_group(group_id: int) -> Group | None:
    return Group.objects.select_for_update().filter(pk=group_id).first()


def is_open(group: Group, now: datetime) -> bool:
    """Forming and not past its deadline: a payer may still take a seat (if one is left)."""
    return group.status == G.FORMING and group.expires_at > now


def has_member(group: Group, user_id: int) -> bool:
    return GroupMember.objects.filter(group=group, user_id=user_id).exists()


def open_group(*, activity: GroupBuy, leader, order_id: int, now: datetime | None = None) -> Group:
    """A paid order opens a group with its buyer as leader (the first member)."""
    now = now or timezone.now()
    group = Group.objects.create(
        activity=activity,
        leader=leader,
        size=activity.group_size,
        members_count=1,
        expires_at=now + timedelta(hours=activity.hours),
    )
    GroupMember.objects.create(group=group, user=leader, order_id=order_id, is_leader=True)
    GROUP_MACHINE.record(group, "", G.FORMING, actor=leader, note=gettext("团长付款开团"))
    return group


def add_member(group: Group, *, user, order_id: int) -> bool:
    """A paid order takes a seat in the locked, open group that has one left. Returns whether that
    filled the group (the caller then makes it succeed)."""
    GroupMember.objects.create(group=group, user=user, order_id=order_id)
    group.members_count += 1
    Group.objects.filter(pk=group.pk).update(members_count=F("members_count") + 1)
    GROUP_MACHINE.record(group, group.status, group.status, actor=user, note=gettext("付款参团"))
    return group.members_count >= group.size


def succeed(group: Group, *, virtual: bool = False, at: datetime | None = None, note: str = "") -> None:
    group.is_virtual = virtual
    GROUP_MACHINE.move(
        group,
        G.SUCCEEDED,
        note=note or (gettext("到期模拟成团") if virtual else gettext("人数已满，拼团成功")),
        at=at,
        extra_fields=("is_virtual",),
    )


def fail(group: Group, *, at: datetime | None = None, note: str = "") -> None:
    GROUP_MACHINE.move(group, G.FAILED, note=note or gettext("到期未成团，全额退款"), at=at)


def member_orders(group: Group) -> list[int]:
    """The orders of the group's members, in the order they joined (by member row)."""
    return list(GroupMember.objects.filter(group=group).order_by("pk").values_list("order_id", flat=True))


def member_refunded(*, order_id: int, at: datetime | None = None) -> GroupMember | None:
    """The member's order was refunded in full: the member shows as refunded. A group still forming
    frees the seat (the member is no longer counted); a group that succeeded or failed keeps its
    count and its outcome. Returns the member row, or None when the order never joined a group."""
    member = GroupMember.objects.select_related("group").filter(order_id=order_id).first()
    if member is None or member.status == GroupMember.Status.REFUNDED:
        return member
    at = at or timezone.now()
    GroupMember.objects.filter(pk=member.pk, status=GroupMember.Status.JOINED).update(
        status=GroupMember.Status.REFUNDED, refunded_at=at
    )
    member.status, member.refunded_at = GroupMember.Status.REFUNDED, at
    group = locked_group(member.group_id)
    if group is not None and group.status == G.FORMING:
        Group.objects.filter(pk=group.pk, members_count__gt=0).update(members_count=F("members_count") - 1)
        group.refresh_from_db(fields=["members_count"])
        GROUP_MACHINE.record(group, group.status, group.status, note=gettext("团员退款，名额空出"))
        if group.members_count == 0:
            fail(group, at=at, note=gettext("团内已无付款成员，拼团结束"))
    elif group is not None:
        GROUP_MACHINE.record(group, group.status, group.status, note=gettext("团员退款，团状态不变"))
    return member


def note(group: Group, text: str) -> None:
    """A line on the group's timeline that changes nothing."""
    GROUP_MACHINE.record(group, group.status, group.status, note=text)
