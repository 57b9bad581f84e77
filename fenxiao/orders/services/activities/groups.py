"""拼团 orders: placing one (open a group, or join one through its share link), what its payment
does to the group, the expiry job, and the leader's reward.

- Placing (`place_group_order`) only checks what can be known then (the activity runs, the group is
  open and has a seat, the buyer is not in it yet); a seat is taken by PAYING, with the group row
  locked, so parallel payers never overfill a group (the table refuses it too).
- The order is held (`Order.Hold.GROUP`): no shipping, no buyer's cancel and no after-sales until its
  group succeeds; then every member order is released together.
- A payer who finds the group full, ended or failed, or is in it already, opens a new group as its
  leader (`when_full=new_group`) or is refunded in full (`refuse`), right after the payment commits;
  the expiry job catches any such refund that was lost.
- `expire_groups` (every minute): a forming group past its deadline succeeds virtually when the
  activity allows it and it reached the threshold, otherwise it FAILS and every member order is
  refunded in full. One group per transaction, member orders in pk order, cancelled ones skipped, and
  the refund key is per order: a run killed half-way is rerun with nothing doubled or lost.
- A refund after success never reopens the group: the member shows as refunded, the group stays.
- The leader reward (`GroupBuy.leader_reward_fen`) is a platform marketing expense, never a
  commission: when the group succeeds it is credited to the withdrawable balance of the leader's
  distributor account in force (posting kind `group_leader_reward`, once per group); a leader who is
  not a distributor gets none, and the group's timeline says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.errors import DomainError
from fenxiao.common.money import yuan
from fenxiao.distribution.models import Distributor
from fenxiao.inventory.models import MAIN_LOCATION
from fenxiao.promotions import pricing
from fenxiao.promotions.errors import PromotionCode, PromotionError
from fenxiao.promotions.models import ActivityKind, ActivityOrder, Group, GroupBuy, GroupBuyItem, GroupMember, RunStatus
from fenxiao.promotions.services import groups as group_states

from ...models import Order
from .. import checkout, lifecycle
from ..states import S, note_on_order
from . import record, release_hold

logger = logging.getLogger(__name__)

LEADER_REWARD_KIND = "group_leader_reward"
LEADER_REWARD_EXPENSE_ACCOUNT = "platform:group_leader_reward_expense"
# A paid order left without a group this long after its payment (its refund after the commit was
# lost) is refunded by the expiry job.
UNSETTLED_AFTER = timedelta(minutes=2)

G = Group.Status
W = GroupBuy.WhenFull

# Who credits a leader reward to a distributor's balance: `payer({distributor_id: fen}, kind=,
# idempotency_key=, memo=, reference=)`, registered by the app that owns distributors' money
# (growth, in its AppConfig.ready) with the posting kind above.
_reward_payer: Callable[..., object] | None = None


def pay_leader_rewards_with(payer: Callable[..., object] | None) -> None:
    global _reward_payer
    _reward_payer = payer


# --- placing -------------------------------------------------------------------------------------


def terms_for(activity: GroupBuy, item: GroupBuyItem) -> pricing.ActivityTerms:
    """The price terms of a group order of `item`."""
    return pricing.ActivityTerms(
        kind=ActivityKind.GROUP,
        activity_id=activity.pk,
        label=activity.name or gettext("拼团价"),
        unit_prices={item.sku_id: item.price_fen},
        allow_points=activity.allow_points,
        pays_commission=activity.pays_commission,
    )


def check_running(activity: GroupBuy, now: datetime) -> None:
    if activity.status == RunStatus.ENDED or now >= activity.ends_at:
        raise PromotionError(PromotionCode.ACTIVITY_ENDED, gettext("拼团活动已结束"), {"activity_id": activity.pk}, status=409)
    if activity.status == RunStatus.PAUSED:
        raise PromotionError(
            PromotionCode.ACTIVITY_ENDED, gettext("拼团活动已暂停"), {"activity_id": activity.pk, "paused": True}, status=409
        )
    if now < activity.starts_at:
        raise PromotionError(
            PromotionCode.ACTIVITY_NOT_STARTED,
            gettext("拼团活动尚未开始"),
            {"activity_id": activity.pk, "starts_at": activity.starts_at.isoformat()},
            status=409,
        )


def check_joinable(group: Group | None, *, activity: GroupBuy, user, now: datetime) -> None:
    """Whether `user` may place an order to join `group` now (a seat is only taken by paying)."""
    if group is None or group.activity_id != activity.pk:
        raise PromotionError(
            PromotionCode.GROUP_NOT_FOUND, gettext("团不存在"), {"group_id": getattr(group, "pk", None)}, status=404
        )
    if group_states.has_member(group, user.pk):
        raise PromotionError(PromotionCode.ALREADY_IN_GROUP, gettext("你已在这个团里"), {"group_id": group.pk}, status=409)
    # A group that filled up has succeeded: full, not ended (the activity may open a new group then).
    full = group.status == G.SUCCEEDED or group.members_count >= group.size
    if not full and not group_states.is_open(group, now):
        raise PromotionError(
            PromotionCode.GROUP_ENDED,
            gettext("这个团已结束，可以自己开团"),
            {"group_id": group.pk, "status": group.status},
            status=409,
        )
    if full and activity.when_full != W.NEW_GROUP:
        raise PromotionError(
            PromotionCode.GROUP_FULL, gettext("这个团已满，可以自己开团"), {"group_id": group.pk, "size": group.size}, status=409
        )


def place_group_order(
    *,
    user,
    item_id: int,
    group_id: int | None = None,
    quantity: int = 1,
    address: dict,
    points=0,
    note: str = "",
) -> Order:
    """Place a 拼团 order of `quantity` of the activity item `item_id`: to open a group (`group_id`
    None) or to join the group `group_id`. The order is priced at the group price, reserved from the
    platform warehouse and held until its group succeeds; paying it opens or joins the group."""
    item = GroupBuyItem.objects.select_related("activity").filter(pk=item_id).first()
    if item is None:
        raise PromotionError(PromotionCode.ACTIVITY_NOT_FOUND, gettext("拼团商品不存在"), {"item_id": item_id}, status=404)
    activity = item.activity
    now = timezone.now()
    check_running(activity, now)
    if group_id is not None:
        check_joinable(Group.objects.filter(pk=group_id).first(), activity=activity, user=user, now=now)
    if quantity > activity.per_order_limit:
        raise PromotionError(
            PromotionCode.ACTIVITY_LIMIT_REACHED,
            gettext("每单最多购买 %(n)s 件") % {"n": activity.per_order_limit},
            {"per_order_limit": activity.per_order_limit, "quantity": quantity},
            status=409,
        )
    with transaction.atomic():
        order = checkout.place_order(
            user=user,
            items=[(item.sku_id, quantity)],
            address=address,
            note=note,
            coupon=None,
            points=points,
            activity=terms_for(activity, item),
            location=MAIN_LOCATION,
            hold=Order.Hold.GROUP,
        )
        record(
            order,
            kind=ActivityKind.GROUP,
            activity_id=activity.pk,
            item_id=item.pk,
            join_group_id=group_id,
            quantity=quantity,
        )
    return order


# --- the order's lifecycle -------------------------------------------------------------------------


def on_paid(order: Order, row: ActivityOrder) -> None:
    """In the payment's transaction: open the group, or take the seat in the one joined."""
    if row.group_id is not None:
        return  # a replay: the order is in its group already
    activity = GroupBuy.objects.get(pk=row.activity_id)
    now = timezone.now()
    user = order.user
    if row.join_group_id is None:
        _open(order, row, activity, now, note=gettext("开团"))
        return
    group = group_states.locked_group(row.join_group_id)
    refused = None
    if group is None or not group_states.is_open(group, now):
        refused = gettext("付款时团已结束")
    elif group_states.has_member(group, order.user_id):
        refused = gettext("付款时你已在这个团里")
    elif group.members_count >= group.size:
        refused = gettext("付款时团已满")
    if refused is None:
        assert group is not None
        ActivityOrder.objects.filter(pk=row.pk).update(group=group)
        row.group = group
        full = group_states.add_member(group, user=user, order_id=order.pk)
        note_on_order(order, gettext("已参团（%(n)s/%(size)s）") % {"n": group.members_count, "size": group.size})
        if full:
            _succeed(group, activity, now=now)
        return
    if activity.when_full == W.NEW_GROUP:
        _open(order, row, activity, now, note=gettext("%(why)s，已为你开新团") % {"why": refused})
        return
    reason = gettext("%(why)s，拼团订单全额退款") % {"why": refused}
    note_on_order(order, reason)
    refund_after_commit(order.pk, reason)


def _open(order: Order, row: ActivityOrder, activity: GroupBuy, now: datetime, *, note: str) -> Group:
    group = group_states.open_group(activity=activity, leader=order.user, order_id=order.pk, now=now)
    ActivityOrder.objects.filter(pk=row.pk).update(group=group)
    row.group = group
    note_on_order(order, note)
    if group.members_count >= group.size:  # a group of one cannot be configured, but never wait on it
        _succeed(group, activity, now=now)
    return group


def refund_after_commit(order_id: int, reason: str) -> None:
    """Cancel and refund the order in full once the current (payment's) transaction commits."""

    def run() -> None:
        refuse_paid_order(order_id, reason)

    transaction.on_commit(run, robust=True)


def refuse_paid_order(order_id: int, reason: str) -> bool:
    try:
        lifecycle.cancel_order(order_id=order_id, actor=None, as_buyer=False, approved=True, reason=reason)
    except DomainError as exc:
        logger.info("group order %s not refused: %s", order_id, exc)
        return False
    return True


def on_ended(order: Order, row: ActivityOrder, *, was: str) -> None:
    """The order was cancelled: unpaid, it never joined and there is nothing to undo; paid (refunded
    in full by the cancel), its member shows as refunded."""
    if was == ActivityOrder.State.PAID:
        group_states.member_refunded(order_id=order.pk)


def on_refunded(order: Order, row: ActivityOrder) -> None:
    """A refund was booked (after-sales after shipping, or the cancel's): once the order is refunded
    in full its member shows as refunded; the group keeps its outcome."""
    if row.state == ActivityOrder.State.REFUNDED:
        group_states.member_refunded(order_id=order.pk)


# --- success, failure and the leader's reward -----------------------------------------------------


def _succeed(group: Group, activity: GroupBuy, *, now: datetime, virtual: bool = False) -> None:
    group_states.succeed(group, virtual=virtual, at=now)
    joined = list(
        GroupMember.objects.filter(group=group, status=GroupMember.Status.JOINED)
        .order_by("pk")
        .values_list("order_id", flat=True)
    )
    release_hold(joined, note=gettext("拼团成功，可以发货"))
    reward_leader(group, activity)


def reward_leader(group: Group, activity: GroupBuy) -> int:
    """Pay the leader reward of a group that succeeded, once. Returns the fen credited."""
    amount = activity.leader_reward_fen
    if amount <= 0 or group.leader_rewarded_at is not None:
        return 0
    leader = GroupMember.objects.filter(group=group, is_leader=True).first()
    if leader is None or leader.status != GroupMember.Status.JOINED:
        group_states.note(group, gettext("团长订单已退款，不发放团长奖励"))
        return 0
    distributor = Distributor.objects.filter(user_id=group.leader_id, status=Distributor.Status.APPROVED).first()
    if distributor is None:
        group_states.note(group, gettext("团长不是在册分销商，不发放团长奖励"))
        return 0
    if _reward_payer is None:
        group_states.note(group, gettext("团长奖励未能入账（未配置）"))
        logger.error("group %s: no leader reward payer registered", group.pk)
        return 0
    _reward_payer(
        {distributor.pk: amount},
        kind=LEADER_REWARD_KIND,
        idempotency_key=f"{LEADER_REWARD_KIND}:{group.pk}",
        memo=gettext("拼团团长奖励（团 #%(id)s）") % {"id": group.pk},
        reference=f"group:{group.pk}",
    )
    now = timezone.now()
    Group.objects.filter(pk=group.pk).update(leader_rewarded_at=now)
    group.leader_rewarded_at = now
    ActivityOrder.objects.filter(order_id=leader.order_id).update(cost_fen=F("cost_fen") + amount)
    group_states.note(group, gettext("团长奖励 ¥%(amount)s 已计入分销商可提现余额") % {"amount": yuan(amount)})
    return amount


# --- the expiry job --------------------------------------------------------------------------------


def expire_groups(now: datetime | None = None) -> dict[str, int]:
    """Scheduled (every minute): settle the groups past their deadline, and refund any paid group
    order whose refusal was lost. Idempotent; safe to rerun after a crash at any point."""
    now = now or timezone.now()
    done = {"groups_succeeded": 0, "groups_failed": 0, "orders_refunded": 0, "unsettled_refunded": 0}
    due = Group.objects.filter(status=G.FORMING, expires_at__lte=now).order_by("expires_at", "pk").values_list("pk", flat=True)
    for group_id in list(due):
        outcome, refunded = _expire_one(group_id, now)
        if outcome == G.SUCCEEDED:
            done["groups_succeeded"] += 1
        elif outcome == G.FAILED:
            done["groups_failed"] += 1
        done["orders_refunded"] += refunded
    done["unsettled_refunded"] = refund_unsettled(now)
    return done


def _expire_one(group_id: int, now: datetime) -> tuple[str, int]:
    with transaction.atomic():
        # The member orders first, then the group: the same order as a payment (order, then group).
        order_ids = list(GroupMember.objects.filter(group_id=group_id).values_list("order_id", flat=True))
        list(Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk").values_list("pk", flat=True))
        group = group_states.locked_group(group_id)
        if group is None or group.status != G.FORMING or group.expires_at > now:
            return "", 0
        activity = group.activity
        if activity.virtual_success and group.members_count >= activity.virtual_min_members:
            _succeed(group, activity, now=now, virtual=True)
            return G.SUCCEEDED, 0
        group_states.fail(group, at=now)
        return G.FAILED, refund_members(group)


def refund_members(group: Group) -> int:
    """Cancel and refund in full every member order of a failed group, in pk order, skipping those
    already cancelled (the cancel's refund key is per order, so nothing is paid back twice)."""
    reason = gettext("拼团未成团，系统自动全额退款")
    refunded = 0
    for order_id in sorted(group_states.member_orders(group)):
        status = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
        if status != S.PAID:
            continue
        lifecycle.cancel_order(order_id=order_id, actor=None, as_buyer=False, approved=True, reason=reason)
        refunded += 1
    return refunded


def refund_unsettled(now: datetime) -> int:
    """Paid group orders that found no group (refused when paid) and are still paid a while later:
    their refund after the payment was lost; refund them now."""
    rows = ActivityOrder.objects.filter(
        kind=ActivityKind.GROUP, state=ActivityOrder.State.PAID, group__isnull=True, created_at__lte=now - UNSETTLED_AFTER
    ).values_list("order_id", flat=True)
    done = 0
    for order_id in list(rows):
        if not Order.objects.filter(pk=order_id, status=S.PAID, paid_at__lte=now - UNSETTLED_AFTER).exists():
            continue
        if refuse_paid_order(order_id, gettext("拼团未能参团，系统自动全额退款")):
            done += 1
    return done
