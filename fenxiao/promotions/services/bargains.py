"""Bargains (砍价): a user starts a bargain on an activity's SKU and friends cut its price, through the
shared link, down to the floor in exactly `helps_needed` helps.

The cut: with R fen left above the floor and k helpers still to come (this one included), the last
helper takes all of R; any other cuts a random 20–50 % of what remains after holding back one fen for
each helper still to come after it (`next_cut`), so every helper cuts at least one fen and the floor is
reached with the N-th help, never before and never below it.

A help locks the bargain row (select_for_update), so two helpers at once are served one after the other
and a bargain never takes more helps than it needs. A helper helps a bargain once (`bargain_help_once`)
and at most `daily_help_limit` times a local (Asia/Shanghai) day across bargains; the starter never
helps their own bargain. Where the activity lets visitors help without an account, a visitor is named by
the browser's session key ("v:<session key>").

Every status change goes through `BARGAIN_MACHINE` and leaves a `BargainEvent`:

    active ──(N-th help)──▶ floor ──(order placed)──▶ bought
      │                      │                          │ (order cancelled unpaid: back to floor,
      │ (deadline)           │ (activity over)          │  active or expired, whichever holds)
      ▼                      ▼                          │
    expired ◀────────────────┘ ◀────────────────────────┘

An active bargain whose activity allows buying above the floor (`buy_above_floor`) may be bought at
once at the price reached, which ends it; an expired one may then be bought at that price while the
activity runs. Orders themselves are placed by `fenxiao.orders.services.activities.bargains`, which calls
`lock_for_order`, `mark_bought` and `reopen` here.

No reward is tied to sharing: helpers get nothing for helping or sharing; the share text is the
operator's, screened by the console.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fenxiao.common import periods
from fenxiao.common.transitions import StateMachine

from ..errors import PromotionCode, PromotionError
from ..models import ActivityKind, ActivityVisit, Bargain, BargainActivity, BargainEvent, BargainHelp, RunStatus

B = Bargain.Status

BARGAIN_TRANSITIONS: dict[str, set[str]] = {
    B.ACTIVE: {B.FLOOR, B.EXPIRED, B.BOUGHT},
    B.FLOOR: {B.BOUGHT, B.EXPIRED},
    B.EXPIRED: {B.BOUGHT},
    B.BOUGHT: {B.ACTIVE, B.FLOOR, B.EXPIRED},
}

BARGAIN_MACHINE = StateMachine(
    table=BARGAIN_TRANSITIONS,
    labels=Bargain.Status,
    error=PromotionError,
    code=PromotionCode.INVALID_TRANSITION,
    event_model=BargainEvent,
    event_fk="bargain",
    stamps={B.FLOOR: "floor_reached_at", B.EXPIRED: "ended_at"},
    what=gettext_lazy("砍价"),
)

#: The share of what remains (after one fen held back per later helper) a helper cuts, basis points.
CUT_MIN_BP = 2000
CUT_MAX_BP = 5000

_random = secrets.SystemRandom()


# --- the cut ---------------------------------------------------------------------------------------


def next_cut(remaining_fen: int, helpers_left: int, draw_bp: int) -> int:
    """What this helper cuts, fen. `remaining_fen`: current price − floor; `helpers_left`: the helpers
    still to come including this one; `draw_bp`: the random share in [2000, 5000] basis points.
    The last helper takes the remainder; any other leaves at least one fen for each helper after it."""
    if helpers_left < 1 or remaining_fen < helpers_left:
        raise ValueError("each helper still to come needs at least one fen")
    if helpers_left == 1:
        return remaining_fen
    room = remaining_fen - (helpers_left - 1)
    bp = min(max(draw_bp, CUT_MIN_BP), CUT_MAX_BP)
    return max(1, room * bp // 10000)


def draw_bp() -> int:
    return _random.randint(CUT_MIN_BP, CUT_MAX_BP)


# --- the activity ----------------------------------------------------------------------------------


def activity_or_404(activity_id: int) -> BargainActivity:
    activity = BargainActivity.objects.select_related("sku__product").filter(pk=activity_id).first()
    if activity is None:
        raise PromotionError(
            PromotionCode.ACTIVITY_NOT_FOUND, gettext("砍价活动不存在"), {"activity_id": activity_id}, status=404
        )
    return activity


def refuse_unless_running(activity: BargainActivity, now: datetime) -> None:
    """The operator's switch is on and now is inside the window."""
    detail = {"activity_id": activity.pk, "starts_at": activity.starts_at.isoformat(), "ends_at": activity.ends_at.isoformat()}
    if activity.status == RunStatus.PAUSED:
        raise PromotionError(PromotionCode.ACTIVITY_ENDED, gettext("活动已暂停"), detail, status=409)
    if activity.status == RunStatus.ENDED or now >= activity.ends_at:
        raise PromotionError(PromotionCode.ACTIVITY_ENDED, gettext("活动已结束"), detail, status=409)
    if now < activity.starts_at:
        raise PromotionError(PromotionCode.ACTIVITY_NOT_STARTED, gettext("活动还没开始"), detail, status=409)


def is_running(activity: BargainActivity, now: datetime) -> bool:
    return activity.status == RunStatus.ACTIVE and activity.starts_at <= now < activity.ends_at


# --- starting --------------------------------------------------------------------------------------


@transaction.atomic
def start(*, user, activity_id: int, now: datetime | None = None) -> Bargain:
    """Start a bargain at the activity's start price. One open (active or at the floor) bargain per
    user and activity: a second is `bargain_open` (409, with the open one's id). The bargain ends
    `hours` after it starts, and never after the activity."""
    now = now or timezone.now()
    activity = activity_or_404(activity_id)
    refuse_unless_running(activity, now)
    open_one = Bargain.objects.filter(activity=activity, user=user, status__in=[B.ACTIVE, B.FLOOR]).first()
    if open_one is not None:
        _refuse_open(open_one.pk, activity.pk)
    try:
        with transaction.atomic():
            bargain = Bargain.objects.create(
                activity=activity,
                user=user,
                start_price_fen=activity.start_price_fen,
                floor_price_fen=activity.floor_price_fen,
                current_price_fen=activity.start_price_fen,
                helps_needed=activity.helps_needed,
                expires_at=min(now + timedelta(hours=activity.hours), activity.ends_at),
            )
    except IntegrityError:  # another request of the same user started one meanwhile
        open_one = Bargain.objects.filter(activity=activity, user=user, status__in=[B.ACTIVE, B.FLOOR]).first()
        _refuse_open(open_one.pk if open_one else None, activity.pk)
    BARGAIN_MACHINE.record(bargain, "", B.ACTIVE, actor=user, note=gettext("发起砍价"))
    return bargain


def _refuse_open(bargain_id: int | None, activity_id: int):
    raise PromotionError(
        PromotionCode.BARGAIN_OPEN,
        gettext("你已经发起过这个砍价，继续邀请好友帮忙吧"),
        {"bargain_id": bargain_id, "activity_id": activity_id},
        status=409,
    )


# --- helping ---------------------------------------------------------------------------------------


def helper_key_for(user=None, visitor_id: str = "") -> str:
    """ "u:<user id>" for a signed-in user, "v:<visitor id>" for a visitor (the session key)."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"u:{user.pk}"
    return f"v:{visitor_id}"[:64] if visitor_id else ""


@dataclass(frozen=True)
class HelpResult:
    bargain: Bargain
    help: BargainHelp

    @property
    def cut_fen(self) -> int:
        return self.help.cut_fen


@transaction.atomic
def help_bargain(*, bargain_id: int, user=None, visitor_id: str = "", now: datetime | None = None) -> HelpResult:
    """One helper cuts the price (see the module's rules). Refusals: `bargain_not_found` 404,
    `help_needs_account` 401 (the activity needs a signed-in helper), `self_help` 409,
    `bargain_ended` 409 (ended, expired, at the floor or bought), `already_helped` 409,
    `daily_help_limit` 409."""
    clock = now
    now = now or timezone.now()
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    bargain = Bargain.objects.select_for_update().filter(pk=bargain_id).first()
    if bargain is None:
        raise PromotionError(PromotionCode.BARGAIN_NOT_FOUND, gettext("砍价不存在"), {"bargain_id": bargain_id}, status=404)
    activity = BargainActivity.objects.get(pk=bargain.activity_id)
    detail = {"bargain_id": bargain.pk}
    if not signed_in and (activity.help_requires_account or not visitor_id):
        raise PromotionError(PromotionCode.HELP_NEEDS_ACCOUNT, gettext("请先登录再帮好友砍价"), detail, status=401)
    if signed_in and user.pk == bargain.user_id:
        raise PromotionError(PromotionCode.SELF_HELP, gettext("不能给自己砍价，邀请好友来帮忙吧"), detail, status=409)
    if bargain.status != B.ACTIVE or now >= bargain.expires_at or not is_running(activity, now):
        raise PromotionError(
            PromotionCode.BARGAIN_ENDED, gettext("这个砍价已经结束了"), {**detail, "status": bargain.status}, status=409
        )
    key = helper_key_for(user if signed_in else None, visitor_id)
    if signed_in:
        # The helper's own row, so that their helps on other bargains are counted one at a time.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if BargainHelp.objects.filter(bargain=bargain, helper_key=key).exists():
        raise PromotionError(PromotionCode.ALREADY_HELPED, gettext("你已经帮TA砍过了"), detail, status=409)
    day_start = periods.local_midnight(periods.local_today(now))
    today = BargainHelp.objects.filter(
        helper_key=key, created_at__gte=day_start, created_at__lt=day_start + timedelta(days=1)
    ).count()
    if today >= activity.daily_help_limit:
        raise PromotionError(
            PromotionCode.DAILY_HELP_LIMIT,
            gettext("今天的助力次数已用完，明天再来吧"),
            {**detail, "limit": activity.daily_help_limit},
            status=409,
        )
    cut = next_cut(bargain.current_price_fen - bargain.floor_price_fen, bargain.helps_needed - bargain.helps_done, draw_bp())
    help_row = BargainHelp.objects.create(bargain=bargain, helper=user if signed_in else None, helper_key=key, cut_fen=cut)
    if clock is not None:  # the caller's clock (a replay): the day counted is the one passed
        BargainHelp.objects.filter(pk=help_row.pk).update(created_at=now)
        help_row.created_at = now
    bargain.current_price_fen -= cut
    bargain.helps_done += 1
    if bargain.helps_done == bargain.helps_needed:
        BARGAIN_MACHINE.move(
            bargain,
            B.FLOOR,
            actor=user if signed_in else None,
            note=gettext("已砍到底价"),
            at=now,
            extra_fields=["current_price_fen", "helps_done"],
        )
    else:
        bargain.save(update_fields=["current_price_fen", "helps_done"])
    return HelpResult(bargain=bargain, help=help_row)


# --- the deadline ----------------------------------------------------------------------------------

EXPIRE_BATCH = 500


def expire_bargains(now: datetime | None = None) -> dict[str, int]:
    """End what is due: active bargains past their deadline, and bargains at the floor that nobody
    bought before their activity ended. Each row moves by one conditional UPDATE (status still the
    one read), so a rerun, or two runs at once, end each bargain once."""
    now = now or timezone.now()
    expired = 0
    due_active = Bargain.objects.filter(status=B.ACTIVE, expires_at__lte=now).order_by("pk").values_list("pk", flat=True)
    due_floor = Bargain.objects.filter(status=B.FLOOR, activity__ends_at__lte=now).order_by("pk").values_list("pk", flat=True)
    for from_status, ids, note in (
        (B.ACTIVE, list(due_active[:EXPIRE_BATCH]), gettext("砍价时间到")),
        (B.FLOOR, list(due_floor[:EXPIRE_BATCH]), gettext("活动结束，未下单")),
    ):
        for pk in ids:
            with transaction.atomic():
                if BARGAIN_MACHINE.move_if(Bargain, pk, from_status, B.EXPIRED, note=note, at=now) is not None:
                    expired += 1
    return {"expired": expired}


# --- buying (called by the orders app) ---------------------------------------------------------------


def can_buy(bargain: Bargain, activity: BargainActivity, now: datetime) -> bool:
    """The starter may order now: at the floor, or (when the activity allows buying above the floor)
    still active or expired, at the price reached; never once the activity is over or an order is
    open."""
    if bargain.order_id is not None or not is_running(activity, now):
        return False
    if bargain.status == B.FLOOR:
        return True
    return activity.buy_above_floor and bargain.status in (B.ACTIVE, B.EXPIRED)


def lock_for_order(*, bargain_id: int, user, now: datetime | None = None) -> tuple[Bargain, BargainActivity]:
    """The starter's bargain, locked, checked buyable (inside the caller's transaction). Somebody
    else's bargain is `bargain_not_found`, like one that does not exist."""
    now = now or timezone.now()
    bargain = Bargain.objects.select_for_update().filter(pk=bargain_id, user=user).first()
    if bargain is None:
        raise PromotionError(PromotionCode.BARGAIN_NOT_FOUND, gettext("砍价不存在"), {"bargain_id": bargain_id}, status=404)
    activity = BargainActivity.objects.select_related("sku").get(pk=bargain.activity_id)
    detail = {"bargain_id": bargain.pk, "status": bargain.status}
    if bargain.status == B.BOUGHT or bargain.order_id is not None:
        raise PromotionError(
            PromotionCode.BARGAIN_ENDED, gettext("这个砍价已经下过单了"), {**detail, "order_id": bargain.order_id}, status=409
        )
    if not is_running(activity, now):
        raise PromotionError(PromotionCode.BARGAIN_ENDED, gettext("活动已结束，不能再购买"), detail, status=409)
    if not can_buy(bargain, activity, now):
        if bargain.status == B.ACTIVE:
            raise PromotionError(
                PromotionCode.BARGAIN_NOT_AT_FLOOR, gettext("还没砍到底价，继续邀请好友帮忙吧"), detail, status=409
            )
        raise PromotionError(PromotionCode.BARGAIN_ENDED, gettext("砍价已结束，没有砍到底价不能购买"), detail, status=409)
    return bargain, activity


def mark_bought(bargain: Bargain, *, order_id: int, actor, now: datetime | None = None) -> None:
    """The order was placed (same transaction, bargain locked by `lock_for_order`)."""
    now = now or timezone.now()
    bargain.order_id = order_id
    extra = ["order_id"]
    if bargain.ended_at is None:
        bargain.ended_at = now
        extra.append("ended_at")
    BARGAIN_MACHINE.move(bargain, B.BOUGHT, actor=actor, note=gettext("下单"), at=now, extra_fields=extra)


def reopen(*, bargain_id: int, order_id: int, note: str, now: datetime | None = None) -> Bargain | None:
    """The bargain's order was cancelled before it was paid: the bargain is buyable again — at the
    floor if it got there, else active until its deadline, else expired (bought again only where the
    activity allows buying above the floor). Another open bargain of the same user on the activity
    (started meanwhile) keeps this one expired. Nothing happens for another order's cancel or twice."""
    now = now or timezone.now()
    bargain = Bargain.objects.select_for_update().filter(pk=bargain_id).first()
    if bargain is None or bargain.status != B.BOUGHT or bargain.order_id != order_id:
        return None
    activity = BargainActivity.objects.get(pk=bargain.activity_id)
    other_open = (
        Bargain.objects.filter(activity_id=bargain.activity_id, user_id=bargain.user_id, status__in=[B.ACTIVE, B.FLOOR])
        .exclude(pk=bargain.pk)
        .exists()
    )
    if other_open or not is_running(activity, now):
        target = B.EXPIRED
    elif bargain.helps_done >= bargain.helps_needed:
        target = B.FLOOR
    elif now < bargain.expires_at:
        target = B.ACTIVE
    else:
        target = B.EXPIRED
    bargain.order_id = None
    extra = ["order_id"]
    if target != B.EXPIRED and bargain.ended_at is not None:
        bargain.ended_at = None
        extra.append("ended_at")
    stamp_kept = {B.FLOOR: bargain.floor_reached_at, B.EXPIRED: bargain.ended_at}.get(target)
    BARGAIN_MACHINE.move(bargain, target, note=note, at=stamp_kept or now, extra_fields=extra)
    return bargain


def note(bargain_id: int, text: str, *, actor=None) -> None:
    """An event on the bargain's timeline that changes no status (its order was paid, refunded)."""
    bargain = Bargain.objects.filter(pk=bargain_id).first()
    if bargain is not None:
        BARGAIN_MACHINE.record(bargain, bargain.status, bargain.status, actor=actor, note=text)


# --- visits ----------------------------------------------------------------------------------------


def record_visit(*, activity_id: int, visitor_key: str, now: datetime | None = None) -> None:
    """One row per visitor, activity and local day (the activity's figures); a repeat changes nothing."""
    if not visitor_key:
        return
    ActivityVisit.objects.bulk_create(
        [
            ActivityVisit(
                kind=ActivityKind.BARGAIN,
                activity_id=activity_id,
                visitor_key=visitor_key[:64],
                day=periods.local_today(now),
            )
        ],
        ignore_conflicts=True,
    )
